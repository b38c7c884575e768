import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for';
import { LONG_MS, SHORT_MS, messages, signOffProof, startHarness, type Harness, type OrderView, type TestOrder } from './harness';

// Each delivery-exception playbook (workflows/order/exceptions.ts) against the workflow
// alone: real workflow code on a real Temporal server, in-memory activities. What the
// order shows, what it asked of its activities, and how it ended.

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.endOrders();
});
afterAll(async () => {
  await harness?.stop();
});

const statuses = (v: OrderView) => v.timeline.map((t) => t.status);
const incident = (v: OrderView, kind: string) => v.incidents?.find((i) => i.kind === kind);
const awaitingChoice = (v: OrderView) => v.incidents?.some((i) => i.status === 'awaiting_customer') ?? false;

/** Versions only go up, and between exceptions the journey only goes forward. */
function expectTimelineForward(v: OrderView): void {
  const versions = v.timeline.map((t) => t.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  const journey = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered'];
  let rank = -1;
  for (const { status } of v.timeline) {
    if (status === 'delivery_exception') rank = -1;
    const r = journey.indexOf(status);
    if (r < 0) continue;
    expect(r, `${statuses(v).join(' → ')}`).toBeGreaterThanOrEqual(rank);
    rank = r;
  }
}

async function choose(order: TestOrder, choice: 'replacement' | 'refund') {
  const waiting = await order.waitForView(awaitingChoice, 'the customer to be asked');
  const open = waiting.incidents!.find((i) => i.status === 'awaiting_customer')!;
  return order.handle.executeUpdate(messages.chooseResolution, { args: [{ incidentId: open.id, choice }] });
}

describe('a lost parcel', () => {
  it('is replaced when the customer asks: the goods written off, a second shipment with its own booking key delivered, the order completed', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS, signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'lost' }]);

    const reply = await choose(order, 'replacement');
    expect(reply.incident).toMatchObject({ kind: 'lost', status: 'resolved', resolution: { action: 'replacement' } });
    const done = await order.result();
    expect(done.status).toBe('completed');

    const view = await order.view();
    expect(view.shipments).toHaveLength(2);
    expect(view.shipments[0]).toMatchObject({ closedAs: 'lost' });
    expect(view.shipments[1]).toMatchObject({ replaces: reply.incident.id, status: 'delivered' });
    const keys = order.world.callsOf('bookShipment').map((c) => c.input.bookingKey);
    expect(new Set(keys).size).toBe(2);
    expect(order.world.callsOf('fileCarrierClaim')).toHaveLength(1);
    expect(order.world.callsOf('writeOffShipments')[0]!.input).toMatchObject({ reason: 'lost' });
    expect(order.world.callsOf('refundShipments')).toHaveLength(0);
    expect(statuses(view)).toContain('delivery_exception');
    expectTimelineForward(view);
  });

  it('is refunded when nobody chooses within the window, and the order ends refunded', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'lost' }]);
    const done = await order.result();
    expect(done.status).toBe('refunded');
    const view = await order.view();
    expect(incident(view, 'lost')).toMatchObject({ status: 'resolved', resolution: { action: 'refund', amount: 4430, note: expect.stringMatching(/no choice/) } });
    expect(order.world.callsOf('recordSignOff')).toHaveLength(0);
    expect(order.world.callsOf('settleOrder')).toHaveLength(0);
    expect(statuses(view).slice(-2)).toEqual(['delivery_exception', 'refunded']);
  });

  it('is presumed lost after the configured silence', async () => {
    const order = await harness.startOrder({ settings: { presumeLostAfterMs: 200, incidentResponseWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }]);
    expect((await order.result()).status).toBe('refunded');
    const view = await order.view();
    expect(incident(view, 'lost')).toMatchObject({ reportedBy: 'operator', resolution: { action: 'refund' } });
  });

  it('refuses an option not on offer, naming those that are', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'lost' }]);
    const waiting = await order.waitForView(awaitingChoice, 'the customer to be asked');
    const id = waiting.incidents![0]!.id;
    const err = await order.handle
      .executeUpdate(messages.chooseResolution, { args: [{ incidentId: id, choice: 'store_credit' as never }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String(((err as Error).cause as Error | undefined)?.message)).toMatch(/options are: replacement, refund/);
    expect((await order.view()).incidents![0]!.status).toBe('awaiting_customer');
  });
});

describe('reports by signal', () => {
  it('deliveryException: an operator\'s report opens the incident under the id it was sent with; a second report of the same trouble is merged', async () => {
    const order = await harness.startOrder({ settings: { trackingPollIntervalMs: LONG_MS, incidentResponseWindowMs: LONG_MS } });
    await order.waitForStatus('dispatched');
    await order.handle.signal(messages.deliveryException, { incidentId: 'inc-1', kind: 'lost', reportedBy: 'operator', detail: 'the depot cannot find it' });
    const asked = await order.waitForView(awaitingChoice, 'the customer to be asked');
    expect(asked.status).toBe('delivery_exception');
    expect(asked.incidents![0]).toMatchObject({ id: 'inc-1', kind: 'lost', reportedBy: 'operator', options: ['replacement', 'refund'] });

    await order.handle.signal(messages.deliveryException, { incidentId: 'inc-2', kind: 'damaged', reportedBy: 'customer' });
    const merged = await order.waitForView((v) => incident(v, 'damaged')?.status === 'resolved', 'the second report to be merged');
    expect(incident(merged, 'damaged')!.resolution).toEqual({ action: 'merged', into: 'inc-1' });
    expect(order.world.callsOf('fileCarrierClaim')).toHaveLength(1);
  });

  it('delay: a planner\'s new ETA is told to the customer and the journey goes on', async () => {
    const order = await harness.startOrder({ settings: { trackingPollIntervalMs: LONG_MS } });
    await order.waitForStatus('dispatched');
    await order.handle.signal(messages.delay, { newEta: '2026-12-05', reportedBy: 'operator', detail: 'hub backlog' });
    const handled = await order.waitForView((v) => incident(v, 'delay')?.status === 'resolved', 'the delay to be handled');
    expect(incident(handled, 'delay')!.resolution).toMatchObject({ action: 'customer_notified', newEta: '2026-12-05' });
    expect(handled.status).toBe('dispatched');
    expect(statuses(handled).slice(-2)).toEqual(['delivery_exception', 'dispatched']);
    expect(order.world.callsOf('recordDelay')[0]!.input).toMatchObject({ newEta: '2026-12-05', shipmentIds: [handled.shipments[0]!.shipmentId] });
  });
});

describe('damaged goods', () => {
  it('found at the door open an incident instead of a sign-off; a refund ends the order refunded and nobody signs', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS, signOffWindowMs: LONG_MS } });
    const delivered = await order.waitForView((v) => v.openQuestions.some((q) => q.kind === 'sign_off'), 'the sign-off question');
    const reply = await order.handle.executeUpdate(messages.signOff, { args: [{ ...signOffProof(delivered.number!), packagingIntact: false }] });
    expect(reply.incidentId).toBeTruthy();
    expect(reply.signedAt).toBeUndefined();

    await choose(order, 'refund');
    expect((await order.result()).status).toBe('refunded');
    const view = await order.view();
    expect(incident(view, 'damaged')).toMatchObject({ id: reply.incidentId, reportedBy: 'customer', resolution: { action: 'refund', amount: 4430 } });
    expect(order.world.callsOf('recordSignOff')).toHaveLength(0);
    expect(order.world.callsOf('writeOffShipments')[0]!.input).toMatchObject({ reason: 'damaged' });
  });

  it('reported by the carrier are never signed for by its proof of delivery: replaced, then the replacement is signed', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS, signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'damaged' }]);
    await choose(order, 'replacement');
    expect((await order.result()).status).toBe('completed');
    const signOff = order.world.callsOf('recordSignOff');
    expect(signOff).toHaveLength(1);
    const detail = order.world.written.find((t) => t.status === 'signed_off')?.detail;
    expect(detail).toMatchObject({ method: 'carrier_proof_of_delivery', excludedShipments: [expect.any(String)] });
  });
});

describe('the other playbooks', () => {
  it('delay: the customer is told and compensated past the promise; the journey goes on', async () => {
    const order = await harness.startOrder({
      settings: { delayCompensation: { kind: 'percent', basisPoints: 1000 }, signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS },
    });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'delayed', newEta: '2026-12-09' }, { status: 'out_for_delivery' }, { status: 'delivered' }]);
    expect((await order.result()).status).toBe('completed');
    const view = await order.view();
    expect(incident(view, 'delay')).toMatchObject({ status: 'resolved', resolution: { action: 'compensated', amount: 443, newEta: '2026-12-09' } });
    expect(order.world.callsOf('recordDelay')[0]!.input).toMatchObject({ newEta: '2026-12-09', policy: { kind: 'percent', basisPoints: 1000 } });
    expectTimelineForward(view);
  });

  it('delay: an operator expedites the parcel; the new date is on the incident and the parcel arrives', async () => {
    const order = await harness.startOrder({ settings: { signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'exception', statusDetail: 'weather delay', newEta: '2026-12-12' }]);
    const delayed = await order.waitForView((v) => incident(v, 'delay')?.status === 'resolved', 'the delay to be handled');
    const id = incident(delayed, 'delay')!.id;
    const reply = await order.handle.executeUpdate(messages.expedite, { args: [{ incidentId: id }] });
    expect(reply).toEqual({ newEta: '2026-12-03' });
    expect((await order.result()).status).toBe('completed');
    expect(incident(await order.view(), 'delay')!.resolution).toMatchObject({ expedited: { newEta: '2026-12-03' } });
    expect(order.world.callsOf('expediteShipment')).toHaveLength(1);
  });

  it('refused: the parcel comes back, is restocked and refunded', async () => {
    const order = await harness.startOrder({ settings: { returnWaitMs: LONG_MS } });
    order.world.journeys.set(1, [
      { status: 'in_transit' },
      { status: 'out_for_delivery' },
      { status: 'exception', statusDetail: 'refused' },
      { status: 'exception', statusDetail: 'return_to_sender' },
      { status: 'returned' },
    ]);
    expect((await order.result()).status).toBe('refunded');
    const view = await order.view();
    expect(view.incidents).toHaveLength(1);
    expect(incident(view, 'refused')).toMatchObject({ resolution: { action: 'returned_and_refunded', amount: 4430 } });
    expect(order.world.restocked).toBe(3);
    expect(order.world.writtenOff).toBe(0);
  });

  it('address problem: a corrected address re-routes the parcel and it is delivered', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS, signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }, { status: 'out_for_delivery' }, { status: 'exception', statusDetail: 'address_not_found' }]);
    const waiting = await order.waitForView((v) => v.openQuestions.some((q) => q.kind === 'correction'), 'the address question');
    expect(waiting.status).toBe('delivery_exception');
    const customer = {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+49 30 1234567',
      address: { line1: 'Friedrichstraße 43', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
    };
    const reply = await order.handle.executeUpdate(messages.correctOrder, { args: [{ customer }] });
    expect(reply.verification.ok).toBe(true);
    expect((await order.result()).status).toBe('completed');
    const reroute = order.world.callsOf('rerouteShipment');
    expect(reroute).toHaveLength(1);
    expect(reroute[0]!.input.destination).toMatchObject({ line1: 'Friedrichstraße 43' });
    expect(incident(await order.view(), 'address_problem')).toMatchObject({ resolution: { action: 'rerouted' } });
  });

  it('cancel after booking, before pickup: the booking is voided and the stock given back', async () => {
    const order = await harness.startOrder({ settings: { trackingPollIntervalMs: LONG_MS } });
    await order.waitForStatus('dispatched');
    const reply = await order.handle.executeUpdate(messages.cancel, { args: [{ reason: 'changed my mind' }] });
    expect(reply.status).toBe('cancelled');
    expect(order.world.callsOf('voidShipment')).toHaveLength(1);
    expect(order.world.callsOf('releaseStock')).toHaveLength(1);
    expect([...order.world.held.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect((await order.view()).shipments[0]).toMatchObject({ closedAs: 'voided' });
  });

  it('cancel once the carrier has the parcel is refused', async () => {
    const order = await harness.startOrder({ settings: { incidentResponseWindowMs: LONG_MS } });
    order.world.journeys.set(1, [{ status: 'in_transit' }]);
    await order.waitForStatus('in_transit');
    const err = await order.handle.executeUpdate(messages.cancel, { args: [{ reason: 'too late' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String(((err as Error).cause as Error | undefined)?.message)).toMatch(/with the carrier/);
  });

  it('a ship-date change accepted moves the pickup; one declined leaves the date', async () => {
    const order = await harness.startOrder({ settings: { trackingPollIntervalMs: LONG_MS, shipDateResponseWindowMs: LONG_MS } });
    await order.waitForStatus('dispatched');
    const proposed = await order.handle.executeUpdate(messages.proposeShipDate, {
      args: [{ proposalId: 'p-1', proposedShipDate: '2099-12-09', reason: 'the packing line is down' }],
    });
    expect(proposed).toEqual({ proposalId: 'p-1', previousShipDate: '2026-12-02' });
    expect((await order.view()).openQuestions.map((q) => q.kind)).toContain('ship_date');
    const accepted = await order.handle.executeUpdate(messages.respondToShipDate, { args: [{ accept: true }] });
    expect(accepted).toEqual({ shipDate: '2026-12-09', answer: 'accepted' });
    expect(order.world.callsOf('reschedulePickup')[0]!.input).toMatchObject({ shipDate: '2026-12-09' });

    await order.handle.executeUpdate(messages.proposeShipDate, { args: [{ proposalId: 'p-2', proposedShipDate: '2099-12-10', reason: 'again' }] });
    const declined = await order.handle.executeUpdate(messages.respondToShipDate, { args: [{ accept: false }] });
    expect(declined.answer).toBe('declined');
    expect(order.world.callsOf('reschedulePickup')).toHaveLength(1);
  });

  it('a delivery confirmation with a window reschedules the carrier; one nobody sends closes with its window', async () => {
    const order = await harness.startOrder({ settings: { trackingPollIntervalMs: LONG_MS, deliveryConfirmationWindowMs: LONG_MS } });
    await order.waitForView((v) => v.openQuestions.some((q) => q.kind === 'delivery_confirmation'), 'the confirmation question');
    const window = { from: new Date(Date.now() + 86_400_000).toISOString(), to: new Date(Date.now() + 90_000_000).toISOString() };
    const reply = await order.handle.executeUpdate(messages.confirmDelivery, { args: [{ addressConfirmed: true, contactPhone: '+49 30 555', window }] });
    expect(reply.rescheduled).toBe(true);
    expect(order.world.callsOf('scheduleDelivery')[0]!.input).toMatchObject({ window });
    expect(order.world.callsOf('recordDeliveryConfirmation')[0]!.input).toMatchObject({ addressConfirmed: true, rescheduled: true });

    const quiet = await harness.startOrder({ settings: { deliveryConfirmationWindowMs: SHORT_MS, trackingPollIntervalMs: LONG_MS } });
    await quiet.waitForStatus('dispatched');
    await waitFor(async () => !(await quiet.view()).openQuestions.some((q) => q.kind === 'delivery_confirmation'), {
      timeoutMs: 5_000,
      message: 'the confirmation window to close',
    });
    expect((await quiet.view()).status).toBe('dispatched');
  });
});
