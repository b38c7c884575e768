import { condition } from '@temporalio/workflow';
import type { CarrierTrackingEvent, TrackingStatus } from '../../src/carriers/carrier-gateway';
import { furthest, orderStatusForShipments } from '../../src/domain/tracking';
import type { OrderStatus } from '../../src/domain/order-status';
import type { OrderRun, ShipmentState } from '../order-run';

/**
 * TRACK (R4.5–R4.7): follow every shipment until it is delivered. Carriers' webhooks
 * arrive as signals; when they fall silent for a poll interval we ask the carrier
 * ourselves, and when nothing moves for long, an operator is told (without stopping).
 */
export async function track(order: OrderRun): Promise<void> {
  let lastNewsAt = Date.now();
  let stalled = false;
  while (!order.shipments.every((s) => s.status === 'delivered')) {
    const news = await condition(() => order.trackingInbox.length > 0, order.settings.trackingPollIntervalMs, {
      summary: 'wait for tracking events',
    });
    const events = news ? order.trackingInbox.splice(0) : await poll(order);
    const fresh = events.filter((e) => shipmentOf(order, e) !== undefined && (news || !order.seenTrackingEvents.has(e.eventId)));
    for (const e of fresh) order.seenTrackingEvents.add(e.eventId);

    if (fresh.length > 0) {
      await record(order, fresh);
      lastNewsAt = Date.now();
      if (stalled) {
        stalled = false;
        await order.flag(false);
      }
    } else if (!stalled && Date.now() - lastNewsAt >= order.settings.trackingStallAfterMs) {
      stalled = true;
      await order.flag(true, 'no tracking news from the carrier; check the shipment');
    }
  }
  // From now on a late event is recorded as it comes (see acceptTrackingEvent); any that
  // came in with the last batch is recorded now. Nothing a carrier told us is dropped.
  order.trackingDone = true;
  const late = order.trackingInbox.splice(0).filter((e) => shipmentOf(order, e) !== undefined);
  if (late.length > 0) await record(order, late);
}

/** Accepts a tracking event signal: each carrier event once, whatever order they come in. */
export async function acceptTrackingEvent(order: OrderRun, event: CarrierTrackingEvent): Promise<void> {
  if (order.seenTrackingEvents.has(event.eventId)) return;
  order.seenTrackingEvents.add(event.eventId);
  if (!order.trackingDone) {
    order.trackingInbox.push(event);
    return;
  }
  // After delivery the main flow no longer listens: keep the event for the record.
  if (shipmentOf(order, event)) await record(order, [event]);
}

function shipmentOf(order: OrderRun, event: CarrierTrackingEvent): ShipmentState | undefined {
  return order.shipments.find(
    (s) => s.shipmentId === event.reference || (s.carrier === event.carrier && s.trackingNumber === event.trackingNumber),
  );
}

async function poll(order: OrderRun): Promise<CarrierTrackingEvent[]> {
  const pending = order.shipments.filter((s) => s.status !== 'delivered' && s.trackingNumber);
  const answers = await Promise.all(
    pending.map((s) =>
      order.run(`ask ${s.carrier} for tracking`, () =>
        order.carriers.pollTracking({ carrier: s.carrier, trackingNumber: s.trackingNumber! }),
      ),
    ),
  );
  return answers.flat();
}

async function record(order: OrderRun, events: CarrierTrackingEvent[]): Promise<void> {
  for (const event of events) {
    const shipment = shipmentOf(order, event)!;
    const current: TrackingStatus = shipment.status === 'planned' ? 'label_created' : shipment.status;
    shipment.status = furthest(current, event.status);
  }
  const target = orderStatusForShipments(order.shipments.map((s) => (s.status === 'planned' ? 'label_created' : s.status)));
  // The parcel passed every step on its way even when the carrier told us late or all
  // at once: the timeline shows each step, in journey order (R4.7).
  const transitions = stepsBetween(order.status, target).map((status) => order.prepare(status));
  await order.run('record tracking events', () =>
    order.acts.recordTracking({ orderId: order.orderId, events, transitions }),
  );
  order.apply(...transitions);
}

const ORDER_JOURNEY: readonly OrderStatus[] = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered'];

function stepsBetween(from: OrderStatus, to: OrderStatus): OrderStatus[] {
  const start = ORDER_JOURNEY.indexOf(from);
  const end = ORDER_JOURNEY.indexOf(to);
  if (start < 0 || end <= start) return [];
  return ORDER_JOURNEY.slice(start + 1, end + 1);
}

