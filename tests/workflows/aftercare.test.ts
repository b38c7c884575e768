import { type ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK, MessageRejection, SHORT_MS, messages, startHarness, type Harness, type TestOrder } from './harness';

// Settlement aftercare (R6.8) against the workflow alone: an order still running takes
// finance's reship / return as an update (once per discrepancy) and carries it out after
// SETTLE — the goods shipped and tracked again, or waited for, restocked and refunded —
// and a return that never comes back ends as it was. The new run of a closed order (the
// other way in) is tested end to end (tests/e2e/settlement-aftercare.test.ts).

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

const request = (kind: 'reship' | 'return') => ({ kind, discrepancyId: randomUUID(), settlementId: 'settlement-x-2026-11', note: 'finance decided' });

async function awaitingFeedback(settings: Record<string, number> = {}): Promise<TestOrder> {
  const order = await harness.startOrder({ carried: 'awaiting_feedback', settings });
  await order.waitForView((v) => v.status === 'awaiting_feedback', 'waiting for feedback');
  return order;
}

const progressOf = (order: TestOrder) => order.world.callsOf('recordAftercare').map((c) => c.input.progress.status);

describe('settlement aftercare on a running order', () => {
  it('a return requested while the order runs: taken once, done after SETTLE — received, restocked, refunded, the order ends refunded', async () => {
    const order = await awaitingFeedback();
    const wanted = request('return');
    const first = await order.handle.executeUpdate(messages.requestAftercare, { args: [wanted] });
    const again = await order.handle.executeUpdate(messages.requestAftercare, { args: [wanted] });
    expect(first).toEqual({ discrepancyId: wanted.discrepancyId, status: 'requested' });
    expect(again).toEqual(first);
    expect((await order.view()).aftercare).toEqual([{ ...wanted, status: 'requested' }]);
    // Nothing is awaited yet: the order takes no return.
    const early = await order.handle.executeUpdate(messages.returnReceived, { args: [{}] }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((early as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(MessageRejection.WrongState);

    await order.handle.executeUpdate(messages.submitFeedback, { args: [FEEDBACK] });
    const waiting = await order.waitForStatus('awaiting_return');
    expect(waiting.aftercare).toEqual([expect.objectContaining({ discrepancyId: wanted.discrepancyId, status: 'awaiting_return', returnBy: expect.any(String) })]);

    const received = await order.handle.executeUpdate(messages.returnReceived, { args: [{ discrepancyId: wanted.discrepancyId, note: 'unopened' }] });
    expect(received).toEqual({ status: 'refunded', discrepancyId: wanted.discrepancyId });
    expect(await order.result()).toMatchObject({ status: 'refunded' });
    expect(order.world.restocked).toBe(3);
    expect(order.world.refunds.get(wanted.discrepancyId)).toBe(4430);
    expect(order.world.callsOf('closeShipments')[0]!.input).toMatchObject({ closedAs: 'returned' });
    expect(progressOf(order)).toEqual(['awaiting_return', 'done']);
    const statuses = (await order.view()).timeline.map((t) => t.status);
    expect(statuses.slice(-3)).toEqual(['completed', 'awaiting_return', 'refunded']);
  });

  it('a return that never comes back: the window closes, nothing restocked or refunded, the order ends completed', async () => {
    const order = await awaitingFeedback({ returnWaitMs: SHORT_MS });
    await order.handle.executeUpdate(messages.requestAftercare, { args: [request('return')] });
    await order.handle.executeUpdate(messages.submitFeedback, { args: [FEEDBACK] });
    expect(await order.result()).toMatchObject({ status: 'completed' });
    expect(order.world.restocked).toBe(0);
    expect(order.world.refunds.size).toBe(0);
    expect(progressOf(order)).toEqual(['awaiting_return', 'lapsed']);
    expect((await order.view()).timeline.map((t) => t.status).slice(-3)).toEqual(['completed', 'awaiting_return', 'completed']);
  });

  it('a reship: the goods reserved, booked and tracked again after SETTLE, the order completed again', async () => {
    const order = await awaitingFeedback();
    const wanted = request('reship');
    await order.handle.executeUpdate(messages.requestAftercare, { args: [wanted] });
    await order.handle.executeUpdate(messages.submitFeedback, { args: [FEEDBACK] });
    expect(await order.result()).toMatchObject({ status: 'completed' });
    expect(order.world.callsOf('reserveReplacement')[0]!.input).toMatchObject({ incidentId: wanted.discrepancyId, fulfilment: 1 });
    expect(order.world.callsOf('bookShipment')).toHaveLength(1);
    expect(progressOf(order)).toEqual(['shipping', 'shipping', 'done']);
    const v = await order.view();
    expect(v.shipments.filter((s) => s.replaces === wanted.discrepancyId)).toEqual([expect.objectContaining({ status: 'delivered' })]);
    const statuses = v.timeline.map((t) => t.status);
    expect(statuses.slice(statuses.indexOf('completed'))).toEqual(['completed', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered', 'completed']);
    expect(v.aftercare).toEqual([expect.objectContaining({ kind: 'reship', status: 'done' })]);
  });
});
