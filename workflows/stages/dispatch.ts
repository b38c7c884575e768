import type { OrderRun } from '../order-run';

/**
 * DISPATCH (R3.8, R4.1): book every shipment with its carrier under the shipment's own
 * idempotency key, then record tracking numbers and take the goods off the shelves.
 * From here an order cannot be cancelled, by the customer or an operator: a failing
 * step waits for an operator's retry (voiding bookings is R3.10's, later).
 */
export async function dispatch(order: OrderRun): Promise<void> {
  order.throwIfCancelled();
  order.dispatchStarted = true;
  const bookings = await Promise.all(
    order.shipments.map((s) =>
      order.run(
        `book shipment with ${s.carrier}`,
        () => order.carriers.bookShipment({ shipmentId: s.shipmentId, bookingKey: s.bookingKey, request: s.bookingRequest }),
        [],
        { cancellable: false },
      ),
    ),
  );
  const dispatched = order.prepare('dispatched');
  await order.run('record the dispatch', () => order.acts.recordDispatch({ orderId: order.orderId, bookings, transitions: [dispatched] }), [], {
    cancellable: false,
  });
  order.apply(dispatched);
  for (const booking of bookings) {
    const shipment = order.shipments.find((s) => s.shipmentId === booking.shipmentId);
    if (!shipment) continue;
    shipment.trackingNumber = booking.trackingNumber;
    if (shipment.status === 'planned') shipment.status = 'label_created';
  }
}
