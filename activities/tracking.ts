import { eq } from 'drizzle-orm';
import type { CarrierTrackingEvent, TrackingStatus } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import { shipments, trackingEvents } from '../src/db/schema';
import { furthest } from '../src/domain/tracking';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// TRACK (R4.5, R4.7): every carrier event is kept once (unique per carrier event id),
// and a shipment's status only moves forward along the journey.

export function createTrackingActivities(db: Db) {
  return {
    async recordTracking(input: {
      orderId: string;
      events: CarrierTrackingEvent[];
      transitions: Transition[];
    }): Promise<{ recorded: number }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const mine = await tx.select().from(shipments).where(eq(shipments.orderId, order.id));
        let recorded = 0;
        for (const event of input.events) {
          const shipment = mine.find((s) => s.id === event.reference || (s.carrier === event.carrier && s.trackingNumber === event.trackingNumber));
          if (!shipment) continue;
          const inserted = await tx
            .insert(trackingEvents)
            .values({
              shipmentId: shipment.id,
              orderId: order.id,
              carrier: event.carrier,
              carrierEventId: event.eventId,
              status: event.status,
              description: event.description,
              location: event.location,
              occurredAt: new Date(event.occurredAt),
            })
            .onConflictDoNothing()
            .returning({ id: trackingEvents.id });
          recorded += inserted.length;
          const status = furthest(shipment.status as TrackingStatus, event.status);
          const occurredAt = new Date(event.occurredAt);
          const last = shipment.lastTrackingAt && shipment.lastTrackingAt > occurredAt ? shipment.lastTrackingAt : occurredAt;
          // The first delivered event is when it was delivered, however events are batched.
          const deliveredAt =
            event.status === 'delivered' && (!shipment.deliveredAt || occurredAt < shipment.deliveredAt) ? occurredAt : shipment.deliveredAt;
          if (status !== shipment.status || last !== shipment.lastTrackingAt || deliveredAt !== shipment.deliveredAt) {
            await tx
              .update(shipments)
              .set({ status, lastTrackingAt: last, deliveredAt, updatedAt: new Date() })
              .where(eq(shipments.id, shipment.id));
            Object.assign(shipment, { status, lastTrackingAt: last, deliveredAt });
          }
        }
        await applyTransitions(tx, order, input.transitions);
        return { recorded };
      });
    },
  };
}
