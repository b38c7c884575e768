import { eq } from 'drizzle-orm';
import type { CarrierTrackingEvent, TrackingStatus } from '../carriers/carrier-gateway';
import { storableText } from '../domain/safe-text';
import { furthest } from '../domain/tracking';
import type { Tx } from './client';
import { shipments, trackingEvents } from './schema';

// Keeping a carrier's tracking events on an order's shipments (R4.5, R4.7): each event
// once (unique per carrier and carrier event id), and a shipment's status only forward.
// The recordTracking activity writes through this while the order's workflow runs; the
// webhook writes through it after the order has ended, when no workflow is left to ask.

// What Postgres's timestamptz can hold; a time outside it would fail the whole write.
const EARLIEST = Date.UTC(1, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1) - 1;

/**
 * The event's description, with the carrier's word for an exception and a delay's new
 * ETA when it has them (tracking_events has no columns of their own for these).
 */
function describe(event: CarrierTrackingEvent): string {
  const extra = [
    event.statusDetail && !event.description.includes(event.statusDetail) ? event.statusDetail : undefined,
    event.newEta ? `new ETA ${event.newEta}` : undefined,
  ].filter((x): x is string => !!x);
  return extra.length > 0 ? `${event.description} (${extra.join('; ')})` : event.description;
}

/** Stores the events that belong to the order's shipments; answers how many were new. */
export async function storeTrackingEvents(tx: Tx, orderId: string, events: readonly CarrierTrackingEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const mine = await tx.select().from(shipments).where(eq(shipments.orderId, orderId)).for('update');
  let recorded = 0;
  for (const event of events) {
    // Only the carrier's own shipment: a reference to another carrier's parcel moves nothing.
    const shipment = mine.find(
      (s) => s.carrier === event.carrier && (s.id === event.reference.toLowerCase() || s.trackingNumber === event.trackingNumber),
    );
    const occurredAt = new Date(event.occurredAt);
    // Events parsed at the boundary never get here like this; events already in a running
    // order's history might, and must not stall the events behind them for ever.
    if (!shipment || !(occurredAt.getTime() >= EARLIEST && occurredAt.getTime() <= LATEST)) continue;
    const inserted = await tx
      .insert(trackingEvents)
      .values({
        shipmentId: shipment.id,
        orderId,
        carrier: storableText(event.carrier),
        carrierEventId: storableText(event.eventId),
        status: event.status,
        description: storableText(describe(event)),
        location: storableText(event.location),
        occurredAt,
      })
      .onConflictDoNothing()
      .returning({ id: trackingEvents.id });
    recorded += inserted.length;
    const status = furthest(shipment.status as TrackingStatus, event.status);
    const last = shipment.lastTrackingAt && shipment.lastTrackingAt > occurredAt ? shipment.lastTrackingAt : occurredAt;
    // The first delivered event is when it was delivered, however events are batched.
    const deliveredAt =
      event.status === 'delivered' && (!shipment.deliveredAt || occurredAt < shipment.deliveredAt) ? occurredAt : shipment.deliveredAt;
    if (status !== shipment.status || last !== shipment.lastTrackingAt || deliveredAt !== shipment.deliveredAt) {
      await tx.update(shipments).set({ status, lastTrackingAt: last, deliveredAt, updatedAt: new Date() }).where(eq(shipments.id, shipment.id));
      Object.assign(shipment, { status, lastTrackingAt: last, deliveredAt });
    }
  }
  return recorded;
}
