import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { v5 as uuidv5 } from 'uuid';
import type { RateQuote } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import { orderEvents, orderItems, orders, payments, reservations } from '../src/db/schema';
import type { AllocationReach } from '../src/domain/allocation';
import { STAGE_OF_STATUS } from '../src/domain/order-status';
import { REST_NOT_WAITING, restCancellation } from '../src/domain/rest-cancellation';
import { refundJournal } from '../src/domain/settlement';
import type { Consignment, PlannedShipment } from '../src/domain/shipment';
import { queuedShortages } from '../src/inventory/back-orders';
import { reservationMoves, reserve } from '../src/inventory/stock-ledger';
import { allocate, consignmentsFor, InsufficientStock, reservationsOf, reserveRetryingRaces } from './inventory';
import type { CancelledRest } from '../workflows/order/messages';
import { postJournal } from './ledger';
import { applyTransitions, lockOrder, type Transition } from './order-status';
import { refundedSoFar } from './settlement';
import { planFulfilment } from './shipping';

// R1.8 `partial`, the second half: the rest of an order that shipped what was there is
// back-ordered (orders.back_ordered_rest) and waits in the same queue as back-ordered
// orders (priority, then age). When stock comes it is reserved as its own fulfilment
// (`reserve:{order}:f{n}:{line}:{warehouse}`), planned and shipped like a replacement:
// not charged again, so the order's total does not change.

/** Namespace of the rest's shipment ids: one per order, fulfilment and warehouse, however often planned. */
const REST_SHIPMENT_NAMESPACE = '3c9b7e1a-5d2f-4a8e-9b6c-1f0e2d3a4b5c';

export function restShipmentId(orderId: string, fulfilment: number, warehouseCode: string): string {
  return uuidv5(`rest:${orderId}:${fulfilment}:${warehouseCode}`, REST_SHIPMENT_NAMESPACE);
}

/** The refund of a given-up rest, once per order and fulfilment. */
export const restRefundJournalId = (orderId: string, fulfilment: number) => `refund:rest:${orderId}:f${fulfilment}`;

export function createBackOrderedRestActivities(db: Db, options: { reach?: AllocationReach } = {}) {
  async function tryReserve(input: { orderId: string; fulfilment: number; reach?: AllocationReach }): Promise<{ consignments: Consignment[] }> {
    return db.transaction(async (tx) => {
      const order = await lockOrder(tx, input.orderId);
      const existing = (await reservationsOf(tx, order.id, input.fulfilment)).filter((r) => r.status !== 'released');
      if (existing.length > 0) {
        // Reserved by an earlier attempt: answer as it did.
        const allocations = existing.map(({ line, sku, warehouseCode, quantity }) => ({ line, sku, warehouseCode, quantity }));
        return { consignments: await consignmentsFor(tx, order, allocations) };
      }
      const rest = order.backOrderedRest;
      // Given up (the order was cancelled) or never there: nothing to ship.
      if (!rest || rest.fulfilment !== input.fulfilment) return { consignments: [] };
      // The rest leaves what orders ahead of it in the queue wait for, like any back order.
      // It may take from where the customer agreed a transfer from, as the queue counts it.
      const alsoFrom = order.reserveScope?.alsoFrom ?? [];
      const queued = await queuedShortages(tx, order, rest.lines, { reach: input.reach, alsoFrom, queueReach: options.reach });
      if (queued.length > 0) throw new InsufficientStock(queued);
      const plan = await allocate(tx, order, rest.lines, { reach: input.reach, alsoFrom });
      const consignments = await consignmentsFor(tx, order, plan.allocations);
      await tx.insert(reservations).values(plan.allocations.map((a) => ({ orderId: order.id, fulfilment: input.fulfilment, ...a })));
      await tx.update(orders).set({ backOrderedRest: null }).where(eq(orders.id, order.id));
      // Last: the shared stock level rows stay locked only until the commit.
      await reserve(tx, reservationMoves(order, plan.allocations, input.fulfilment));
      return { consignments };
    });
  }

  return {
    /**
     * Reserves a partial order's back-ordered rest as fulfilment `fulfilment` once the
     * stock is there and nobody ahead waits for it: the consignments to quote (none when
     * there is no rest), or InsufficientStock (business). A retry answers as before.
     */
    async reserveRest(input: { orderId: string; fulfilment: number; reach?: AllocationReach }): Promise<{ consignments: Consignment[] }> {
      return reserveRetryingRaces(() => tryReserve(input));
    },

    /**
     * The customer gives up the rest still waiting (R1.8 `partial`): its back order is
     * cleared (the queue no longer counts it), what they paid for it is refunded and what
     * they did not pay comes off the order's total (src/domain/rest-cancellation.ts), and
     * the timeline says so. The first transition is the marker (the order's status as it
     * is, detail `restCancelled`), written without a notice; a retry answers from it.
     */
    async cancelRest(input: { orderId: string; fulfilment: number; reason: string; transitions: Transition[] }): Promise<CancelledRest> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const [marker, ...steps] = input.transitions;
        if (!marker) throw new Error('cancelRest needs the marker transition');
        const [earlier] = await tx
          .select({ detail: orderEvents.detail })
          .from(orderEvents)
          .where(and(eq(orderEvents.orderId, order.id), eq(orderEvents.version, marker.version), eq(orderEvents.status, marker.status)));
        if (earlier) return earlier.detail.restCancelled as CancelledRest;
        const rest = order.backOrderedRest;
        if (!rest || rest.fulfilment !== input.fulfilment) {
          // A reservation attempt the workflow gave up waiting for took the stock after all.
          throw ApplicationFailure.create({
            type: REST_NOT_WAITING,
            message: `the rest of order ${order.number} (fulfilment ${input.fulfilment}) no longer waits: it is reserved`,
            nonRetryable: true,
            category: ApplicationFailureCategory.BENIGN,
          });
        }

        const prices = new Map((await tx.select().from(orderItems).where(eq(orderItems.orderId, order.id))).map((i) => [i.line, i.unitPrice]));
        const value = rest.lines.reduce((n, l) => n + l.quantity * (prices.get(l.line) ?? 0), 0);
        const [paid] = await tx
          .select({ amount: sql<string>`coalesce(sum(${payments.amount}), 0)` })
          .from(payments)
          .where(eq(payments.orderId, order.id));
        const { refund, writeDown } = restCancellation({
          total: order.totalAmount,
          refunded: await refundedSoFar(tx, order.id),
          paid: Number(paid?.amount ?? 0),
          value,
        });
        const journalId = restRefundJournalId(order.id, rest.fulfilment);
        if (refund > 0) await postJournal(tx, order.id, refundJournal(order, journalId, `the rest cancelled: ${input.reason}`, refund), 'refund');
        await tx
          .update(orders)
          .set({
            backOrderedRest: null,
            subtotalAmount: Math.max(0, order.subtotalAmount - writeDown),
            totalAmount: order.totalAmount - writeDown,
          })
          .where(eq(orders.id, order.id));

        const cancelled: CancelledRest = {
          fulfilment: rest.fulfilment,
          lines: rest.lines,
          value: { amount: value, currency: order.currency },
          refunded: { amount: refund, currency: order.currency },
        };
        // The marker first, so applyTransitions finds it written and sends no second
        // "on its way" notice for a status the order already has.
        await tx.insert(orderEvents).values({
          orderId: order.id,
          version: marker.version,
          status: marker.status,
          stage: STAGE_OF_STATUS[marker.status],
          detail: { ...marker.detail, restCancelled: cancelled, reason: input.reason },
        });
        await applyTransitions(tx, order, [marker, ...steps]);
        return cancelled;
      });
    },

    /** Plans the rest's shipments for the quoted consignments (ids of their own, sequences after the order's last). */
    async planRest(input: {
      orderId: string;
      fulfilment: number;
      consignments: (Consignment & { quotes: RateQuote[] })[];
      transitions: Transition[];
    }): Promise<{ shipments: PlannedShipment[] }> {
      return db.transaction((tx) =>
        planFulfilment(tx, { ...input, shipmentId: (consignment) => restShipmentId(input.orderId, input.fulfilment, consignment.warehouseCode) }),
      );
    },
  };
}
