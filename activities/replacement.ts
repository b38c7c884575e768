import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { and, eq, isNull } from 'drizzle-orm';
import { v5 as uuidv5 } from 'uuid';
import type { RateQuote } from '../src/carriers/carrier-gateway';
import type { Db, Tx } from '../src/db/client';
import { reservations, shipments } from '../src/db/schema';
import type { Consignment, PlannedShipment } from '../src/domain/shipment';
import {
  movesOfReservation,
  release,
  reservationMoves,
  reserve,
  restock,
  ship,
  writeOff,
  type StockMove,
} from '../src/inventory/stock-ledger';
import type { ShipmentClosure } from '../workflows/order/activities';
import { goodsOf, shipmentsOfOrder, type ReservationRow } from './delivery-goods';
import { allocate, consignmentsFor, reservationsOf, reserveRetryingRaces, setReservationStatus } from './inventory';
import { lockOrder, type OrderRow, type Transition } from './order-status';
import { planFulfilment } from './shipping';

// GOODS AFTER AN INCIDENT (R3.10, R4.8): a replacement reserved (as fulfilment n, from
// any warehouse), planned and shipped like the order's own goods, or given back; goods
// lost or damaged on the way written off; goods back from the carrier restocked; and the
// shipments that end without delivery closed. Every stock movement is keyed by what it
// moves: `reserve:{order}:f{n}:{line}:{warehouse}` (and release/ship alike) for a
// replacement, `write_off:{incident}:{shipment}:{line}`, `return:{incident}:{shipment}:{line}`.

/** Namespace of replacement shipment ids: one id per incident and warehouse, however often planned. */
const REPLACEMENT_SHIPMENT_NAMESPACE = '8f4e2a6c-3b1d-4e5f-a7c9-2d6b8e0f1a3c';

export function replacementShipmentId(incidentId: string, warehouseCode: string): string {
  return uuidv5(`replacement:${incidentId}:${warehouseCode}`, REPLACEMENT_SHIPMENT_NAMESPACE);
}

/**
 * Goods of a shipment the carrier never took (no handover recorded) that are now lost,
 * damaged or back: they left the shelf all the same. Marks them shipped and answers them,
 * for `shipment` movements under the same keys a handover would have used (so never twice).
 */
async function shipUnshipped(tx: Tx, goods: readonly ReservationRow[]): Promise<ReservationRow[]> {
  const held = goods.filter((g) => g.status === 'held');
  await setReservationStatus(tx, held, 'shipped');
  return held;
}

export function createReplacementActivities(db: Db) {
  async function tryReserve(input: { orderId: string; incidentId: string; fulfilment: number; shipmentIds: string[] }) {
    return db.transaction(async (tx) => {
      const order = await lockOrder(tx, input.orderId);
      const existing = await reservationsOf(tx, order.id, input.fulfilment);
      if (existing.some((r) => r.status === 'released')) {
        throw ApplicationFailure.create({
          type: 'ReservationReleased',
          message: `the replacement ${input.fulfilment} of order ${order.id} was given back; it is not reserved again`,
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      if (existing.length > 0) {
        // Reserved by an earlier attempt: answer as it did.
        const allocations = existing.map(({ line, sku, warehouseCode, quantity }) => ({ line, sku, warehouseCode, quantity }));
        return { consignments: await consignmentsFor(tx, order, allocations) };
      }

      // The lines the shipments carried, once per order line.
      const wanted = new Map<number, { line: number; sku: string; quantity: number }>();
      for (const s of await shipmentsOfOrder(tx, order.id, input.shipmentIds)) {
        for (const g of await goodsOf(tx, order.id, s)) {
          const line = wanted.get(g.line) ?? { line: g.line, sku: g.sku, quantity: 0 };
          line.quantity += g.quantity;
          wanted.set(g.line, line);
        }
      }
      const lines = [...wanted.values()].sort((a, b) => a.line - b.line);
      if (lines.length === 0) return { consignments: [] };

      const plan = await allocate(tx, order, lines);

      const consignments = await consignmentsFor(tx, order, plan.allocations);
      await tx.insert(reservations).values(plan.allocations.map((a) => ({ orderId: order.id, fulfilment: input.fulfilment, ...a })));
      // Last: the shared stock level rows stay locked only until the commit.
      await reserve(tx, reservationMoves(order, plan.allocations, input.fulfilment));
      return { consignments };
    });
  }

  /** Goods movements per line of the shipments, keyed by incident, shipment and line. */
  async function moveShipmentGoods(
    input: { orderId: string; incidentId: string; shipmentIds: string[] },
    kind: 'write_off' | 'return',
    reference: (order: OrderRow) => string,
  ): Promise<{ units: number }> {
    return db.transaction(async (tx) => {
      const order = await lockOrder(tx, input.orderId);
      const toShip: ReservationRow[] = [];
      const moves: StockMove[] = [];
      for (const s of await shipmentsOfOrder(tx, order.id, input.shipmentIds)) {
        // Goods given back (a shipment voided before pickup) never left: nothing to move.
        const goods = (await goodsOf(tx, order.id, s)).filter((g) => g.status !== 'released');
        toShip.push(...(await shipUnshipped(tx, goods)));
        for (const g of goods) {
          moves.push({
            sku: g.sku,
            warehouseCode: g.warehouseCode,
            quantity: g.quantity,
            orderId: order.id,
            reference: reference(order),
            key: `${kind}:${input.incidentId}:${s.id}:${g.line}`,
          });
        }
      }
      // The shared stock level rows last: their locks are held only until the commit.
      await ship(tx, movesOfReservation('ship', toShip, order.number));
      if (kind === 'write_off') await writeOff(tx, moves);
      else await restock(tx, moves);
      return { units: moves.reduce((n, m) => n + m.quantity, 0) };
    });
  }

  return {
    /**
     * Reserves the lines of the shipments again, as fulfilment `fulfilment`, from any
     * warehouse (the allocation rules of RESERVE): the consignments to quote, or
     * InsufficientStock (business). A retry answers the consignments reserved before.
     */
    async reserveReplacement(input: { orderId: string; incidentId: string; fulfilment: number; shipmentIds: string[] }): Promise<{ consignments: Consignment[] }> {
      if (!Number.isInteger(input.fulfilment) || input.fulfilment < 1) {
        throw ApplicationFailure.create({ type: 'InvalidFulfilment', message: `a replacement is fulfilment 1, 2, …, not ${input.fulfilment}`, nonRetryable: true });
      }
      return reserveRetryingRaces(() => tryReserve(input));
    },

    /**
     * Plans the replacement's shipments for the quoted consignments: new ids (one per
     * incident and warehouse), sequences after the order's last, booking keys of their own.
     */
    async planReplacement(input: {
      orderId: string;
      incidentId: string;
      fulfilment: number;
      consignments: (Consignment & { quotes: RateQuote[] })[];
      transitions: Transition[];
    }): Promise<{ shipments: PlannedShipment[] }> {
      return db.transaction((tx) =>
        planFulfilment(tx, {
          ...input,
          shipmentId: (consignment) => replacementShipmentId(input.incidentId, consignment.warehouseCode),
          replacesIncidentId: input.incidentId,
        }),
      );
    },

    /** Gives back a replacement's reservation that will not ship (its incident ended in a refund). */
    async releaseReplacement(input: { orderId: string; fulfilment: number }): Promise<{ released: number }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        if (input.fulfilment < 1) return { released: 0 };
        const held = (await reservationsOf(tx, order.id, input.fulfilment)).filter((r) => r.status === 'held');
        await setReservationStatus(tx, held, 'released');
        await release(tx, movesOfReservation('release', held, order.number));
        return { released: held.reduce((n, r) => n + r.quantity, 0) };
      });
    },

    /**
     * Goods lost or damaged on the way leave the books: one `write_off` movement per line
     * (it changes no figure; it carries the units). Goods whose handover was never recorded
     * are shipped first: they are gone from the shelf too.
     */
    async writeOffShipments(input: {
      orderId: string;
      incidentId: string;
      shipmentIds: string[];
      reason: 'lost' | 'damaged' | 'not_returned';
    }): Promise<{ units: number }> {
      return moveShipmentGoods(input, 'write_off', (order) => `${order.number} ${input.reason}`);
    },

    /** Goods back at the warehouse go back on the shelf: one `return` movement per line, into the shipment's warehouse. */
    async restockReturn(input: { orderId: string; incidentId: string; shipmentIds: string[] }): Promise<{ units: number }> {
      return moveShipmentGoods(input, 'return', (order) => `${order.number} returned`);
    },

    /**
     * Marks shipments closed without delivery; a closure once written stays. A shipment
     * voided before the carrier took it gives its goods back to the shelf (release).
     */
    async closeShipments(input: { orderId: string; shipmentIds: string[]; closedAs: ShipmentClosure }): Promise<void> {
      await db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const toRelease: ReservationRow[] = [];
        for (const s of await shipmentsOfOrder(tx, order.id, input.shipmentIds)) {
          const closed = await tx
            .update(shipments)
            .set({ closedAs: input.closedAs, updatedAt: new Date() })
            .where(and(eq(shipments.id, s.id), isNull(shipments.closedAs)))
            .returning({ id: shipments.id });
          if (closed.length === 0 || input.closedAs !== 'voided' || s.handedOverAt) continue;
          const held = (await goodsOf(tx, order.id, s)).filter((g) => g.status === 'held');
          await setReservationStatus(tx, held, 'released');
          toRelease.push(...held);
        }
        await release(tx, movesOfReservation('release', toRelease, order.number));
      });
    },
  };
}
