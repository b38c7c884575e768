import type { OrderRun } from './run';

/** Why nobody may cancel while bookings are being made (a cancel is taken after, by voiding them). */
const CARRIER_MAY_HOLD_BOOKING = 'a carrier may hold a booking';

/**
 * DISPATCH (R3.8, R4.1): book every shipment with its carrier under the shipment's own
 * idempotency key, then record tracking numbers and take the goods off the shelves.
 * While bookings are being made an order cannot be cancelled: a failing step waits for
 * an operator's retry. After, a cancel voids the bookings until a carrier has the parcel.
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
  // R5.1: the customer may confirm address, contact and a delivery window while the
  // parcel is on its way; nothing waits for the answer.
  const windowMs = order.settings.deliveryConfirmationWindowMs;
  if (windowMs !== undefined) order.ask('delivery_confirmation', windowMs, { address: state.draft.customer.address });
}
