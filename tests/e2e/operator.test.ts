import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { WORKFLOWS_PATH } from '../../src/temporal/workers';
import { createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus } from '../helpers/orders';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// The operator path (architecture: "nothing waits forever without an operator path"): an
// order that cannot go on raises NeedsAttention, where operators filter for it in the
// Temporal UI, says why, and waits for the operatorAction signal: retry or cancel.
//
// The order here is stuck for a real reason the sandbox gives: it goes to Heligoland,
// an island none of the sandbox's carriers serves, so PLAN finds no carrier.

const WAREHOUSE = 'BER-1';

describe('an order no carrier can take', () => {
  let stack: TestStack;
  let sku: string;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
    sku = uniqueSku('LIGHTHOUSE-LAMP');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 3);
  });
  afterAll(() => stack?.stop());

  const toHeligoland = () =>
    sampleOrder({
      items: [{ sku, quantity: 1, unitPrice: 1000 }],
      customer: {
        name: 'Hanna Kruse',
        email: 'hanna@example.com',
        address: { line1: 'Lung Wai 1', city: 'Helgoland', region: 'SH', postalCode: '27498', country: 'DE' },
      },
    });

  const attentionOf = async (id: string) => {
    let last: { status?: string; shipments?: unknown } = {};
    try {
      return await waitFor(
        async () => {
          const { body } = await stack.api('GET', `/v1/orders/${id}`);
          last = body;
          return body.needsAttention ? body : undefined;
        },
        { timeoutMs: 30_000, message: `order ${id} to ask for an operator` },
      );
    } catch (err) {
      throw new Error(`${String(err)}; it is ${last.status} with shipments ${JSON.stringify(last.shipments)}`);
    }
  };

  /** The workflow ids Temporal's visibility finds for `query` (it lags the workflow a little). */
  const visible = async (query: string) => {
    const ids: string[] = [];
    for await (const w of stack.running.client.workflow.list({ query })) ids.push(w.workflowId);
    return ids;
  };

  it('asks an operator, is found by NeedsAttention, retries on request, and cancels on request giving its stock back', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: toHeligoland() });
    expect(created.status).toBe(201);
    const { id, workflowId } = created.body;

    const stuck = await attentionOf(id);
    expect(stuck.status).toBe('reserved');
    expect(stuck.attentionReason).toMatch(/no safe carrier/);
    expect((await stockLevel(stack, sku, WAREHOUSE))?.reserved).toBe(1);

    const handle = stack.running.client.workflow.getHandle(workflowId);
    const view = await handle.query<{ needsAttention: boolean; openQuestions: { kind: string }[] }>('view');
    expect(view.needsAttention).toBe(true);
    expect(view.openQuestions.map((q) => q.kind)).toContain('operator');

    // What an operator's filter in the Web UI finds.
    await waitFor(async () => (await visible(`NeedsAttention = true AND WorkflowId = '${workflowId}'`)).length === 1, {
      timeoutMs: 30_000,
      message: 'visibility to show the order with NeedsAttention = true',
    });

    // Retry: the carriers are asked again; still none can take it, so the order asks again.
    const quotesBefore = await quoteActivities(handle);
    await handle.signal('operatorAction', { action: 'retry', operator: 'ops@example.com' });
    await waitFor(async () => (await quoteActivities(handle)) > quotesBefore, { timeoutMs: 30_000, message: 'the carriers to be asked again' });
    await attentionOf(id);
    expect((await handle.query<{ status: string }>('view')).status).toBe('reserved');

    // Cancel: the reservation is undone and the flag comes down.
    await handle.signal('operatorAction', { action: 'cancel', reason: 'no boat to Heligoland', operator: 'ops@example.com' });
    const cancelled = await waitForStatus(stack, id, 'cancelled');
    expect(cancelled.needsAttention).toBe(false);
    expect(cancelled.timeline.at(-1)).toMatchObject({ status: 'cancelled' });
    expect(JSON.stringify(cancelled.timeline.at(-1))).toContain('no boat to Heligoland');
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    await handle.result();
    await waitFor(async () => (await visible(`NeedsAttention = false AND WorkflowId = '${workflowId}'`)).length === 1, {
      timeoutMs: 30_000,
      message: 'visibility to show the flag lowered',
    });
  });

  it('refuses a malformed operator action, and a skip where the step allows none, visibly and without acting on them', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: toHeligoland() });
    const { id, workflowId } = created.body;
    await attentionOf(id);
    const handle = stack.running.client.workflow.getHandle(workflowId);
    const quotesBefore = await quoteActivities(handle);

    // A typo in the UI's Send Signal dialog: not a retry, and the operator can see why.
    await handle.signal('operatorAction', { action: 'retyr' });
    const refused = await waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/orders/${id}`);
        return /refused an operator action/.test(body.attentionReason ?? '') ? body : undefined;
      },
      { timeoutMs: 30_000, message: 'the refusal in the attention reason' },
    );
    expect(refused.needsAttention).toBe(true);
    expect(refused.attentionReason).toMatch(/no safe carrier.*refused an operator action \{"action":"retyr"\}: action must be one of retry, skip, cancel/);
    // Recorded by an activity after the signal's workflow task: a retry would already be scheduled.
    expect(await quoteActivities(handle)).toBe(quotesBefore);
    const view = await handle.query<{ needsAttention: boolean; openQuestions: { kind: string }[]; status: string }>('view');
    expect(view.openQuestions.map((q) => q.kind)).toContain('operator');
    expect(view.status).toBe('reserved');

    // PLAN's carrier choice cannot be skipped: refused and asked again, carriers not asked.
    await handle.signal('operatorAction', { action: 'skip', operator: 'ops@example.com' });
    await waitFor(async () => /cannot be skipped/.test((await stack.api('GET', `/v1/orders/${id}`)).body.attentionReason ?? ''), {
      timeoutMs: 30_000,
      message: 'the skip to be refused',
    });
    expect(await quoteActivities(handle)).toBe(quotesBefore);

    await handle.signal('operatorAction', { action: 'cancel', reason: 'test over' });
    await waitForStatus(stack, id, 'cancelled');
    await handle.result();
    // The refusals are new commands (behind patched()): the history replays on today's code.
    const bundle = inject('workflowBundlePath');
    const dataConverter = dataConverterFor(stack.running.codec);
    const code = bundle ? { workflowBundle: { codePath: bundle }, dataConverter } : { workflowsPath: WORKFLOWS_PATH, dataConverter };
    await expect(Worker.runReplayHistory(code, await handle.fetchHistory(), workflowId)).resolves.toBeUndefined();
  });

  it('shows in the API list of orders that need attention', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: toHeligoland() });
    const { id } = created.body;
    await attentionOf(id);
    const list = await stack.api('GET', '/v1/orders?needsAttention=true', { key: TEST_KEYS.operator });
    expect(list.status).toBe(200);
    expect(list.body.data.map((o: { id: string }) => o.id)).toContain(id);
    await stack.running.client.workflow.getHandle(created.body.workflowId).signal('operatorAction', { action: 'cancel', reason: 'test over' });
    await waitForStatus(stack, id, 'cancelled');
  });
});

/** How many times the workflow has asked the carriers for quotes so far. */
async function quoteActivities(handle: { fetchHistory(): Promise<{ events?: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null }[] | null }> }) {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'quoteRates').length;
}
