import { condition, log, patched, setHandler } from '@temporalio/workflow';
import type { CarrierTrackingEvent, TrackingStatus } from '../../src/domain/carrier-contract';
import type { OrderStatus } from '../../src/domain/order-status';
import { furthest } from '../../src/domain/tracking';
import { isReturnToSender } from '../../src/domain/delivery-exception';
import {
  activeShipments,
  carrierReport,
  handedOver,
  handleIncidents,
  hasIncidentWork,
  journeyStatus,
  nextIncidentDeadline,
  unresolved,
} from './exceptions';
import { trackingEvent } from './messages';
import { failureType } from '../kit/failures';
import { REST_NOT_WAITING } from '../../src/domain/rest-cancellation';
import { holdForRest, PARTIAL_PATCHES, restDue, restPending, restRecheckAt, shipRest } from './partial';
import { OrderCancelled, type OrderRun } from './run';
import type { OrderState, ShipmentState } from './state';

/** Patch ids: behaviour that histories recorded before it must not see. */
export const TRACKING_PATCHES = {
  /** An event is taken only from the shipment's own carrier, whatever its reference says. */
  carrierMustMatch: 'tracking-event-carrier-must-match',
  /** A webhook that came in while a poll ran is recorded with the poll's answer. */
  pollTakesInbox: 'tracking-poll-takes-inbox',
} as const;

/**
 * TRACK (R4.5–R4.10): follow every shipment until it is delivered. Carriers' webhooks
 * arrive as signals; when they fall silent for a poll interval we ask the carrier
 * ourselves, and when nothing moves for long, an operator is told (without stopping).
 * Whatever goes wrong on the way (exceptions.ts) is run to its end here too, and a
 * cancel is taken until a carrier has the parcel (its booking is voided).
 */
export async function track(order: OrderRun): Promise<void> {
  const { state } = order;
  state.trackingDone = false;
  let lastNewsAt = Date.now();
  const newsOf = new Map<string, number>();
  let stalled = false;
  while (!settled(order)) {
    const now = Date.now();
    const pollIn = order.settings.trackingPollIntervalMs;
    const deadline = nextDeadline(order, newsOf, lastNewsAt);
    const wait = deadline === undefined ? pollIn : Math.min(pollIn, Math.max(1, deadline - now));
    const news = await condition(() => state.trackingInbox.length > 0 || hasWork(order), wait, {
      summary: 'wait for tracking events',
    });
    if (news && state.trackingInbox.length === 0) {
      await handleWork(order);
      continue;
    }
    // A wait cut short by a playbook's deadline is not a poll's turn.
    const events = news ? state.trackingInbox.splice(0) : wait === pollIn ? await poll(order) : [];
    let fresh = events.filter((e) => shipmentOf(order, e) !== undefined && (news || !state.seenTrackingEvents.includes(e.eventId)));
    for (const e of fresh) see(order, e.eventId);
    // A webhook that arrived while the poll ran was marked seen, so the poll's answer left
    // it out: recorded on its own after a later event, the order would reach `delivered`
    // with the step before it missing from its record for a moment.
    if (!news && state.trackingInbox.length > 0 && patched(TRACKING_PATCHES.pollTakesInbox)) {
      const arrived = state.trackingInbox.splice(0).filter((e) => shipmentOf(order, e) !== undefined);
      fresh = [...arrived, ...fresh].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    }

    if (fresh.length > 0) {
      await record(order, fresh);
      lastNewsAt = Date.now();
      for (const e of fresh) newsOf.set(shipmentOf(order, e)!.shipmentId, lastNewsAt);
      if (stalled) {
        stalled = false;
        await order.desk.flag(false);
      }
    } else if (!stalled && !onlyRestWaits(order) && Date.now() - lastNewsAt >= order.settings.trackingStallAfterMs) {
      stalled = true;
      await order.desk.flag(true, 'no tracking news from the carrier; check the shipment');
    }
    presumeLost(order, newsOf, lastNewsAt);
    if (hasWork(order)) await handleWork(order);
  }
  await closeLapsedQuestions(order);
  // From now on a late event is recorded as it comes (see trackMessages); any that
  // came in with the last batch is recorded now. Nothing a carrier told us is dropped.
  state.trackingDone = true;
  const late = state.trackingInbox.splice(0).filter((e) => shipmentOf(order, e) !== undefined);
  if (late.length > 0) await record(order, late);
}

/** Every parcel still meant for the customer is delivered, and nothing is left open. */
function settled(order: OrderRun): boolean {
  const { state } = order;
  return (
    activeShipments(state).every((s) => s.status === 'delivered') &&
    unresolved(state).length === 0 &&
    (state.exceptionInbox?.length ?? 0) === 0 &&
    // A partial delivery's rest still to come (partial.ts).
    !restPending(state)
  );
}

/** Every parcel out is delivered and only a partial delivery's rest waits for stock: no carrier has news to give. */
function onlyRestWaits(order: OrderRun): boolean {
  return restPending(order.state) && activeShipments(order.state).every((s) => s.status === 'delivered');
}

function hasWork(order: OrderRun): boolean {
  const { state } = order;
  return (
    hasIncidentWork(state) ||
    (state.cancelRequest !== undefined && !state.ending) ||
    state.restCancelRequest !== undefined ||
    closingQuestions(order).length > 0 ||
    restDue(order)
  );
}

async function handleWork(order: OrderRun): Promise<void> {
  await takeCancel(order);
  await closeLapsedQuestions(order);
  await handleIncidents(order);
  await takeRestCancel(order);
  if (restDue(order)) await shipRest(order);
}

/**
 * The customer gives up a partial delivery's rest (the first part is with the carrier):
 * nothing is reserved for it, so nothing is released; what was paid for it is refunded
 * (activities/back-ordered-rest.ts) and the order goes on with the first part only. The
 * timeline says so, and the order catches up with the first part's journey (it was held
 * back for the rest). Refused once the rest is reserved: it is on its way.
 */
async function takeRestCancel(order: OrderRun): Promise<void> {
  const { state } = order;
  const request = state.restCancelRequest;
  if (!request) return;
  state.restCancelRequest = undefined;
  const rest = state.backOrderedRest;
  // Histories before it never asked: the marker only guards a replay against a changed path.
  if (!rest || rest.done || !patched(PARTIAL_PATCHES.cancelRest)) {
    state.restCancelRefused = 'the rest is already reserved and on its way';
    return;
  }
  const quiet = state.status !== 'delivery_exception' && unresolved(state).length === 0 && (state.exceptionInbox?.length ?? 0) === 0;
  const marker = { status: state.status, detail: { restCancelled: { fulfilment: rest.fulfilment, lines: rest.lines } } };
  const steps = quiet ? stepsBetween(state.status, journeyStatus(state)) : [];
  let cancelled;
  try {
    cancelled = await order.transition(
      'cancel the back-ordered rest',
      [marker, ...steps],
      (transitions) => order.acts.cancelRest({ orderId: order.orderId, fulfilment: rest.fulfilment, reason: request.reason, transitions }),
      { noCancel: 'part of the order is with the carrier', handles: [REST_NOT_WAITING] },
    );
  } catch (err) {
    if (failureType(err) !== REST_NOT_WAITING) throw err;
    // Reserved by an attempt we had given up on: ship it now (shipRest finds the reservation).
    state.restCancelRefused = 'the rest is already reserved and on its way';
    state.stockArrived = true;
    return;
  }
  rest.done = true;
  state.restCancelled = cancelled;
}

/** When the loop must wake on its own: a playbook's deadline, a question's window, a silence too long. */
function nextDeadline(order: OrderRun, newsOf: Map<string, number>, since: number): number | undefined {
  const { state } = order;
  const times: number[] = [];
  const incident = nextIncidentDeadline(state);
  if (incident !== undefined) times.push(incident);
  for (const q of state.openQuestions) {
    if ((q.kind === 'ship_date' || q.kind === 'delivery_confirmation') && q.until) times.push(Date.parse(q.until));
  }
  const restAt = restRecheckAt(order);
  if (restAt !== undefined) times.push(restAt);
  const presumeAfter = order.settings.presumeLostAfterMs;
  if (presumeAfter !== undefined) {
    for (const s of silentCandidates(state)) times.push((newsOf.get(s.shipmentId) ?? since) + presumeAfter);
  }
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Parcels the carrier has and has stopped talking about, with nothing already open on them. */
function silentCandidates(state: OrderState): ShipmentState[] {
  const covered = new Set(unresolved(state).flatMap((i) => i.shipmentIds));
  return activeShipments(state).filter((s) => handedOver(s) && s.status !== 'delivered' && !s.returning && !covered.has(s.shipmentId));
}

/** A parcel nobody has heard of for the configured silence is presumed lost (R4.8). */
function presumeLost(order: OrderRun, newsOf: Map<string, number>, since: number): void {
  const presumeAfter = order.settings.presumeLostAfterMs;
  if (presumeAfter === undefined) return;
  const now = Date.now();
  for (const s of silentCandidates(order.state)) {
    if (now - (newsOf.get(s.shipmentId) ?? since) < presumeAfter) continue;
    (order.state.exceptionInbox ??= []).push({
      shipmentId: s.shipmentId,
      kind: 'lost',
      reportedBy: 'operator',
      detail: `presumed lost: no news from ${s.carrier} for ${Math.round(presumeAfter / 1000)} s (scaled)`,
    });
    newsOf.set(s.shipmentId, now);
  }
}

/**
 * Questions no longer worth asking: their window has closed with no answer, or events
 * overtook them (a new ship date once the carrier has the goods, a delivery window once
 * everything is delivered). The order goes on as it was.
 */
function closingQuestions(order: OrderRun) {
  const { state } = order;
  const now = Date.now();
  const overtaken = (kind: string) =>
    kind === 'ship_date' ? state.shipments.some(handedOver) : activeShipments(state).every((s) => s.status === 'delivered');
  return state.openQuestions.filter(
    (q) => (q.kind === 'ship_date' || q.kind === 'delivery_confirmation') && ((q.until && Date.parse(q.until) <= now) || overtaken(q.kind)),
  );
}

async function closeLapsedQuestions(order: OrderRun): Promise<void> {
  for (const q of closingQuestions(order)) {
    order.answered(q.kind as 'ship_date' | 'delivery_confirmation');
    const proposal = order.state.shipDateProposal;
    if (q.kind === 'ship_date' && proposal?.status === 'proposed' && !proposal.answer) {
      proposal.status = 'lapsed';
      const proposalId = proposal.proposalId;
      await order.run('record that the ship date lapsed', () =>
        order.acts.recordShipDateAnswer({ orderId: order.orderId, proposalId, answer: 'lapsed' }),
      );
    }
  }
}

/**
 * A cancel after booking: each booking is voided with its carrier, then the order ends
 * cancelled (its stock given back). A carrier that already has the parcel says no: the
 * cancel is refused after all, and any booking voided meanwhile is booked again.
 */
async function takeCancel(order: OrderRun): Promise<void> {
  const { state } = order;
  const request = state.cancelRequest;
  if (!request || state.ending) return;
  const refuse = (why: string) => {
    state.cancelRefused = why;
    state.cancelRequest = undefined;
  };
  if (state.shipments.some(handedOver)) return refuse('a carrier already has the parcel');
  const voided: ShipmentState[] = [];
  for (const s of activeShipments(state)) {
    if (!s.trackingNumber) continue;
    const trackingNumber = s.trackingNumber;
    const outcome = await order.run(`void the booking with ${s.carrier}`, () => order.carriers.voidShipment({ carrier: s.carrier, trackingNumber }), {
      noCancel: 'the booking is being voided',
    });
    if (!outcome.voided) {
      await rebook(order, voided);
      return refuse(`${s.carrier} already has the parcel: ${outcome.reason}`);
    }
    voided.push(s);
  }
  if (voided.length > 0) {
    await order.run('close the voided shipments', () =>
      order.acts.closeShipments({ orderId: order.orderId, shipmentIds: voided.map((s) => s.shipmentId), closedAs: 'voided' }),
    );
    for (const s of voided) s.closedAs = 'voided';
  }
  throw new OrderCancelled(request.reason);
}

/** Bookings voided for a cancel that could not go through are made again, under new keys. */
async function rebook(order: OrderRun, voided: ShipmentState[]): Promise<void> {
  for (const s of voided) {
    s.bookingKey = `${s.bookingKey}:rebooked`;
    const booking = await order.run(`book again with ${s.carrier}`, () =>
      order.carriers.bookShipment({ shipmentId: s.shipmentId, bookingKey: s.bookingKey, request: s.bookingRequest }),
    );
    await order.run('record the new booking', () => order.acts.recordDispatch({ orderId: order.orderId, bookings: [booking], transitions: [] }));
    s.trackingNumber = booking.trackingNumber;
  }
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
  const pending = activeShipments(order.state).filter((s) => s.status !== 'delivered' && s.trackingNumber);
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
    if (event.status === 'exception' || event.status === 'returned') {
      noteException(order, shipment, event);
      continue;
    }
    const current: TrackingStatus = shipment.status === 'planned' ? 'label_created' : shipment.status;
    shipment.status = furthest(current, event.status);
  }
  // While something is wrong the order shows it; the journey picks up when it is resolved.
  const quiet = state.status !== 'delivery_exception' && unresolved(state).length === 0 && (state.exceptionInbox?.length ?? 0) === 0;
  const target = holdForRest(state, journeyStatus(state));
  // The parcel passed every step on its way even when the carrier told us late or all
  // at once: the timeline shows each step, in journey order (R4.7).
  await order.transition('record tracking events', quiet ? stepsBetween(state.status, target) : [], (transitions) =>
    order.acts.recordTracking({ orderId: order.orderId, events, transitions }),
  );
}

/** An exception or a return from the carrier: a report for the playbooks, or the parcel's news. */
function noteException(order: OrderRun, shipment: ShipmentState, event: CarrierTrackingEvent): void {
  const { state } = order;
  if (shipment.closedAs) return;
  if (event.status === 'returned') {
    shipment.returning = true;
    shipment.returned = true;
  } else if (isReturnToSender(event.statusDetail)) {
    shipment.returning = true;
  }
  const bringsBack = (kind: string) => kind === 'refused' || kind === 'address_problem';
  const covered =
    unresolved(state).some((i) => i.shipmentIds.includes(shipment.shipmentId) && bringsBack(i.kind)) ||
    (state.exceptionInbox ?? []).some((r) => (r.shipmentId === undefined || r.shipmentId === shipment.shipmentId) && bringsBack(r.kind));
  if (shipment.returning && !covered) {
    // The carrier is sending it back on its own: run it as a refusal (restock, refund).
    (state.exceptionInbox ??= []).push({ shipmentId: shipment.shipmentId, kind: 'refused', reportedBy: 'carrier', detail: event.description });
    return;
  }
  if (event.status === 'returned' || isReturnToSender(event.statusDetail)) return;
  const report = carrierReport(order, shipment, event);
  if (report) (state.exceptionInbox ??= []).push(report);
}

const ORDER_JOURNEY: readonly OrderStatus[] = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered'];

function stepsBetween(from: OrderStatus, to: OrderStatus): OrderStatus[] {
  const start = ORDER_JOURNEY.indexOf(from);
  // A replacement starts its own journey: it is shown from where it is.
  if (start < 0) return ORDER_JOURNEY.includes(to) ? [to] : [];
  const end = ORDER_JOURNEY.indexOf(to);
  if (start < 0 || end <= start) return [];
  return ORDER_JOURNEY.slice(start + 1, end + 1);
}
