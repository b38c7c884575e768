import { BusinessFailure } from '../../src/domain/failures';
import type { OrderStatus } from '../../src/domain/order-status';
import { failureType } from '../kit/failures';
import type { OrderRun } from './run';
import type { OrderState } from './state';

/**
 * R1.8 `partial`, after the first part left: the rest waits in the back-order queue
 * (woken by priority like any back-ordered order, src/inventory/back-orders.ts, or
 * looking again on its own every stock recheck interval) and, once its stock is
 * reserved, is quoted, planned, booked and tracked as a second fulfilment beside the
 * first. TRACK runs it (track.ts): the order is delivered when both parts are.
 */

export const PARTIAL_PATCHES = {
  /** The customer may give up the rest still waiting once the first part is with the carrier. */
  cancelRest: 'partial-rest-cancel',
} as const;

/** Goods are with the carrier from here: an operator retries a failing step, never cancels. */
const keep = { noCancel: 'part of the order is with the carrier' } as const;

export function restPending(state: OrderState): boolean {
  return state.backOrderedRest !== undefined && !state.backOrderedRest.done;
}

/** The rest still waits and nobody has asked to cancel it yet: the customer may give it up. */
export function restCancellable(state: OrderState): boolean {
  return restPending(state) && state.restCancelRequest === undefined && state.restCancelled === undefined;
}

/** When the rest looks for stock again on its own (epoch ms), while it waits. */
export function restRecheckAt(order: OrderRun): number | undefined {
  const rest = order.state.backOrderedRest;
  if (!rest || rest.done) return undefined;
  return (rest.triedAt ?? 0) + order.settings.stockRecheckIntervalMs;
}

/** The rest has something to do now: stock came for it, or it is time to look again. */
export function restDue(order: OrderRun): boolean {
  const at = restRecheckAt(order);
  return at !== undefined && (order.state.stockArrived || Date.now() >= at);
}

/** While the rest waits the order is not delivered, however far the first part got. */
export function holdForRest(state: OrderState, target: OrderStatus): OrderStatus {
  if (!restPending(state)) return target;
  return target === 'out_for_delivery' || target === 'delivered' ? 'in_transit' : target;
}

/** Tries to reserve the rest and, when it is there, ships it as its own fulfilment. */
export async function shipRest(order: OrderRun): Promise<void> {
  const { state } = order;
  const rest = state.backOrderedRest!;
  // Cleared before trying, so news of stock that comes while we try is not lost.
  state.stockArrived = false;
  rest.triedAt = Date.now();
  const base = { orderId: order.orderId, fulfilment: rest.fulfilment };
  let consignments;
  try {
    ({ consignments } = await order.run(
      'reserve the back-ordered rest',
      () => order.acts.reserveRest({ ...base, ...(order.settings.allocationReach ? { reach: order.settings.allocationReach } : {}) }),
      { ...keep, handles: [BusinessFailure.InsufficientStock] },
    ));
  } catch (err) {
    if (failureType(err) === BusinessFailure.InsufficientStock) return;
    throw err;
  }
  if (consignments.length > 0) {
    const quotes = await Promise.all(
      consignments.map((c) => order.run(`quote carriers for the rest from ${c.warehouseCode}`, () => order.carriers.quoteRates(c.rateRequest), keep)),
    );
    const { shipments: planned } = await order.run(
      'plan the rest',
      () => order.acts.planRest({ ...base, consignments: consignments.map((c, i) => ({ ...c, quotes: quotes[i]! })), transitions: [] }),
      keep,
    );
    for (const p of planned) {
      if (!state.shipments.some((s) => s.shipmentId === p.shipmentId)) state.shipments.push({ ...p, status: 'planned' });
    }
    const bookings = await Promise.all(
      planned.map((p) =>
        order.run(`book the rest with ${p.carrier}`, () => order.carriers.bookShipment({ shipmentId: p.shipmentId, bookingKey: p.bookingKey, request: p.bookingRequest }), keep),
      ),
    );
    await order.run('record the dispatch of the rest', () => order.acts.recordDispatch({ orderId: order.orderId, bookings, transitions: [] }), keep);
    for (const b of bookings) {
      const s = state.shipments.find((x) => x.shipmentId === b.shipmentId);
      if (!s) continue;
      s.trackingNumber = b.trackingNumber;
      if (s.status === 'planned') s.status = 'label_created';
    }
  }
  rest.done = true;
}
