import type { OrderRun } from './run';

/** Why nobody may cancel from DISPATCH on. */
const CARRIER_MAY_HOLD_BOOKING = 'a carrier may hold a booking';

/**
 * DISPATCH (R3.8, R4.1): book every shipment with its carrier under the shipment's own
 * idempotency key, then record tracking numbers and take the goods off the shelves.
 * From here an order cannot be cancelled, by the customer or an operator: a failing
 * step waits for an operator's retry (voiding bookings is R3.10's, later).
 */
export async function dispatch(order: OrderRun): Promise<void> {
  const { state } = order;
  order.throwIfCancelled();
  state.dispatchStarted = true;
  const bookings = await Promise.all(
    state.shipments.map((s) =>
      order.run(
        `book shipment with ${s.carrier}`,
        () => order.carriers.bookShipment({ shipmentId: s.shipmentId, bookingKey: s.bookingKey, request: s.bookingRequest }),
        { noCancel: CARRIER_MAY_HOLD_BOOKING },
      ),
    ),
  );
  await order.transition(
    'record the dispatch',
    'dispatched',
    (transitions) => order.acts.recordDispatch({ orderId: order.orderId, bookings, transitions }),
    { noCancel: CARRIER_MAY_HOLD_BOOKING },
  );
  for (const booking of bookings) {
    const shipment = state.shipments.find((s) => s.shipmentId === booking.shipmentId);
    if (!shipment) continue;
    shipment.trackingNumber = booking.trackingNumber;
    if (shipment.status === 'planned') shipment.status = 'label_created';
  }
}
