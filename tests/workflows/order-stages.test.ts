import { ApplicationFailure, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierTrackingEvent } from '../../src/domain/carrier-contract';
import { waitFor } from '../helpers/wait-for';
import {
  FEEDBACK,
  LONG_MS,
  MessageRejection,
  SHORT_MS,
  carrierRejected,
  messages,
  signOffProof,
  startHarness,
  type FakeWorld,
  type Harness,
  type OrderView,
  type TestOrder,
} from './harness';

// Every stage path of the order workflow against the workflow alone: the real workflow
// code on a real Temporal server, every activity an in-memory fake (tests/workflows/
// harness.ts). What the order shows (the `view` timeline, its open questions), what it
// asked of its activities, and how it ended, per path. The seams (HTTP, Postgres, the
// carrier sandbox) are the e2e tests' business.

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

const DISPATCHED = ['reserved', 'planned', 'dispatched'] as const;
const DELIVERED = [...DISPATCHED, 'in_transit', 'out_for_delivery', 'delivered'] as const;

/** The order never shows a status its database did not get first, with the same version. */
function expectTimelineWritten(order: TestOrder, { timeline }: OrderView): void {
  for (const entry of timeline) {
    expect(order.world.written, `${entry.status} v${entry.version} was written`).toContainEqual(
      expect.objectContaining({ version: entry.version, status: entry.status }),
    );
  }
}

/** The written status change to `status` (the last one, if several). */
function writtenChange(order: TestOrder, status: string) {
  return order.world.written.filter((t) => t.status === status).at(-1);
}

// Tests script a fake (failNext, hold) right after starting the order: every scripted step
// comes after VERIFY and RESERVE, two activity round trips that cannot have happened yet.

/** No tracking poll for a minute: a dispatched order stays `dispatched`. */
const PARK_IN_TRACK = { trackingPollIntervalMs: LONG_MS };

const awaitingSignOff = (v: OrderView) => v.openQuestions.some((q) => q.kind === 'sign_off');
/** The attention flag was written (with a reason matching `reason`). */
const flagged =
  (reason = /./) =>
  (w: FakeWorld) =>
    w.callsOf('recordAttention').some((c) => c.input.needsAttention && reason.test(c.input.reason));

/** The update's refusal: a WrongState (409) or Invalid (422) ApplicationFailure. */
async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('VERIFY: correction', () => {
  it('a failed check waits for a correction with its reasons; the corrected order is verified again and goes on', async () => {
    const bad = { name: 'Ada Lovelace', email: 'ada@example.com', address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: 'BER-1', country: 'DE' } };
    const order = await harness.startOrder({ draft: { customer: bad }, settings: PARK_IN_TRACK });

    const waiting = await order.waitForStatus('needs_correction');
    expect(waiting.verification).toEqual({ ok: false, reasons: [expect.objectContaining({ code: 'postal_code_invalid', field: 'customer.address.postalCode' })] });
    const question = waiting.openQuestions.find((q) => q.kind === 'correction');
    expect(question?.detail).toEqual({ reasons: waiting.verification!.reasons });
    expect(Date.parse(question!.until!) - Date.parse(question!.since)).toBe(60_000);
    expect(writtenChange(order, 'needs_correction')?.detail).toEqual({ reasons: waiting.verification!.reasons });
    expect(order.world.callsOf('reserveStock')).toHaveLength(0);

    const corrected = { ...bad, address: { ...bad.address, postalCode: '10117' } };
    const reply = await order.handle.executeUpdate(messages.correctOrder, { args: [{ customer: corrected }] });
    expect(reply).toMatchObject({ orderId: order.orderId, number: waiting.number, verification: { ok: true, reasons: [] }, created: false });

    const verifications = order.world.callsOf('verifyOrder');
    expect(verifications.map((c) => c.input.correction)).toEqual([false, true]);
    expect(verifications[1]!.input.draft.customer).toEqual(corrected);

    const dispatched = await order.waitForStatus('dispatched');
    expect(dispatched.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'needs_correction', 'verifying', ...DISPATCHED]);
    expect(dispatched.openQuestions).toEqual([]);
    expect(order.world.callsOf('reserveStock')[0]!.error).toBeUndefined();
    expectTimelineWritten(order, dispatched);

    // Only an order that needs correction takes one.
    const late = await refusal(order.handle.executeUpdate(messages.correctOrder, { args: [{ customer: bad }] }));
    expect(late.type).toBe(MessageRejection.WrongState);
  });

  it('no correction within the correction window cancels the order', async () => {
    const order = await harness.startOrder({
      draft: { items: [{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 999 }] },
      settings: { correctionWindowMs: SHORT_MS },
    });

    expect(await order.result()).toMatchObject({ orderId: order.orderId, status: 'cancelled' });
    // One query once it has ended: the worker replays the whole history to answer it.
    const end = await order.view();
    expect(end.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'needs_correction', 'cancelled']);
    expect(writtenChange(order, 'needs_correction')?.detail).toEqual({ reasons: [expect.objectContaining({ code: 'price_mismatch' })] });
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'the order was not corrected within the correction window' });
    expect(order.world.callsOf('verifyOrder')).toHaveLength(1);
    expect(order.world.callsOf('reserveStock')).toHaveLength(0);
    expect(end.openQuestions).toEqual([]);
    expectTimelineWritten(order, end);
  });

  it('a correction sent after the window closed, while the cancel is being written, is refused (WrongState)', async () => {
    const order = await harness.startOrder({
      draft: { items: [{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 999 }] },
      settings: { correctionWindowMs: SHORT_MS },
    });
    // recordStatus writes needs_correction, then cancelled: the second waits at a gate.
    const needsCorrection = order.world.hold('recordStatus');
    const cancelling = order.world.hold('recordStatus');
    await needsCorrection.reached();
    needsCorrection.open();
    await cancelling.reached();
    expect(order.world.callsOf('recordStatus').at(-1)!.input.transitions).toEqual([expect.objectContaining({ status: 'cancelled' })]);

    const late = await order.handle.startUpdate(messages.correctOrder, {
      args: [{ items: [{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 }] }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    cancelling.open();
    const refused = await refusal(late.result());
    expect(refused.type).toBe(MessageRejection.WrongState);
    expect(refused.message).toMatch(/the correction window has closed/);

    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'the order was not corrected within the correction window' });
    expect(order.world.callsOf('verifyOrder')).toHaveLength(1);
  });
});

describe('RESERVE: stockout', () => {
  const SHORT_OF_TEA = { 'TEA-OOLONG-100': 1, 'MUG-STONE-350': 100 };

  it('wait: the order is back-ordered, and reserves and goes on when stock arrives', async () => {
    const order = await harness.startOrder({ stock: SHORT_OF_TEA, settings: PARK_IN_TRACK });

    const asked = await order.waitForStatus('awaiting_stock_decision');
    const question = asked.openQuestions.find((q) => q.kind === 'stock_decision');
    expect(question?.detail).toMatchObject({ shortages: [{ sku: 'TEA-OOLONG-100', requested: 2, available: 1 }] });
    // The options on offer, from the stockoutOptions activity (the fake world offers wait or cancel).
    expect((question?.detail?.options as { decision: string }[]).map((o) => o.decision)).toEqual(['wait', 'cancel']);
    expect(question?.until).toBeDefined();

    expect(await order.handle.executeUpdate(messages.respondToStockout, { args: [{ decision: 'wait' }] })).toEqual({ status: 'backordered' });
    expect(writtenChange(order, 'backordered')?.detail).toEqual({ shortages: [{ sku: 'TEA-OOLONG-100', requested: 2, available: 1 }] });
    // It tried once more at once; now it waits for news (the recheck interval is a minute).
    await waitFor(() => order.world.callsOf('reserveStock').length === 2, { message: 'the second reservation attempt' });
    expect(order.world.callsOf('reserveStock').every((c) => c.error)).toBe(true);

    order.world.available.set('TEA-OOLONG-100', 10);
    await order.handle.signal(messages.stockAvailable, { skus: ['TEA-OOLONG-100'] });

    const dispatched = await order.waitForStatus('dispatched');
    expect(dispatched.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'awaiting_stock_decision', 'backordered', ...DISPATCHED]);
    expect(order.world.callsOf('reserveStock')).toHaveLength(3);
    // Booked, not yet picked up: the goods are held for the order, still on our shelf.
    expect(order.world.held.get('TEA-OOLONG-100')).toBe(2);
    expect(order.world.available.get('TEA-OOLONG-100')).toBe(8);
    expectTimelineWritten(order, dispatched);
  });

  it('cancel: the customer cancels and the order ends cancelled, holding nothing', async () => {
    const order = await harness.startOrder({ stock: SHORT_OF_TEA });
    await order.waitForStatus('awaiting_stock_decision');

    const reply = await order.handle.executeUpdate(messages.respondToStockout, { args: [{ decision: 'cancel', reason: 'found it elsewhere' }] });
    expect(reply).toEqual({ status: 'cancelled' });
    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    const end = await order.view();
    expect(end.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'awaiting_stock_decision', 'cancelled']);
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'found it elsewhere' });
    expect(order.world.callsOf('reserveStock')).toHaveLength(1);
    expect(Object.fromEntries(order.world.available)).toEqual(SHORT_OF_TEA);
    expect(order.world.held.size).toBe(0);
    expectTimelineWritten(order, end);
  });

  it('no decision within the stock decision window cancels the order', async () => {
    const order = await harness.startOrder({ stock: SHORT_OF_TEA, settings: { stockDecisionWindowMs: SHORT_MS } });

    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    const end = await order.view();
    expect(end.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'awaiting_stock_decision', 'cancelled']);
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'no decision on the stockout within the stock decision window' });
    expect(order.world.callsOf('reserveStock')).toHaveLength(1);
    expect(Object.fromEntries(order.world.available)).toEqual(SHORT_OF_TEA);
    expectTimelineWritten(order, end);
  });

  it('a stock decision sent after the window closed, while the cancel is being written, is refused (WrongState)', async () => {
    const order = await harness.startOrder({ stock: SHORT_OF_TEA, settings: { stockDecisionWindowMs: SHORT_MS } });
    // recordStatus writes awaiting_stock_decision, then cancelled: the second waits at a gate.
    const asking = order.world.hold('recordStatus');
    const cancelling = order.world.hold('recordStatus');
    await asking.reached();
    asking.open();
    await cancelling.reached();
    expect(order.world.callsOf('recordStatus').at(-1)!.input.transitions).toEqual([expect.objectContaining({ status: 'cancelled' })]);

    const late = await order.handle.startUpdate(messages.respondToStockout, { args: [{ decision: 'wait' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    cancelling.open();
    const refused = await refusal(late.result());
    expect(refused.type).toBe(MessageRejection.WrongState);
    expect(refused.message).toMatch(/the stock decision window has closed/);

    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'no decision on the stockout within the stock decision window' });
    expect(order.world.callsOf('reserveStock')).toHaveLength(1);
  });
});

describe('operator: a step fails in a way no stage handles', () => {
  const needsOperator = (v: OrderView) => v.needsAttention && v.openQuestions.some((q) => q.kind === 'operator');

  it('the order asks an operator at once; a retry runs the step again and the order goes on', async () => {
    const order = await harness.startOrder({ settings: PARK_IN_TRACK });
    order.world.failNext('quoteRates', carrierRejected());

    const stuck = await order.waitForView(needsOperator, 'an operator question', flagged());
    expect(stuck.status).toBe('reserved');
    expect(stuck.attentionReason).toBe('quote carriers from BER-1 failed: pick-up address not served this week');
    expect(stuck.openQuestions.find((q) => q.kind === 'operator')?.detail).toEqual({ reason: stuck.attentionReason });
    // A business failure is not retried by Temporal: one call, then the question.
    expect(order.world.callsOf('quoteRates')).toHaveLength(1);
    expect(order.world.callsOf('recordAttention').map((c) => c.input)).toEqual([
      { orderId: order.orderId, needsAttention: true, reason: stuck.attentionReason },
    ]);

    await order.handle.signal(messages.operatorAction, { action: 'retry', operator: 'ops@example.com' });

    const dispatched = await order.waitForStatus('dispatched');
    expect(dispatched.needsAttention).toBe(false);
    expect(dispatched.attentionReason).toBeUndefined();
    expect(dispatched.openQuestions).toEqual([]);
    expect(dispatched.timeline.map((t) => t.status)).toEqual(['received', 'verifying', ...DISPATCHED]);
    expect(order.world.callsOf('quoteRates')).toHaveLength(2);
    expect(order.world.callsOf('recordAttention').at(-1)!.input).toEqual({ orderId: order.orderId, needsAttention: false });
    expect(order.world.callsOf('releaseStock')).toHaveLength(0);
    expectTimelineWritten(order, dispatched);
  });

  it('a cancel ends the order cancelled and gives the reserved stock back', async () => {
    const order = await harness.startOrder();
    order.world.failNext('quoteRates', carrierRejected());
    await order.waitForView(needsOperator, 'an operator question', flagged());
    expect(order.world.held.get('TEA-OOLONG-100')).toBe(2);

    await order.handle.signal(messages.operatorAction, { action: 'cancel', reason: 'carrier strike', operator: 'ops@example.com' });

    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    const end = await order.view();
    expect(end.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'reserved', 'cancelled']);
    expect(end.needsAttention).toBe(false);
    expect(end.openQuestions).toEqual([]);
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'carrier strike' });
    const names = order.world.names();
    expect(names.filter((n) => n === 'releaseStock')).toHaveLength(1);
    expect(names.indexOf('releaseStock')).toBeGreaterThan(names.indexOf('reserveStock'));
    expect(order.world.callsOf('releaseStock')[0]!.input).toMatchObject({ orderId: order.orderId });
    expect(order.world.held.size).toBe(0);
    expect(order.world.available.get('TEA-OOLONG-100')).toBe(100);
    expect(order.world.callsOf('planShipments')).toHaveLength(0);
    expectTimelineWritten(order, end);
  });

  it('once a carrier may hold a booking, an operator cancel is refused and only a retry goes on', async () => {
    const order = await harness.startOrder({ settings: PARK_IN_TRACK });
    order.world.failNext('bookShipment', carrierRejected('label service down'));
    const stuck = await order.waitForView(needsOperator, 'an operator question', flagged());
    expect(stuck.attentionReason).toBe('book shipment with swiftpost failed: label service down');

    await order.handle.signal(messages.operatorAction, { action: 'cancel', reason: 'give up' });
    const refused = await order.waitForView((v) => /cannot be cancelled now/.test(v.attentionReason ?? ''), 'the cancel refused', flagged(/cannot be cancelled now/));
    expect(refused.needsAttention).toBe(true);
    expect(order.world.callsOf('bookShipment')).toHaveLength(1);

    await order.handle.signal(messages.operatorAction, { action: 'retry' });
    const dispatched = await order.waitForStatus('dispatched');
    expect(dispatched.timeline.map((t) => t.status)).toEqual(['received', 'verifying', ...DISPATCHED]);
    expect(dispatched.needsAttention).toBe(false);
    expect(dispatched.shipments).toEqual([expect.objectContaining({ carrier: 'swiftpost', status: 'label_created', trackingNumber: expect.any(String) })]);
    expect(order.world.callsOf('bookShipment')).toHaveLength(2);
    expect(order.world.callsOf('releaseStock')).toHaveLength(0);
    expectTimelineWritten(order, dispatched);
  });

  it('a retry sent while a refused cancel is being noted is taken; the question and the flag stay up throughout', async () => {
    const order = await harness.startOrder({ settings: PARK_IN_TRACK });
    order.world.failNext('bookShipment', carrierRejected('label service down'));
    await order.waitForView(needsOperator, 'an operator question', flagged());
    // The next attention write (the one that follows the refused cancel) waits at a gate.
    const noting = order.world.hold('recordAttention');

    await order.handle.signal(messages.operatorAction, { action: 'cancel', reason: 'give up' });
    await noting.reached();
    await order.handle.signal(messages.operatorAction, { action: 'retry', operator: 'ops@example.com' });
    noting.open();

    const dispatched = await order.waitForStatus('dispatched');
    expect(dispatched.needsAttention).toBe(false);
    expect(dispatched.openQuestions).toEqual([]);
    expect(order.world.callsOf('bookShipment')).toHaveLength(2);
    expect(order.world.callsOf('releaseStock')).toHaveLength(0);
    // On, on again (saying the cancel was refused), off once answered: never off in between.
    expect(order.world.callsOf('recordAttention').map((c) => c.input.needsAttention)).toEqual([true, true, false]);
    expect(order.world.callsOf('recordAttention')[1]!.input.reason).toMatch(/cannot be cancelled now/);
    expectTimelineWritten(order, dispatched);
  });
});

describe('SIGN-OFF window', () => {
  // Both start from a run carried over at `delivered`: VERIFY to TRACK are the whole-life
  // test's (below) and the other stages' business.
  it('the customer signs off within the window', async () => {
    const order = await harness.startOrder({ carried: 'delivered' });
    const delivered = await order.waitForView(awaitingSignOff, 'waiting for sign-off');
    expect(delivered.status).toBe('delivered');

    const proof = signOffProof(delivered.number!);
    const reply = await order.handle.executeUpdate(messages.signOff, { args: [proof] });
    expect(reply.status).toBe('awaiting_feedback');
    expect(Date.parse(reply.signedAt!)).not.toBeNaN();

    const calls = order.world.callsOf('recordSignOff');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input).toMatchObject({ orderId: order.orderId, method: 'customer', proof, credentialHint: expect.stringMatching(/^order_number:…/) });
    expect(writtenChange(order, 'signed_off')?.detail).toEqual({ method: 'customer', recipientName: 'Ada Lovelace' });
    const v = await order.view();
    expect(v.timeline.map((t) => t.status).slice(-3)).toEqual(['delivered', 'signed_off', 'awaiting_feedback']);
    expect(v.openQuestions.map((q) => q.kind)).toEqual(['feedback']);
    expectTimelineWritten(order, v);

    // Once is enough.
    expect((await refusal(order.handle.executeUpdate(messages.signOff, { args: [proof] }))).type).toBe(MessageRejection.WrongState);
    expect(order.world.callsOf('recordSignOff')).toHaveLength(1);
  });

  it("no one signs within the window: the carrier's proof of delivery stands in", async () => {
    const order = await harness.startOrder({ carried: 'delivered', settings: { signOffWindowMs: SHORT_MS } });

    const v = await order.waitForStatus('awaiting_feedback');
    expect(v.timeline.map((t) => t.status)).toEqual(['received', 'verifying', ...DELIVERED, 'signed_off', 'awaiting_feedback']);
    const calls = order.world.callsOf('recordSignOff');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input.method).toBe('carrier_proof_of_delivery');
    expect(calls[0]!.input.proof).toBeUndefined();
    expect(writtenChange(order, 'signed_off')?.detail).toEqual({ method: 'carrier_proof_of_delivery' });
    expect(v.openQuestions.map((q) => q.kind)).toEqual(['feedback']);
    expectTimelineWritten(order, v);

    const late = await refusal(order.handle.executeUpdate(messages.signOff, { args: [signOffProof(v.number!)] }));
    expect(late.type).toBe(MessageRejection.WrongState);
  });
});

describe('FEEDBACK window', () => {
  // Both start from a run carried over at `awaiting_feedback`: signed off by the customer.
  const awaitingFeedback = (v: OrderView) => v.openQuestions.some((q) => q.kind === 'feedback');

  it('feedback given within the window is recorded, then the order settles', async () => {
    const order = await harness.startOrder({ carried: 'awaiting_feedback' });
    await order.waitForView(awaitingFeedback, 'waiting for feedback');

    const reply = await order.handle.executeUpdate(messages.submitFeedback, { args: [FEEDBACK] });
    expect(reply.status).toBe('awaiting_feedback');
    expect(Date.parse(reply.submittedAt)).not.toBeNaN();

    expect(await order.result()).toMatchObject({ status: 'completed' });
    expect(order.world.callsOf('recordFeedback').map((c) => c.input)).toEqual([{ orderId: order.orderId, feedback: FEEDBACK, transitions: [] }]);
    const settle = order.world.callsOf('settleOrder');
    expect(settle).toHaveLength(1);
    expect(settle[0]!.input.transitions.map((t: any) => [t.status, t.detail])).toEqual([
      ['settling', { feedback: 'received' }],
      ['completed', undefined],
    ]);
    const v = await order.view();
    expect(v.timeline.map((t) => t.status).slice(-4)).toEqual(['signed_off', 'awaiting_feedback', 'settling', 'completed']);
    expect(v.openQuestions).toEqual([]);
    expectTimelineWritten(order, v);
  });

  it('no feedback: the window closes, the order settles and completes', async () => {
    const order = await harness.startOrder({ carried: 'awaiting_feedback', settings: { feedbackWindowMs: SHORT_MS } });

    expect(await order.result()).toMatchObject({ status: 'completed' });
    expect(order.world.callsOf('recordFeedback')).toHaveLength(0);
    const settle = order.world.callsOf('settleOrder');
    expect(settle).toHaveLength(1);
    expect(settle[0]!.input.transitions[0]).toMatchObject({ status: 'settling', detail: { feedback: 'window_closed' } });
    const v = await order.view();
    expect(v.timeline.map((t) => t.status)).toEqual([
      'received',
      'verifying',
      ...DELIVERED,
      'signed_off',
      'awaiting_feedback',
      'settling',
      'completed',
    ]);
    expect(v.openQuestions).toEqual([]);
    expectTimelineWritten(order, v);
  });
});

describe('a run carried over (continue-as-new)', () => {
  it('a whole life, then the same order carried over at delivered: it goes on from sign-off with the versions after the carried ones', async () => {
    const short = { signOffWindowMs: SHORT_MS, feedbackWindowMs: SHORT_MS };
    const whole = await harness.startOrder({ settings: short });
    expect(await whole.result()).toMatchObject({ status: 'completed' });
    const lived = await whole.view();

    const resumed = await harness.startOrder({ carried: 'delivered', settings: short });
    expect(await resumed.result()).toMatchObject({ status: 'completed' });
    const v = await resumed.view();
    // The same statuses and versions as the order that lived it all.
    expect(v.timeline.map((t) => [t.status, t.version])).toEqual(lived.timeline.map((t) => [t.status, t.version]));
    expect(v.timeline.map((t) => t.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(v.version).toBe(12);
    // Nothing before SIGN-OFF ran again; each version was written once.
    expect(resumed.world.names()).toEqual(['recordSignOff', 'settleOrder']);
    expect(resumed.world.written.map((t) => t.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(resumed.world.shipped.get('TEA-OOLONG-100')).toBeGreaterThan(0);
    expectTimelineWritten(resumed, v);
  });
});

describe('cancellation with compensation', () => {
  /** Sends `cancel` while the order is held at `gate`, then lets it go on. */
  async function cancelAt(order: TestOrder, gate: { reached(): Promise<void>; open(): void }, reason: string) {
    await gate.reached();
    const update = await order.handle.startUpdate(messages.cancel, { args: [{ reason }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    gate.open();
    return update.result();
  }

  it('a cancel after the stock is reserved gives it back and ends the order cancelled', async () => {
    const order = await harness.startOrder();
    const quoting = order.world.hold('quoteRates');

    expect(await cancelAt(order, quoting, 'changed my mind')).toEqual({ status: 'cancelled' });

    const v = await order.view();
    expect(v.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'reserved', 'cancelled']);
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'changed my mind' });
    expect(order.world.callsOf('releaseStock')).toHaveLength(1);
    expect(order.world.held.size).toBe(0);
    expect(order.world.available.get('TEA-OOLONG-100')).toBe(100);
    expect(order.world.callsOf('planShipments')).toHaveLength(0);
    expect(await order.result()).toMatchObject({ status: 'cancelled' });
    expectTimelineWritten(order, v);
  });

  it('a cancel after the shipments are planned gives the stock back before any booking', async () => {
    const order = await harness.startOrder();
    const planning = order.world.hold('planShipments');

    expect(await cancelAt(order, planning, 'changed my mind')).toEqual({ status: 'cancelled' });

    const v = await order.view();
    expect(v.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'reserved', 'planned', 'cancelled']);
    expect(order.world.callsOf('releaseStock')).toHaveLength(1);
    expect(order.world.callsOf('bookShipment')).toHaveLength(0);
    expect(order.world.held.size).toBe(0);
    expect(order.world.available.get('MUG-STONE-350')).toBe(100);
    expectTimelineWritten(order, v);
  });

  it("a customer's cancel answers an operator question too, and gives the stock back", async () => {
    const order = await harness.startOrder();
    order.world.failNext('quoteRates', carrierRejected());
    await order.waitForView((v) => v.needsAttention, 'an operator question', flagged());

    expect(await order.handle.executeUpdate(messages.cancel, { args: [{ reason: 'too slow' }] })).toEqual({ status: 'cancelled' });

    const v = await order.view();
    expect(v.timeline.map((t) => t.status)).toEqual(['received', 'verifying', 'reserved', 'cancelled']);
    expect(v.needsAttention).toBe(false);
    expect(writtenChange(order, 'cancelled')?.detail).toEqual({ reason: 'too slow' });
    expect(order.world.callsOf('releaseStock')).toHaveLength(1);
    expect(order.world.held.size).toBe(0);
    expect(order.world.callsOf('quoteRates')).toHaveLength(1);
    expectTimelineWritten(order, v);
  });

  it('a cancel while the booking is being made waits for it, then voids it: the order ends cancelled, holding nothing', async () => {
    const order = await harness.startOrder({ settings: PARK_IN_TRACK });
    const booking = order.world.hold('bookShipment');
    await booking.reached();

    const cancelling = order.handle.executeUpdate(messages.cancel, { args: [{ reason: 'too late?' }] });
    await waitFor(async () => (await order.view()).status === 'planned', { message: 'the cancel to be accepted' });
    booking.open();
    expect(await cancelling).toEqual({ status: 'cancelled' });

    const v = await order.view();
    expect(v.timeline.map((t) => t.status)).toEqual(['received', 'verifying', ...DISPATCHED, 'cancelled']);
    expect(order.world.callsOf('voidShipment')).toHaveLength(1);
    expect(order.world.callsOf('releaseStock')).toHaveLength(1);
    expect(order.world.held.size).toBe(0);
    expect(order.world.shipped.size).toBe(0);
    expect(v.shipments[0]).toMatchObject({ closedAs: 'voided' });
    expectTimelineWritten(order, v);
  });
});

describe('TRACK: carriers\' events', () => {
  it('a webhook that arrives while a poll runs is recorded with the poll\'s answer: the order never reaches delivered with a step missing', async () => {
    const order = await harness.startOrder();
    const polling = order.world.hold('pollTracking');
    await polling.reached();
    const [shipment] = (await order.view()).shipments;
    // The carrier's webhook for the step before delivery comes in while the poll is out.
    await order.handle.signal(messages.trackingEvent, {
      eventId: `${shipment!.trackingNumber}-2`,
      carrier: shipment!.carrier,
      trackingNumber: shipment!.trackingNumber!,
      reference: shipment!.shipmentId,
      status: 'out_for_delivery',
      occurredAt: new Date().toISOString(),
      location: 'Berlin',
      description: 'out for delivery',
    });
    // A query answers only once the signal is in the workflow's state.
    expect((await order.view()).status).toBe('dispatched');
    polling.open();

    await order.waitForView((v) => v.status === 'delivered' || v.openQuestions.some((q) => q.kind === 'sign_off'), 'delivered');
    const calls = order.world.callsOf('recordTracking');
    const reachingDelivered = calls.findIndex((c) => c.input.transitions.some((t: { status: string }) => t.status === 'delivered'));
    expect(reachingDelivered).toBeGreaterThanOrEqual(0);
    const recordedBy = calls.slice(0, reachingDelivered + 1).flatMap((c) => c.input.events.map((e: CarrierTrackingEvent) => e.status));
    expect(recordedBy).toEqual(expect.arrayContaining(['in_transit', 'out_for_delivery', 'delivered']));
    expect(calls.flatMap((c) => c.input.events.map((e: CarrierTrackingEvent) => e.eventId)).filter((id: string) => id.endsWith('-2'))).toHaveLength(1);
  });

  it("an event with a shipment's reference but another carrier is ignored; the order does not move", async () => {
    const order = await harness.startOrder({ settings: PARK_IN_TRACK });
    const dispatched = await order.waitForStatus('dispatched');
    const [shipment] = dispatched.shipments;
    const event = (over: Pick<CarrierTrackingEvent, 'eventId' | 'status'> & Partial<CarrierTrackingEvent>): CarrierTrackingEvent => ({
      carrier: shipment!.carrier,
      trackingNumber: shipment!.trackingNumber!,
      reference: shipment!.shipmentId,
      occurredAt: new Date().toISOString(),
      location: 'Berlin',
      description: 'test event',
      ...over,
    });

    const foreign = event({ eventId: 'foreign-1', carrier: 'otherpost', trackingNumber: 'OTHER-1', status: 'delivered' });
    await order.handle.signal(messages.trackingEvent, foreign);
    // A genuine event after it: once it is recorded, the foreign one has been seen too.
    const genuine = event({ eventId: 'genuine-1', status: 'in_transit' });
    await order.handle.signal(messages.trackingEvent, genuine);

    const moved = await order.waitForView(
      (v) => v.timeline.some((t) => t.status === 'in_transit'),
      'the genuine event recorded',
      (w) => w.callsOf('recordTracking').some((c) => c.input.events.some((e: any) => e.eventId === 'genuine-1')),
    );
    expect(moved.status).toBe('in_transit');
    expect(moved.shipments).toEqual([expect.objectContaining({ shipmentId: shipment!.shipmentId, carrier: shipment!.carrier, status: 'in_transit' })]);
    const recorded = order.world.callsOf('recordTracking').flatMap((c) => c.input.events.map((e: any) => e.eventId));
    expect(recorded).toEqual(['genuine-1']);
    expect(order.world.written.some((t) => t.status === 'delivered')).toBe(false);
    expectTimelineWritten(order, moved);
  });
});
