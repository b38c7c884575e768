import type { TrackingStatus } from './carrier-contract';
import type { OrderStatus } from './order-status';

// TRACK (R4.5, R4.7): carriers send events late, twice, or out of order. A shipment's
// status only ever moves forward along the journey, so the customer never sees
// "delivered" followed by "in transit"; every event is still kept in the history.

export const JOURNEY: readonly TrackingStatus[] = ['label_created', 'in_transit', 'out_for_delivery', 'delivered'];

export function journeyRank(status: TrackingStatus): number {
  // An exception does not move the parcel along; it is handled beside the journey.
  // Back with the sender is no step of the journey at all (below an exception, so the
  // furthest of any events is one status whatever order they come in).
  if (status === 'returned') return -2;
  return status === 'exception' ? -1 : JOURNEY.indexOf(status);
}

/** The further of two statuses along the journey. */
export function furthest(current: TrackingStatus, next: TrackingStatus): TrackingStatus {
  return journeyRank(next) > journeyRank(current) ? next : current;
}

const ORDER_STATUS_OF_JOURNEY: Record<TrackingStatus, OrderStatus> = {
  label_created: 'dispatched',
  in_transit: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  delivered: 'delivered',
  exception: 'delivery_exception',
  returned: 'delivery_exception',
};

/** An order with several consignments is only as far along as its slowest one. */
export function orderStatusForShipments(statuses: readonly TrackingStatus[]): OrderStatus {
  if (statuses.length === 0) return 'dispatched';
  const slowest = statuses.reduce((a, b) => (journeyRank(b) < journeyRank(a) ? b : a));
  return ORDER_STATUS_OF_JOURNEY[slowest];
}
