import { and, eq, isNull } from 'drizzle-orm';
import type { CarrierTrackingEvent } from '../src/carriers/carrier-gateway';
import type { Db, Tx } from '../src/db/client';
import { reservations, shipments } from '../src/db/schema';
import { storeTrackingEvents } from '../src/db/tracking-store';
import { movesOfReservation, ship } from '../src/inventory/stock-ledger';
import { postCodCollected } from './collection';
import { setReservationStatus } from './inventory';
import { applyTransitions, lockOrder, type OrderRow, type Transition } from './order-status';

// TRACK (R4.5, R4.7): every carrier event is kept once (unique per carrier event id),
// and a shipment's status only moves forward along the journey (src/db/tracking-store.ts,
// shared with the webhook, which keeps the events that come after an order has ended).
// HANDOVER: a shipment's first event beyond its label (in transit, out for delivery,
// delivered, an exception, a return) says the carrier has the parcel: its goods leave
// the shelf then, once, in the same transaction.

type ShipmentRow = typeof shipments.$inferSelect;

// What Postgres's timestamptz can hold (as src/db/tracking-store.ts, which skips the rest).
const EARLIEST = Date.UTC(1, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1) - 1;

/**
 * Marks the goods a shipment still holds (its fulfilment's reservations at its
 * warehouse) shipped and answers them; the caller writes their `shipment` movements, last in
 * its transaction (they lock the shared stock level rows). Idempotent: shipped rows are
 * skipped, and each movement's key is written once. Orders dispatched by the old code
 * shipped everything at dispatch: nothing is held.
 */
export async function markHeldShipped(tx: Tx, order: OrderRow, shipment: Pick<ShipmentRow, 'fulfilment' | 'warehouseCode'>) {
  const held = await tx
    .select()
    .from(reservations)
    .where(
      and(
        eq(reservations.orderId, order.id),
        eq(reservations.fulfilment, shipment.fulfilment),
        eq(reservations.warehouseCode, shipment.warehouseCode),
        eq(reservations.status, 'held'),
      ),
    )
    .orderBy(reservations.line);
  await setReservationStatus(tx, held, 'shipped');
  return held;
}

/** The shipment an event is about, as storeTrackingEvents matches it. */
function shipmentOf(event: CarrierTrackingEvent, mine: readonly ShipmentRow[]): ShipmentRow | undefined {
  return mine.find((s) => s.carrier === event.carrier && (s.id === event.reference.toLowerCase() || s.trackingNumber === event.trackingNumber));
}

/**
 * R6.1: cash a carrier reports collecting on delivery is journalled with the event
 * (activities/collection.ts). In a savepoint: a ledger that cannot take it (no rate in
 * force for the carrier's settlement currency) must not hold up the order's tracking;
 * the collection workflow then expects the order's total.
 */
async function journalCodCollected(tx: Tx, order: OrderRow, events: readonly CarrierTrackingEvent[]): Promise<void> {
  if (!events.some((e) => e.status === 'delivered' && e.codCollected)) return;
  const mine = await tx.select().from(shipments).where(eq(shipments.orderId, order.id));
  try {
    await tx.transaction((savepoint) => postCodCollected(savepoint, order, events, mine));
  } catch (err) {
    console.warn(`[collection] order ${order.number}: cash collected on delivery not journalled: ${String(err)}`);
  }
}

export function createTrackingActivities(db: Db) {
  return {
    async recordTracking(input: {
      orderId: string;
      events: CarrierTrackingEvent[];
      transitions: Transition[];
    }): Promise<{ recorded: number }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const recorded = await storeTrackingEvents(tx, order.id, input.events);
        await journalCodCollected(tx, order, input.events);

        // Handover: the earliest journey event of each shipment not yet handed over.
        const journey = input.events.filter((e) => e.status !== 'label_created');
        const waiting = journey.length
          ? await tx.select().from(shipments).where(and(eq(shipments.orderId, order.id), isNull(shipments.handedOverAt)))
          : [];
        const handedOver = new Map<string, { shipment: ShipmentRow; at: Date }>();
        for (const event of journey) {
          const shipment = shipmentOf(event, waiting);
          const at = new Date(event.occurredAt);
          if (!shipment || !(at.getTime() >= EARLIEST && at.getTime() <= LATEST)) continue;
          const seen = handedOver.get(shipment.id);
          if (!seen || at < seen.at) handedOver.set(shipment.id, { shipment, at });
        }
        const toShip = [];
        for (const { shipment, at } of [...handedOver.values()].sort((a, b) => a.shipment.sequence - b.shipment.sequence)) {
          await tx
            .update(shipments)
            .set({ handedOverAt: at, updatedAt: new Date() })
            .where(and(eq(shipments.id, shipment.id), isNull(shipments.handedOverAt)));
          toShip.push(...(await markHeldShipped(tx, order, shipment)));
        }

        await applyTransitions(tx, order, input.transitions);
        // The shared stock level rows last: their lock is held only until the commit.
        if (toShip.length > 0) await ship(tx, movesOfReservation('ship', toShip, order.number));
        return { recorded };
      });
    },
  };
}
