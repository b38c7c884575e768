import { condition, setHandler, uuid4 } from '@temporalio/workflow';
import type { BookingRequest } from '../../src/domain/carrier-contract';
import {
  EXCEPTION_KINDS,
  exceptionKindOf,
  optionsFor,
  REPORTERS,
  sameTrouble,
  type DeliveryExceptionReport,
  type ResolutionChoice,
} from '../../src/domain/delivery-exception';
import { BusinessFailure } from '../../src/domain/failures';
import type { OrderStatus } from '../../src/domain/order-status';
import { orderStatusForShipments } from '../../src/domain/tracking';
import { failureType } from '../kit/failures';
import type { IncidentResolution, IncidentRecord, ShipmentClosure } from './activities';
import { chooseResolution, delay, deliveryException, expedite, type IncidentView } from './messages';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';
import type { IncidentState, OrderState, ShipmentState } from './state';

// When delivery goes wrong (R3.10, R4.8, R4.9, R5.2): every report becomes an incident,
// and each kind runs its playbook to the end — the customer told, their choice taken,
// the money and the stock put right — while the order shows `delivery_exception`.
// Reports arrive as messages; the main flow (TRACK's loop) runs the playbooks, one
// step at a time, so two reports never race each other over one parcel.

/** Goods are with the carrier from here: an operator retries a failing step, never cancels. */
export const GOODS_WITH_CARRIER = 'the goods are with the carrier';
const keep = { noCancel: GOODS_WITH_CARRIER } as const;

export const incidentsOf = (state: OrderState): readonly IncidentState[] => state.incidents ?? [];
export const unresolved = (state: OrderState) => incidentsOf(state).filter((i) => i.status !== 'resolved');
export const activeShipments = (state: OrderState) => state.shipments.filter((s) => !s.closedAs);

/** The parcel has left us: the carrier has it (or is bringing it back). */
export const handedOver = (s: ShipmentState) => (s.status !== 'planned' && s.status !== 'label_created') || Boolean(s.returning || s.returned);

/** Every shipment ended without delivery: nothing is left for the customer to sign for. */
export const nothingToDeliver = (state: OrderState) => state.shipments.length > 0 && state.shipments.every((s) => s.closedAs);

/** Where the order's journey is, over the shipments still on their way (or delivered). */
export function journeyStatus(state: OrderState): OrderStatus {
  return orderStatusForShipments(activeShipments(state).map((s) => (s.status === 'planned' ? 'label_created' : s.status)));
}

/** Whether the main flow has incident work to do now (a report, an answer, a parcel back). */
export function hasIncidentWork(state: OrderState): boolean {
  if ((state.exceptionInbox?.length ?? 0) > 0 || (state.expediteRequests?.length ?? 0) > 0) return true;
  const now = Date.now();
  return unresolved(state).some(
    (i) =>
      (i.waitUntil !== undefined && i.waitUntil <= now) ||
      (i.waitingFor === 'customer_choice' && i.choice !== undefined) ||
      (i.waitingFor === 'address_correction' && state.addressCorrection?.incidentId === i.id) ||
      (i.waitingFor === 'address_correction' && i.shipmentIds.some((id) => shipment(state, id)?.returning)) ||
      (i.waitingFor === 'return' && i.shipmentIds.every((id) => shipment(state, id)?.returned)),
  );
}

/** The earliest moment a playbook stops waiting (epoch ms), if any waits. */
export function nextIncidentDeadline(state: OrderState): number | undefined {
  const times = unresolved(state)
    .map((i) => i.waitUntil)
    .filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.min(...times) : undefined;
}

const shipment = (state: OrderState, id: string) => state.shipments.find((s) => s.shipmentId === id);

/** Runs every playbook as far as it can go now. */
export async function handleIncidents(order: OrderRun): Promise<void> {
  const { state } = order;
  const inbox = (state.exceptionInbox ??= []);
  while (inbox.length > 0) await openIncident(order, inbox.shift()!);
  for (const incident of unresolved(state)) await advance(order, incident);
}

/** A report as an incident: written, the order at `delivery_exception`, its playbook begun. */
async function openIncident(order: OrderRun, report: DeliveryExceptionReport): Promise<void> {
  const { state } = order;
  const incidents = (state.incidents ??= []);
  const id = report.incidentId ?? uuid4();
  if (incidents.some((i) => i.id === id)) return;
  const scope = shipmentsInScope(state, report);
  const incident: IncidentState = {
    id,
    kind: report.kind,
    reportedBy: report.reportedBy,
    detail: report.detail,
    newEta: report.newEta,
    shipmentIds: scope.map((s) => s.shipmentId),
    status: 'open',
    openedAt: new Date().toISOString(),
    options: [],
  };
  incidents.push(incident);

  // The same trouble reported twice (the carrier and the customer, say) is one incident:
  // the second is written as merged, so it never pays out or ships again.
  const earlier = incidents.find(
    (i) =>
      i !== incident &&
      i.kind !== 'delay' &&
      sameTrouble(i, incident) &&
      (i.status !== 'resolved' || i.resolution?.action === 'refund' || i.resolution?.action === 'replacement') &&
      i.shipmentIds.some((s) => incident.shipmentIds.includes(s)),
  );
  if (scope.length === 0 || earlier) {
    incident.status = 'resolved';
    incident.resolution = earlier
      ? { action: 'merged', into: earlier.id }
      : { action: 'dismissed', reason: 'no shipment of the order it could concern is still on its way' };
    incident.resolvedAt = incident.openedAt;
    await order.run('record the incident', () => order.acts.openIncident({ orderId: order.orderId, incident: record(incident), transitions: [] }), keep);
    await order.run('record the incident', () =>
      order.acts.updateIncident({ orderId: order.orderId, incidentId: id, status: 'resolved', resolution: incident.resolution, transitions: [] }),
    );
    return;
  }

  const toException = state.status === 'delivery_exception' ? [] : [{ status: 'delivery_exception' as const, detail: { incidentId: id, kind: incident.kind } }];
  const { openedAt } = await order.transition(
    `open the ${incident.kind} incident`,
    toException,
    (transitions) => order.acts.openIncident({ orderId: order.orderId, incident: record(incident), transitions }),
    keep,
  );
  incident.openedAt = openedAt;

  switch (incident.kind) {
    case 'delay':
      return delayed(order, incident);
    case 'lost':
    case 'damaged': {
      const claim = await order.run('file a claim with the carrier', () =>
        order.acts.fileCarrierClaim({ orderId: order.orderId, incidentId: id, shipmentIds: incident.shipmentIds }),
      keep);
      incident.resolution = undefined;
      return askCustomer(order, incident, claim);
    }
    case 'refused':
      for (const s of scope) s.returning = true;
      return waitForReturn(order, incident);
    case 'address_problem': {
      incident.waitingFor = 'address_correction';
      const windowMs = order.settings.incidentResponseWindowMs ?? order.settings.correctionWindowMs;
      incident.waitUntil = Date.now() + windowMs;
      order.ask('correction', windowMs, { incidentId: id, field: 'customer.address', reason: incident.detail ?? 'the carrier could not deliver to the address' });
      return;
    }
  }
}

/** Which shipments a report is about: the one it names, or every one its kind can concern. */
function shipmentsInScope(state: OrderState, report: DeliveryExceptionReport): ShipmentState[] {
  const active = activeShipments(state);
  if (report.shipmentId) return active.filter((s) => s.shipmentId === report.shipmentId);
  if (report.kind === 'damaged') {
    const delivered = active.filter((s) => s.status === 'delivered');
    return delivered.length > 0 ? delivered : active;
  }
  return active.filter((s) => s.status !== 'delivered');
}

function record(i: IncidentState): IncidentRecord {
  return {
    id: i.id,
    kind: i.kind,
    status: i.status,
    reportedBy: i.reportedBy,
    detail: i.detail,
    shipmentIds: i.shipmentIds,
    newEta: i.newEta,
    options: i.options,
  };
}

/** Delay: the customer is told the new ETA; past the promise, compensated (R4.9). */
async function delayed(order: OrderRun, incident: IncidentState): Promise<void> {
  const newEta = incident.newEta;
  if (!newEta) return resolve(order, incident, { action: 'customer_notified', note: 'no new date was given' });
  const policy = order.settings.delayCompensation ?? { kind: 'none' as const };
  const { compensation, promised } = await order.run(
    'tell the customer the new delivery date',
    () => order.acts.recordDelay({ orderId: order.orderId, incidentId: incident.id, shipmentIds: incident.shipmentIds, newEta, policy }),
    keep,
  );
  await resolve(
    order,
    incident,
    compensation && compensation.amount > 0
      ? { action: 'compensated', newEta, promised, amount: compensation.amount, currency: compensation.currency }
      : { action: 'customer_notified', newEta, promised },
  );
}

/** Lost or damaged: the customer chooses replacement or refund within the window. */
async function askCustomer(order: OrderRun, incident: IncidentState, claim: { amount: number; currency: string }): Promise<void> {
  const windowMs = order.settings.incidentResponseWindowMs ?? order.settings.correctionWindowMs;
  incident.options = optionsFor(incident.kind);
  incident.status = 'awaiting_customer';
  incident.waitingFor = 'customer_choice';
  incident.waitUntil = Date.now() + windowMs;
  await order.run(
    'ask the customer',
    () =>
      order.acts.updateIncident({
        orderId: order.orderId,
        incidentId: incident.id,
        status: 'awaiting_customer',
        options: incident.options,
        transitions: [],
      }),
    keep,
  );
  void claim;
  askChoices(order);
}

/** One open question lists every incident awaiting the customer's choice. */
function askChoices(order: OrderRun): void {
  const waiting = unresolved(order.state).filter((i) => i.waitingFor === 'customer_choice');
  if (waiting.length === 0) return order.answered('incident_resolution');
  const until = Math.min(...waiting.map((i) => i.waitUntil ?? Infinity));
  order.ask('incident_resolution', Number.isFinite(until) ? Math.max(0, until - Date.now()) : undefined, {
    incidents: waiting.map((i) => ({ incidentId: i.id, kind: i.kind, options: i.options })),
  });
}

async function waitForReturn(order: OrderRun, incident: IncidentState): Promise<void> {
  incident.waitingFor = 'return';
  const waitMs = order.settings.returnWaitMs ?? order.settings.trackingStallAfterMs;
  incident.waitUntil = Date.now() + waitMs;
  await order.run(
    'record the return',
    () => order.acts.updateIncident({ orderId: order.orderId, incidentId: incident.id, status: 'open', transitions: [] }),
    keep,
  );
}

/** Moves one incident's playbook on, if what it waits for has come (or its time is up). */
async function advance(order: OrderRun, incident: IncidentState): Promise<void> {
  const { state } = order;
  const timeUp = incident.waitUntil !== undefined && incident.waitUntil <= Date.now();
  switch (incident.waitingFor) {
    case 'customer_choice':
      if (incident.choice) return settleChoice(order, incident, incident.choice);
      // Nobody answered: the customer's money is safe, so they are refunded.
      if (timeUp) return settleChoice(order, incident, 'refund', 'no choice within the response window');
      return;
    case 'address_correction': {
      if (state.addressCorrection?.incidentId === incident.id) return correctAddress(order, incident);
      const back = incident.shipmentIds.some((id) => shipment(state, id)?.returning);
      if (back || timeUp) {
        // Nobody corrected it in time: the carrier brings the parcel back, and it is refunded.
        order.answered('correction');
        for (const id of incident.shipmentIds) {
          const s = shipment(state, id);
          if (s) s.returning = true;
        }
        return waitForReturn(order, incident);
      }
      return;
    }
    case 'return': {
      const back = incident.shipmentIds.every((id) => shipment(state, id)?.returned);
      if (back) return returned(order, incident);
      if (timeUp) {
        await order.run('write off what never came back', () =>
          order.acts.writeOffShipments({ orderId: order.orderId, incidentId: incident.id, shipmentIds: incident.shipmentIds, reason: 'not_returned' }),
        keep);
        return refundAndClose(order, incident, 'lost', 'refund', 'the parcel never came back');
      }
      return;
    }
    default:
      return;
  }
}

/** The customer's choice (or the default) carried out, to the end. */
async function settleChoice(order: OrderRun, incident: IncidentState, choice: ResolutionChoice, note?: string): Promise<void> {
  incident.waitingFor = undefined;
  incident.waitUntil = undefined;
  askChoices(order);
  const closedAs: ShipmentClosure = incident.kind === 'lost' ? 'lost' : 'damaged';
  await order.run('write off the goods', () =>
    order.acts.writeOffShipments({ orderId: order.orderId, incidentId: incident.id, shipmentIds: incident.shipmentIds, reason: closedAs === 'lost' ? 'lost' : 'damaged' }),
  keep);
  if (choice === 'replacement') {
    await close(order, incident.shipmentIds, closedAs);
    const sent = await sendReplacement(order, incident);
    if (sent) return resolve(order, incident, { action: 'replacement', shipmentIds: sent, ...(note ? { note } : {}) });
    note = 'no stock or carrier for a replacement: refunded instead';
  }
  return refundAndClose(order, incident, closedAs, 'refund', note);
}

async function refundAndClose(
  order: OrderRun,
  incident: IncidentState,
  closedAs: ShipmentClosure,
  action: 'refund' | 'returned_and_refunded',
  note?: string,
): Promise<void> {
  const refund = await order.run('refund the customer', () =>
    order.acts.refundShipments({ orderId: order.orderId, incidentId: incident.id, shipmentIds: incident.shipmentIds, reason: incident.kind }),
  keep);
  await close(order, incident.shipmentIds, closedAs);
  await resolve(order, incident, { action, amount: refund.amount, currency: refund.currency, ...(note ? { note } : {}) });
}

async function close(order: OrderRun, shipmentIds: string[], closedAs: ShipmentClosure): Promise<void> {
  const open = shipmentIds.filter((id) => !shipment(order.state, id)?.closedAs);
  if (open.length === 0) return;
  await order.run('close the shipments', () => order.acts.closeShipments({ orderId: order.orderId, shipmentIds: open, closedAs }), keep);
  for (const id of open) shipment(order.state, id)!.closedAs = closedAs;
}

/** Refused (or never corrected) and back with us: restocked and refunded. */
async function returned(order: OrderRun, incident: IncidentState): Promise<void> {
  incident.waitingFor = undefined;
  incident.waitUntil = undefined;
  await order.run('put the returned goods back on the shelf', () =>
    order.acts.restockReturn({ orderId: order.orderId, incidentId: incident.id, shipmentIds: incident.shipmentIds }),
  keep);
  await refundAndClose(order, incident, 'returned', 'returned_and_refunded');
}

/**
 * A replacement: the lines reserved again (any warehouse), quoted, planned as new
 * shipments with their own booking keys, booked and dispatched. Undefined when there is
 * no stock or no carrier for it.
 */
export async function sendReplacement(order: OrderRun, incident: Pick<IncidentState, 'id' | 'shipmentIds'>): Promise<string[] | undefined> {
  const { state } = order;
  // The fulfilment number is kept on the state before any call, so a retry reuses it.
  const fulfilment = (state.replacements ?? 0) + 1;
  state.replacements = fulfilment;
  const base = { orderId: order.orderId, incidentId: incident.id, fulfilment };
  let consignments;
  try {
    ({ consignments } = await order.run(
      'reserve the replacement',
      () => order.acts.reserveReplacement({ ...base, shipmentIds: incident.shipmentIds }),
      { ...keep, handles: [BusinessFailure.InsufficientStock] },
    ));
  } catch (err) {
    if (failureType(err) === BusinessFailure.InsufficientStock) return undefined;
    throw err;
  }
  const quotes = await Promise.all(
    consignments.map((c) => order.run(`quote carriers for the replacement from ${c.warehouseCode}`, () => order.carriers.quoteRates(c.rateRequest), keep)),
  );
  let planned;
  try {
    ({ shipments: planned } = await order.run(
      'plan the replacement',
      () => order.acts.planReplacement({ ...base, consignments: consignments.map((c, i) => ({ ...c, quotes: quotes[i]! })), transitions: [] }),
      { ...keep, handles: [BusinessFailure.NoCarrierAvailable] },
    ));
  } catch (err) {
    if (failureType(err) !== BusinessFailure.NoCarrierAvailable) throw err;
    await order.run('give back the replacement stock', () => order.acts.releaseReplacement({ orderId: order.orderId, fulfilment }), keep);
    return undefined;
  }
  for (const p of planned) {
    if (!shipment(state, p.shipmentId)) state.shipments.push({ ...p, status: 'planned', replaces: incident.id });
  }
  const bookings = await Promise.all(
    planned.map((p) =>
      order.run(`book the replacement with ${p.carrier}`, () =>
        order.carriers.bookShipment({ shipmentId: p.shipmentId, bookingKey: p.bookingKey, request: p.bookingRequest }),
      keep),
    ),
  );
  await order.run('record the replacement dispatch', () => order.acts.recordDispatch({ orderId: order.orderId, bookings, transitions: [] }), keep);
  for (const b of bookings) {
    const s = shipment(state, b.shipmentId);
    if (!s) continue;
    s.trackingNumber = b.trackingNumber;
    if (s.status === 'planned') s.status = 'label_created';
  }
  return planned.map((p) => p.shipmentId);
}

/** Address problem: the corrected address checked, every parcel re-routed, delivery goes on. */
async function correctAddress(order: OrderRun, incident: IncidentState): Promise<void> {
  const { state } = order;
  const { customer } = state.addressCorrection!;
  state.addressCorrection = undefined;
  const { verification } = await order.run('check the corrected address', () =>
    order.acts.correctDeliveryAddress({ orderId: order.orderId, incidentId: incident.id, customer }),
  keep);
  state.addressCorrectionResult = verification;
  if (verification.ok) {
    state.draft = { ...state.draft, customer };
    const a = customer.address;
    for (const id of incident.shipmentIds) {
      const s = shipment(state, id);
      if (!s || s.closedAs) continue;
      const destination: BookingRequest['destination'] = {
        ...s.bookingRequest.destination,
        name: customer.name,
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        region: a.region,
        postalCode: a.postalCode,
        country: a.country,
        phone: customer.phone,
      };
      if (s.trackingNumber) {
        const trackingNumber = s.trackingNumber;
        await order.run(`re-route the parcel with ${s.carrier}`, () => order.carriers.rerouteShipment({ carrier: s.carrier, trackingNumber, destination }), keep);
      }
      s.bookingRequest = { ...s.bookingRequest, destination };
    }
    incident.waitingFor = undefined;
    incident.waitUntil = undefined;
    order.answered('correction');
  }
  state.addressCorrectionRound = (state.addressCorrectionRound ?? 0) + 1;
  if (verification.ok) await resolve(order, incident, { action: 'rerouted', city: customer.address.city, postalCode: customer.address.postalCode });
}

/** Writes the incident's end; with none left open, the order is back on its journey. */
async function resolve(order: OrderRun, incident: IncidentState, resolution: IncidentResolution): Promise<void> {
  const { state } = order;
  incident.waitingFor = undefined;
  incident.waitUntil = undefined;
  const othersOpen = unresolved(state).some((i) => i !== incident) || (state.exceptionInbox?.length ?? 0) > 0;
  const back =
    !othersOpen && state.status === 'delivery_exception' && activeShipments(state).length > 0
      ? [{ status: journeyStatus(state), detail: { incidentId: incident.id, resolution: resolution.action } }]
      : [];
  const { resolvedAt } = await order.transition(
    `resolve the ${incident.kind} incident`,
    back,
    (transitions) => order.acts.updateIncident({ orderId: order.orderId, incidentId: incident.id, status: 'resolved', resolution, transitions }),
    keep,
  );
  incident.status = 'resolved';
  incident.resolution = resolution;
  incident.resolvedAt = resolvedAt ?? new Date().toISOString();
  askChoices(order);
}

/** A carrier's exception event as a report (or, for a return, as the parcel's news). */
export function carrierReport(
  order: OrderRun,
  s: ShipmentState,
  event: { statusDetail?: string; description: string; newEta?: string },
): DeliveryExceptionReport | undefined {
  const kind = exceptionKindOf(event.statusDetail) ?? exceptionKindOf(event.description);
  if (!kind) return undefined;
  return { shipmentId: s.shipmentId, kind, reportedBy: 'carrier', detail: event.description, newEta: event.newEta };
}

export function incidentView(i: IncidentState): IncidentView {
  return {
    id: i.id,
    kind: i.kind,
    status: i.status,
    reportedBy: i.reportedBy,
    shipmentIds: [...i.shipmentIds],
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    options: [...i.options],
    resolution: i.resolution,
  };
}

/** The messages of delivery exceptions: reports, delays, the customer's choice, expediting. */
export function exceptionMessages(order: OrderRun): void {
  const { state } = order;
  const report = (r: DeliveryExceptionReport) => {
    // A signal cannot be refused: one that makes no sense is noted and dropped.
    if (!EXCEPTION_KINDS.includes(r?.kind) || !REPORTERS.includes(r?.reportedBy)) return;
    if (order.isFinal) return;
    (state.exceptionInbox ??= []).push(r);
  };
  setHandler(deliveryException, report);
  setHandler(delay, (notice) => {
    if (typeof notice?.newEta !== 'string') return;
    report({ kind: 'delay', shipmentId: notice.shipmentId, newEta: notice.newEta, reportedBy: notice.reportedBy ?? 'carrier', detail: notice.detail });
  });

  setHandler(
    chooseResolution,
    async ({ incidentId, choice }) => {
      const incident = incidentsOf(state).find((i) => i.id === incidentId)!;
      incident.choice = choice;
      await condition(() => incident.status === 'resolved' || order.isFinal);
      return { status: state.status, incident: incidentView(incident) };
    },
    {
      validator: ({ incidentId, choice }) => {
        const incident = incidentsOf(state).find((i) => i.id === incidentId);
        if (!incident) throw invalid(`order ${state.number ?? order.orderId} has no incident ${incidentId}`, { code: 'incident_not_found' });
        if (incident.waitingFor !== 'customer_choice' || incident.choice) {
          throw wrongState(order, `incident ${incidentId} (${incident.kind}) is ${incident.status}; it is not waiting for the customer's choice`);
        }
        if (!incident.options.includes(choice)) {
          throw wrongState(order, `"${String(choice)}" is not on offer for incident ${incidentId}; the options are: ${incident.options.join(', ')}`);
        }
      },
    },
  );

  setHandler(
    expedite,
    async ({ incidentId }) => {
      const incident = incidentsOf(state).find((i) => i.id === incidentId)!;
      let newEta = '';
      for (const id of incident.shipmentIds) {
        const s = shipment(state, id);
        if (!s?.trackingNumber || s.closedAs || s.status === 'delivered') continue;
        const trackingNumber = s.trackingNumber;
        ({ newEta } = await order.carriers.expediteShipment({ carrier: s.carrier, trackingNumber }));
      }
      const resolution = { ...(incident.resolution ?? { action: 'customer_notified' as const }), expedited: { newEta } };
      await order.acts.updateIncident({ orderId: order.orderId, incidentId, status: incident.status, resolution, transitions: [] });
      incident.resolution = resolution;
      return { newEta };
    },
    {
      validator: ({ incidentId }) => {
        const incident = incidentsOf(state).find((i) => i.id === incidentId);
        if (!incident) throw invalid(`order ${state.number ?? order.orderId} has no incident ${incidentId}`, { code: 'incident_not_found' });
        if (incident.kind !== 'delay') throw wrongState(order, `incident ${incidentId} is ${incident.kind}; only a delay is expedited`);
        const moving = incident.shipmentIds.map((id) => shipment(state, id)).filter((s) => s && !s.closedAs && s.status !== 'delivered');
        if (moving.length === 0) throw wrongState(order, `${describe(order)}; the delayed parcel is no longer on its way`);
      },
    },
  );
}

/** Nothing reached the customer to keep: every line was paid back. The order ends `refunded`. */
export async function endRefunded(order: OrderRun): Promise<void> {
  const reasons = [...new Set(order.state.shipments.map((s) => s.closedAs))].join(', ');
  await order.moveTo('refunded', { reason: `every shipment ended ${reasons}` });
}
