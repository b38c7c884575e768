import { CarrierRejection, type Booking, type BookingRequest, type CarrierGateway, type CarrierTrackingEvent, type RateQuote, type RateRequest } from '../src/carriers/carrier-gateway';
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
  };
}
