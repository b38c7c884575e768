import { eq } from 'drizzle-orm';
import { v5 as uuidv5 } from 'uuid';
import type { RateQuote } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import { orders, reservations } from '../src/db/schema';
import type { AllocationReach } from '../src/domain/allocation';
import type { Consignment, PlannedShipment } from '../src/domain/shipment';
import { queuedShortages } from '../src/inventory/back-orders';
import { reservationMoves, reserve } from '../src/inventory/stock-ledger';
import { allocate, consignmentsFor, InsufficientStock, reservationsOf, reserveRetryingRaces } from './inventory';
import { lockOrder, type Transition } from './order-status';
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
      const queued = await queuedShortages(tx, order, rest.lines, { reach: input.reach, queueReach: options.reach });
      if (queued.length > 0) throw new InsufficientStock(queued);
      const plan = await allocate(tx, order, rest.lines, { reach: input.reach });
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
