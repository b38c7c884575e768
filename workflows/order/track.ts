import { condition, log, patched, setHandler } from '@temporalio/workflow';
import type { CarrierTrackingEvent, TrackingStatus } from '../../src/domain/carrier-contract';
import type { OrderStatus } from '../../src/domain/order-status';
import { furthest, orderStatusForShipments } from '../../src/domain/tracking';
import { trackingEvent } from './messages';
import type { OrderRun } from './run';
import type { ShipmentState } from './state';

/** Patch ids: behaviour that histories recorded before it must not see. */
export const TRACKING_PATCHES = {
  /** An event is taken only from the shipment's own carrier, whatever its reference says. */
  carrierMustMatch: 'tracking-event-carrier-must-match',
} as const;

/**
 * TRACK (R4.5–R4.7): follow every shipment until it is delivered. Carriers' webhooks
 * arrive as signals; when they fall silent for a poll interval we ask the carrier
 * ourselves, and when nothing moves for long, an operator is told (without stopping).
 */
export async function track(order: OrderRun): Promise<void> {
  const { state } = order;
  let lastNewsAt = Date.now();
  let stalled = false;
  while (!state.shipments.every((s) => s.status === 'delivered')) {
    const news = await condition(() => state.trackingInbox.length > 0, order.settings.trackingPollIntervalMs, {
      summary: 'wait for tracking events',
    });
    const events = news ? state.trackingInbox.splice(0) : await poll(order);
    const fresh = events.filter((e) => shipmentOf(order, e) !== undefined && (news || !state.seenTrackingEvents.includes(e.eventId)));
    for (const e of fresh) see(order, e.eventId);

    if (fresh.length > 0) {
      await record(order, fresh);
      lastNewsAt = Date.now();
      if (stalled) {
        stalled = false;
        await order.desk.flag(false);
      }
    } else if (!stalled && Date.now() - lastNewsAt >= order.settings.trackingStallAfterMs) {
      stalled = true;
      await order.desk.flag(true, 'no tracking news from the carrier; check the shipment');
    }
  }
  // From now on a late event is recorded as it comes (see trackMessages); any that
  // came in with the last batch is recorded now. Nothing a carrier told us is dropped.
  state.trackingDone = true;
  const late = state.trackingInbox.splice(0).filter((e) => shipmentOf(order, e) !== undefined);
  if (late.length > 0) await record(order, late);
}

/** TRACK's message: a carrier's event, taken once whatever order they come in. */
export function trackMessages(order: OrderRun): void {
  const { state } = order;
  setHandler(trackingEvent, async (event) => {
    if (state.seenTrackingEvents.includes(event.eventId)) return;
    see(order, event.eventId);
    if (!state.trackingDone) {
      state.trackingInbox.push(event);
      return;
    }
    // After delivery the main flow no longer listens: keep the event for the record.
    if (shipmentOf(order, event)) await record(order, [event]);
  });
}

function see(order: OrderRun, eventId: string): void {
  if (!order.state.seenTrackingEvents.includes(eventId)) order.state.seenTrackingEvents.push(eventId);
}

/**
 * The shipment an event is about: by its reference (our shipment id) or its tracking
 * number, and always from the shipment's own carrier. The webhook and the gateway let no
 * other carrier's event through; this is the second safeguard.
 */
function shipmentOf(order: OrderRun, event: CarrierTrackingEvent): ShipmentState | undefined {
  const { shipments } = order.state;
  const found = shipments.find((s) => s.shipmentId === event.reference || (s.carrier === event.carrier && s.trackingNumber === event.trackingNumber));
  if (!found || found.carrier === event.carrier) return found;
  // Histories recorded before the check took such an event as the shipment's own.
  if (!patched(TRACKING_PATCHES.carrierMustMatch)) return found;
  const own = shipments.find((s) => s.carrier === event.carrier && s.trackingNumber === event.trackingNumber);
  if (!own) {
    log.warn('tracking event ignored: its carrier is not the shipment\'s', {
      orderId: order.orderId,
      eventId: event.eventId,
      eventCarrier: event.carrier,
      shipmentId: found.shipmentId,
      shipmentCarrier: found.carrier,
    });
  }
  return own;
}

async function poll(order: OrderRun): Promise<CarrierTrackingEvent[]> {
  const pending = order.state.shipments.filter((s) => s.status !== 'delivered' && s.trackingNumber);
  const answers = await Promise.all(
    pending.map((s) =>
      order.run(`ask ${s.carrier} for tracking`, () => order.carriers.pollTracking({ carrier: s.carrier, trackingNumber: s.trackingNumber! }), {
        // The carrier's webhooks still come: an operator may let this one poll go.
        skip: { means: 'no news from this poll; webhooks and the next poll still count', outcome: () => [] },
      }),
    ),
  );
  return answers.flat();
}

async function record(order: OrderRun, events: CarrierTrackingEvent[]): Promise<void> {
  const { state } = order;
  for (const event of events) {
    const shipment = shipmentOf(order, event)!;
    const current: TrackingStatus = shipment.status === 'planned' ? 'label_created' : shipment.status;
    shipment.status = furthest(current, event.status);
  }
  const target = orderStatusForShipments(state.shipments.map((s) => (s.status === 'planned' ? 'label_created' : s.status)));
  // The parcel passed every step on its way even when the carrier told us late or all
  // at once: the timeline shows each step, in journey order (R4.7).
  await order.transition('record tracking events', stepsBetween(state.status, target), (transitions) =>
    order.acts.recordTracking({ orderId: order.orderId, events, transitions }),
  );
}

const ORDER_JOURNEY: readonly OrderStatus[] = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered'];

function stepsBetween(from: OrderStatus, to: OrderStatus): OrderStatus[] {
  const start = ORDER_JOURNEY.indexOf(from);
  const end = ORDER_JOURNEY.indexOf(to);
  if (start < 0 || end <= start) return [];
  return ORDER_JOURNEY.slice(start + 1, end + 1);
}
