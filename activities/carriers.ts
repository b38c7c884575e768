import { CarrierRejection, type Booking, type BookingRequest, type CarrierGateway, type CarrierTrackingEvent, type RateQuote, type RateRequest } from '../src/carriers/carrier-gateway';
import type { DeliveryWindow, VoidOutcome } from '../src/domain/carrier-contract';
import { BusinessFailure } from '../src/domain/failures';
import { businessFailure } from './failures';

// Calls to carriers' APIs. They run on their own task queue, whose workers cap the call
// rate, so a burst of orders cannot get us throttled by a carrier. A carrier's "no" is a
// business failure; a timeout or a 5xx is retried by Temporal.

async function asking<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CarrierRejection) {
      throw businessFailure(BusinessFailure.CarrierRejected, err.message, { code: err.code });
    }
    throw err;
  }
}

export function createCarrierActivities(carriers: CarrierGateway) {
  return {
    async quoteRates(request: RateRequest): Promise<RateQuote[]> {
      return asking(() => carriers.quote(request));
    },

    /** Books with the shipment's own idempotency key: a retry can never book twice. */
    async bookShipment(input: { shipmentId: string; bookingKey: string; request: BookingRequest }): Promise<Booking & { shipmentId: string }> {
      const booking = await asking(() => carriers.book(input.request, input.bookingKey));
      return { ...booking, shipmentId: input.shipmentId };
    },

    /** The carrier's own record, for when webhooks are late or lost. */
    async pollTracking(input: { carrier: string; trackingNumber: string }): Promise<CarrierTrackingEvent[]> {
      return asking(() => carriers.track(input.carrier, input.trackingNumber));
    },

    /** Voids a booking before pickup; once the carrier has the parcel it answers `voided: false`. */
    async voidShipment(input: { carrier: string; trackingNumber: string }): Promise<VoidOutcome> {
      return asking(() => carriers.voidShipment(input.carrier, input.trackingNumber));
    },

    /** Sends the parcel to a corrected address (an address problem). */
    async rerouteShipment(input: { carrier: string; trackingNumber: string; destination: BookingRequest['destination'] }): Promise<void> {
      return asking(() => carriers.reroute(input.carrier, input.trackingNumber, input.destination));
    },

    /** Delivers within the customer's window (R5.1). */
    async scheduleDelivery(input: { carrier: string; trackingNumber: string; window: DeliveryWindow }): Promise<void> {
      return asking(() => carriers.scheduleDelivery(input.carrier, input.trackingNumber, input.window));
    },

    /** Moves the pickup to a new ship date (R3.3), before the parcel is handed over. */
    async reschedulePickup(input: { carrier: string; trackingNumber: string; shipDate: string }): Promise<void> {
      return asking(() => carriers.reschedulePickup(input.carrier, input.trackingNumber, input.shipDate));
    },

    /** Speeds up the rest of the journey (a delay's remedy); answers the new ETA. */
    async expediteShipment(input: { carrier: string; trackingNumber: string }): Promise<{ newEta: string }> {
      return asking(() => carriers.expedite(input.carrier, input.trackingNumber));
    },
  };
}
