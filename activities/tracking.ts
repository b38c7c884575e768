import type { CarrierTrackingEvent } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import { storeTrackingEvents } from '../src/db/tracking-store';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// TRACK (R4.5, R4.7): every carrier event is kept once (unique per carrier event id),
// and a shipment's status only moves forward along the journey (src/db/tracking-store.ts,
// shared with the webhook, which keeps the events that come after an order has ended).

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
        await applyTransitions(tx, order, input.transitions);
        return { recorded };
      });
    },
  };
}
