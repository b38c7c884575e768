import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CollectionSettings } from '../../src/domain/collection';
import { instalmentDueAt, splitInstalments } from '../../src/domain/instalments';
import type { PaymentNotice } from '../../src/domain/payments';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import type { CollectionActivities, OpenedCollection } from '../../workflows/collection/activities';
import {
  COLLECTION_WORKFLOW_TYPE,
  collectionWorkflowId,
  operatorAction,
  paymentReceived,
  returnSettled,
  view,
  type CollectionOutcome,
  type CollectionView,
  type CollectionWorkflowInput,
} from '../../workflows/collection/messages';
import { waitFor } from '../helpers/wait-for';

// R6.1 collection after SETTLE: the real workflow on a real dev server (timers shifted to
// 10 ms, as tests/workflows/harness.ts does), its activities in-memory fakes that keep a
// record of their calls. Windows are milliseconds; every wait has a deadline.

const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');
const LONG_MS = 60_000;
const DEADLINE_MS = 5_000;

class CollectionWorld {
  currency = 'EUR';
  total = 1_000;
  carrier = 'swiftship';
  /** Payments already recorded when the workflow starts. */
  recorded: PaymentNotice[] = [];
  schedule: OpenedCollection['instalments'] = [];
  readonly reminders: unknown[] = [];
  readonly dunning: { number: number; notice: number }[] = [];
  readonly attention: { needsAttention: boolean; reason?: string }[] = [];
  readonly paid: number[] = [];

  readonly activities: CollectionActivities = {
    openCollection: async (input) => {
      if (input.method === 'instalments' && this.schedule.length === 0) {
        this.schedule = splitInstalments(this.total, input.instalmentCount).map((amount, i) => ({
          number: i + 1,
          amount,
          dueAt: new Date(instalmentDueAt(Date.parse(input.startedAt), input.instalmentIntervalMs, i + 1)).toISOString(),
          status: 'due',
          dunningNotices: 0,
        }));
      }
      return {
        currency: this.currency,
        expected: this.total,
        ...(input.method === 'cash_on_delivery' ? { carrier: this.carrier } : {}),
        instalments: this.schedule,
        payments: this.recorded,
      };
    },
    recordInstalmentsPaid: async ({ numbers }) => void this.paid.push(...numbers),
    dunInstalment: async ({ number, notice }) => void this.dunning.push({ number, notice }),
    remindCodRemittance: async (input) => void this.reminders.push(input),
    recordCollectionAttention: async ({ needsAttention, reason }) => void this.attention.push({ needsAttention, ...(reason ? { reason } : {}) }),
  };
}

let server: DevServer | undefined;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `wftest-collection-${randomBytes(4).toString('hex')}`;
const worlds = new Map<string, CollectionWorld>();
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  const binary = inject('temporalCliPath');
  let address = inject('temporalAddress');
  let namespace = inject('temporalNamespace');
  if (binary) {
    server = await startDevServer({
      binary,
      port: 0,
      uiPort: false,
      searchAttributes: ORDER_SEARCH_ATTRIBUTES,
      dynamicConfig: { 'history.timerProcessorMaxTimeShift': '10ms' },
    });
    address = server.address;
    namespace = server.namespace;
  }
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace });
  const bundle = inject('workflowBundlePath');
  // Each activity finds its world by the workflow that called it.
  const routed = Object.fromEntries(
    (Object.keys(new CollectionWorld().activities) as (keyof CollectionActivities)[]).map((name) => [
      name,
      (input: never) => {
        const world = worlds.get(Context.current().info.workflowExecution?.workflowId ?? "");
        if (!world) throw new Error('no world for this workflow');
        return (world.activities[name] as (i: never) => Promise<unknown>)(input);
      },
    ]),
  );
  worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: routed,
  });
  running = worker.run();
});

afterEach(async () => {
  // A collection a failed test left waiting ends here, so it costs the next test nothing.
  await Promise.allSettled(
    started.splice(0).map(async (h) => {
      if ((await h.describe()).status.name === 'RUNNING') await h.terminate('test finished');
    }),
  );
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  await server?.stop();
});

const SETTINGS: CollectionSettings = {
  codRemittanceWindowMs: LONG_MS,
  codRemittanceGraceMs: LONG_MS,
  instalmentCount: 3,
  instalmentIntervalMs: LONG_MS,
  dunningIntervalMs: LONG_MS,
};

async function startCollection(method: CollectionWorkflowInput['method'], settings: Partial<CollectionSettings>, world = new CollectionWorld()) {
  const orderId = randomUUID();
  const workflowId = collectionWorkflowId(orderId);
  worlds.set(workflowId, world);
  const input: CollectionWorkflowInput = { orderId, method, settings: { ...SETTINGS, ...settings } };
  const handle = await client.workflow.start(COLLECTION_WORKFLOW_TYPE, { workflowId, taskQueue, args: [input], workflowExecutionTimeout: '2 minutes' });
  started.push(handle);
  const waitForView = (accept: (v: CollectionView) => boolean, what: string) =>
    waitFor(
      async () => {
        const v = await handle.query(view);
        return accept(v) ? v : undefined;
      },
      { timeoutMs: DEADLINE_MS, intervalMs: 10, message: `collection ${orderId}: ${what}` },
    );
  // The outcome, or a failure after the deadline: a bug must fail the test, never hang it.
  const result = () =>
    Promise.race([
      handle.result() as Promise<CollectionOutcome>,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`collection ${orderId} did not complete within ${DEADLINE_MS} ms`)), DEADLINE_MS).unref()),
    ]);
  const pay = (amount: number, extra: Partial<PaymentNotice> = {}) =>
    handle.signal(paymentReceived, {
      paymentId: randomUUID(),
      reference: `ref-${randomUUID().slice(0, 8)}`,
      amount,
      currency: 'EUR',
      method: method === 'cash_on_delivery' ? 'cod_remittance' : 'card',
      payerKind: method === 'cash_on_delivery' ? 'carrier' : 'customer',
      payerId: method === 'cash_on_delivery' ? world.carrier : 'cust-1',
      ...extra,
    });
  return { orderId, handle, world, waitForView, result, pay };
}

describe('cash on delivery', () => {
  it('completes when the carrier remits in time: no reminder, no flag', async () => {
    const c = await startCollection('cash_on_delivery', {});
    await c.waitForView((v) => v.status === 'awaiting_remittance', 'awaiting remittance');
    await c.pay(1_000);
    expect(await c.result()).toMatchObject({ status: 'collected', received: 1_000 });
    expect(c.world.reminders).toEqual([]);
    expect(c.world.attention).toEqual([]);
  });

  it('a late remittance: reminded at the deadline, flagged after the grace, cleared by the remittance', async () => {
    const c = await startCollection('cash_on_delivery', { codRemittanceWindowMs: 20, codRemittanceGraceMs: 20 });
    const flagged = await c.waitForView((v) => v.needsAttention, 'the operator flag');
    expect(flagged.attentionReason).toMatch(/EUR 10\.00 of cash on delivery not remitted by swiftship/);
    expect(flagged.remindedAt).toBeDefined();
    expect(c.world.reminders).toEqual([expect.objectContaining({ carrier: 'swiftship', amount: 1_000, currency: 'EUR' })]);
    // Part of it is not enough; a payment in another currency or by the customer does not count.
    await c.pay(400);
    await c.pay(600, { currency: 'USD' });
    await c.pay(600, { method: 'card', payerKind: 'customer', payerId: 'cust-1' });
    await c.waitForView((v) => v.payments.length === 3, 'the three payments heard');
    expect((await c.handle.query(view)).needsAttention).toBe(true);
    await c.pay(600);
    expect(await c.result()).toMatchObject({ status: 'collected', received: 1_000 });
    expect(c.world.attention.map((a) => a.needsAttention)).toEqual([true, false]);
    expect(c.world.attention[0]!.reason).toMatch(/POST \/v1\/payments/);
  });

  it('counts a remittance recorded before it started, and an operator can close a collection', async () => {
    const world = new CollectionWorld();
    world.recorded = [{ paymentId: randomUUID(), reference: 'r1', amount: 1_000, currency: 'EUR', method: 'cod_remittance', payerKind: 'carrier', payerId: 'swiftship' }];
    const paid = await startCollection('cash_on_delivery', {}, world);
    expect(await paid.result()).toMatchObject({ status: 'collected', received: 1_000 });

    const stuck = await startCollection('cash_on_delivery', { codRemittanceWindowMs: 10, codRemittanceGraceMs: 10 });
    await stuck.waitForView((v) => v.needsAttention, 'the operator flag');
    await stuck.handle.signal(operatorAction, { action: 'cancel', reason: 'carrier insolvent: written off' });
    expect(await stuck.result()).toMatchObject({ status: 'closed_by_operator', received: 0 });
    expect(stuck.world.attention.at(-1)).toEqual({ needsAttention: false });
  });
});

describe('instalments', () => {
  it('completes when every instalment is paid on time: the schedule splits the total exactly', async () => {
    const c = await startCollection('instalments', {});
    const opened = await c.waitForView((v) => v.instalments.length === 3, 'the schedule');
    expect(opened.instalments.map((i) => i.amount)).toEqual([334, 333, 333]);
    expect(opened.instalments.every((i) => i.status === 'due')).toBe(true);
    await c.pay(334);
    await c.pay(333, { instalmentNumber: 3 });
    const two = await c.waitForView((v) => v.instalments.filter((i) => i.status === 'paid').length === 2, 'two paid');
    expect(two.instalments.map((i) => i.status)).toEqual(['paid', 'due', 'paid']);
    await c.pay(333);
    expect(await c.result()).toMatchObject({ status: 'collected', received: 1_000 });
    expect([...c.world.paid].sort()).toEqual([1, 2, 3]);
    expect(c.world.dunning).toEqual([]);
    expect(c.world.attention).toEqual([]);
  });

  it('an overdue instalment is dunned twice, then flagged; its payment clears the flag and the collection completes', async () => {
    const world = new CollectionWorld();
    // The first instalment was paid before the workflow started (POST /v1/payments).
    world.recorded = [{ paymentId: randomUUID(), reference: 'i1', amount: 500, currency: 'EUR', method: 'card', payerKind: 'customer', payerId: 'cust-1', instalmentNumber: 1 }];
    const c = await startCollection('instalments', { instalmentCount: 2, instalmentIntervalMs: 20, dunningIntervalMs: 20 }, world);
    const flagged = await c.waitForView((v) => v.needsAttention, 'the operator flag');
    expect(flagged.attentionReason).toMatch(/instalment 2 \(EUR 5\.00, due .*\) of 2 unpaid after two dunning notices/);
    expect(flagged.instalments.map((i) => [i.status, i.dunningNotices, i.flagged])).toEqual([
      ['paid', 0, false],
      ['overdue', 2, true],
    ]);
    expect(world.dunning).toEqual([
      { number: 2, notice: 1 },
      { number: 2, notice: 2 },
    ]);
    await c.pay(500);
    expect(await c.result()).toMatchObject({ status: 'collected', received: 1_000 });
    expect(world.attention.map((a) => a.needsAttention)).toEqual([true, false]);
    expect([...world.paid].sort()).toEqual([1, 2]);
  });
});

describe('a return (settlement aftercare) forgives what was never paid', () => {
  it('an overdue, flagged instalment is cancelled: the flag clears, no more dunning, the collection ends closed_by_return', async () => {
    const world = new CollectionWorld();
    world.recorded = [{ paymentId: randomUUID(), reference: 'i1', amount: 500, currency: 'EUR', method: 'card', payerKind: 'customer', payerId: 'cust-1', instalmentNumber: 1 }];
    const c = await startCollection('instalments', { instalmentCount: 2, instalmentIntervalMs: 20, dunningIntervalMs: 20 }, world);
    await c.waitForView((v) => v.needsAttention, 'the operator flag');
    // Another currency is not this collection's; the same return twice counts once.
    await c.handle.signal(returnSettled, { returnId: 'd-usd', forgiven: 500, currency: 'USD' });
    await c.handle.signal(returnSettled, { returnId: 'd-1', forgiven: 500, currency: 'EUR' });
    await c.handle.signal(returnSettled, { returnId: 'd-1', forgiven: 500, currency: 'EUR' });
    expect(await c.result()).toEqual({ orderId: c.orderId, status: 'closed_by_return', received: 500 });
    const seen = await c.handle.query(view);
    expect(seen.instalments.map((i) => [i.status, i.flagged])).toEqual([
      ['paid', false],
      ['cancelled', false],
    ]);
    expect(seen).toMatchObject({ needsAttention: false, forgiven: 500 });
    expect(world.attention.map((a) => a.needsAttention)).toEqual([true, false]);
    expect(world.dunning).toHaveLength(2);
    // Only the paid one is recorded paid: the cancelled one was cancelled where it is recorded.
    expect(world.paid).toEqual([1]);
  });

  it('a partial return takes the last instalment and part of the one before; the rest is still collected', async () => {
    const c = await startCollection('instalments', {});
    await c.waitForView((v) => v.instalments.length === 3, 'the schedule');
    await c.handle.signal(returnSettled, { returnId: 'd-2', forgiven: 500, currency: 'EUR' });
    const cut = await c.waitForView((v) => v.instalments[2]!.status === 'cancelled', 'instalment 3 cancelled');
    expect(cut.instalments.map((i) => [i.amount, i.status])).toEqual([
      [334, 'due'],
      [166, 'due'],
      [333, 'cancelled'],
    ]);
    await c.pay(334);
    await c.pay(166);
    expect(await c.result()).toMatchObject({ status: 'closed_by_return', received: 500 });
    expect([...c.world.paid].sort()).toEqual([1, 2]);
    expect(c.world.dunning).toEqual([]);
  });

  it('cash on delivery the carrier never reported collecting: the return forgives it and the collection ends', async () => {
    const c = await startCollection('cash_on_delivery', {});
    await c.waitForView((v) => v.status === 'awaiting_remittance', 'awaiting remittance');
    await c.handle.signal(returnSettled, { returnId: 'd-3', forgiven: 1_000, currency: 'EUR' });
    expect(await c.result()).toMatchObject({ status: 'closed_by_return', received: 0 });
    expect(c.world.reminders).toEqual([]);
  });
});
