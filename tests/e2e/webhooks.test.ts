import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app';
import { eq } from 'drizzle-orm';
import { orderEvents, webhookDeliveries } from '../../src/db/schema';
import { seedDemoCatalogue } from '../../src/db/seed';
import { codecKeysFor } from '../../src/temporal/codec-keys';
import { verify } from '../../src/webhooks/signature';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Outbound webhooks through the running service: an integrator subscribes real HTTP
// receivers, places an order, and its status changes arrive signed (Standard Webhooks),
// in order, retried through a receiver's failure, and sent again on request. Another
// integrator's key sees none of it.

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, any> };
}

/** A webhook receiver on a free port; `answer` decides each response's status. */
async function startReceiver(answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        raw,
        body: JSON.parse(raw),
      });
      res.statusCode = answer(received.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const OTHER_INTEGRATOR = 'test-other-integrator-key-01';

describe('outbound webhooks', () => {
  let stack: TestStack;
  let good: Awaited<ReturnType<typeof startReceiver>>;
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  let stranger: Awaited<ReturnType<typeof startReceiver>>;
  let strangerSubscription: string;
  /** The same service's API as another integrator's key sees it. */
  let other: { url: string; server: http.Server };
  const subs: { good?: { id: string; secret: string }; flaky?: { id: string; secret: string } } = {};
  let orderId: string;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_WEBHOOK_RETRY_BASE: '100ms' });
    await seedDemoCatalogue(stack.db);
    good = await startReceiver();
    // The first request fails, everything after is accepted.
    flaky = await startReceiver((n) => (n === 1 ? 500 : 200));
    const app = createApi({
      db: stack.db,
      client: stack.running.client,
      apiKeys: [{ role: 'integrator', key: OTHER_INTEGRATOR }],
      taskQueues: stack.config.temporal.taskQueues,
      orderSettings: stack.config.orderSettings,
      webhookSecrets: stack.config.carriers.webhookSecrets,
      webhooks: { keys: codecKeysFor(stack.config), allowLocalHttp: true, maxAttempts: 10 },
      log: () => undefined,
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    other = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };

    for (const [name, receiver, eventTypes] of [
      ['good', good, ['order.status_changed', 'order.delivered', 'order.cancelled']],
      ['flaky', flaky, ['order.status_changed']],
    ] as const) {
      const created = await stack.api('POST', '/v1/webhook-subscriptions', { body: { url: receiver.url, eventTypes, description: name } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}=*$/);
      subs[name] = { id: created.body.id, secret: created.body.secret };
    }
    // Another integrator subscribes too: it must hear nothing of this integrator's order.
    stranger = await startReceiver();
    const theirs = await fetch(`${other.url}/v1/webhook-subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OTHER_INTEGRATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: stranger.url, eventTypes: ['order.status_changed'], description: 'stranger' }),
    });
    expect(theirs.status).toBe(201);
    strangerSubscription = ((await theirs.json()) as { id: string }).id;
    const order = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(order.status).toBe(201);
    orderId = order.body.id;
    await waitForStatus(stack, orderId, 'delivered');
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await good?.close();
    await flaky?.close();
    await stranger?.close();
    await new Promise((resolve) => other?.server.close(resolve));
  });

  const statusChanges = (r: Received[]) => r.filter((m) => m.body.type === 'order.status_changed' && m.body.data.orderId === orderId);
  const reached = (r: Received[], status: string) => statusChanges(r).some((m) => m.body.data.status === status);

  it("delivers the order's status changes signed, in order, with no personal data", async () => {
    await waitFor(() => reached(good.received, 'delivered') && good.received.some((m) => m.body.type === 'order.delivered'), {
      timeoutMs: 10_000,
      message: 'the delivered status at the receiver',
    });
    for (const m of good.received) {
      expect(verify(subs.good!.secret, m, m.raw), m.raw).toEqual({ ok: true });
      expect(verify(subs.flaky!.secret, m, m.raw).ok).toBe(false);
      expect(m.raw).not.toMatch(/Ada|Lovelace|ada@example|1234567|Linden/);
    }
    const changes = statusChanges(good.received);
    const versions = changes.map((m) => m.body.data.version as number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(changes.map((m) => m.body.data.status)).toEqual(expect.arrayContaining(['received', 'reserved', 'dispatched', 'delivered']));
    expect(changes[0]!.body.data).toMatchObject({ orderId, orderNumber: expect.stringMatching(/^OF-/), stage: 'verify' });
    // Only the types it asked for.
    expect(new Set(good.received.map((m) => m.body.type))).toEqual(new Set(['order.status_changed', 'order.delivered']));
    // Fanned out in the same pass as these: another integrator's subscription got none of them.
    expect(await stack.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, strangerSubscription))).toEqual([]);
    expect(stranger.received).toEqual([]);
  });

  it('retries a failed delivery with the same webhook-id, keeps the order, and logs the attempts', async () => {
    await waitFor(() => reached(flaky.received, 'delivered'), { timeoutMs: 10_000, message: 'the delivered status at the flaky receiver' });
    const [first, second] = flaky.received;
    expect(second!.id).toBe(first!.id);
    expect(second!.raw).toBe(first!.raw);
    // After the retry, the rest follow in order and each once.
    const versions = statusChanges(flaky.received).slice(1).map((m) => m.body.data.version as number);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));

    const log = await stack.api('GET', `/v1/webhook-subscriptions/${subs.flaky!.id}/deliveries?limit=200`);
    expect(log.status).toBe(200);
    const retried = log.body.data.find((d: any) => d.messageId === first!.id);
    expect(retried).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200, eventType: 'order.status_changed' });
    expect(retried.attemptLog.map((a: any) => a.statusCode)).toEqual([500, 200]);
    expect(retried.attemptLog[0].error).toBe('HTTP 500');
    expect(log.body.data.every((d: any) => d.status === 'delivered')).toBe(true);
  });

  it('sends a delivery again on request, with the same webhook-id', async () => {
    const log = await stack.api('GET', `/v1/webhook-subscriptions/${subs.good!.id}/deliveries?status=delivered`);
    const delivery = log.body.data.at(-1);
    const before = good.received.filter((m) => m.id === delivery.messageId).length;
    expect(before).toBe(1);
    const again = await stack.api('POST', `/v1/webhook-deliveries/${delivery.id}/redeliver`);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({ id: delivery.id, status: 'pending' });
    await waitFor(() => good.received.filter((m) => m.id === delivery.messageId).length === 2, { message: 'the redelivery' });
    const resent = good.received.filter((m) => m.id === delivery.messageId);
    expect(resent[1]!.raw).toBe(resent[0]!.raw);
    expect(verify(subs.good!.secret, resent[1]!, resent[1]!.raw)).toEqual({ ok: true });
    await waitFor(async () => {
      const after = await stack.api('GET', `/v1/webhook-subscriptions/${subs.good!.id}/deliveries?limit=200`);
      const d = after.body.data.find((x: any) => x.id === delivery.id);
      return d.status === 'delivered' && d.attemptLog.length === 2;
    });
  });

  it("never shows the secret again, and fences one integrator's subscriptions from another's", async () => {
    const mine = await stack.api('GET', `/v1/webhook-subscriptions/${subs.good!.id}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id: subs.good!.id, url: good.url, description: 'good' });
    expect(JSON.stringify(mine.body)).not.toContain('whsec_');
    const list = await stack.api('GET', '/v1/webhook-subscriptions');
    expect(list.body.data.map((s: any) => s.id).sort()).toEqual([subs.good!.id, subs.flaky!.id].sort());
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const asOther = (method: string, path: string) =>
      fetch(`${other.url}${path}`, { method, headers: { authorization: `Bearer ${OTHER_INTEGRATOR}` } }).then(async (r) => ({
        status: r.status,
        body: (await r.json().catch(() => undefined)) as any,
      }));
    expect((await asOther('GET', '/v1/webhook-subscriptions')).body.data.map((s: any) => s.id)).toEqual([strangerSubscription]);
    for (const path of [`/v1/webhook-subscriptions/${subs.good!.id}`, `/v1/webhook-subscriptions/${subs.good!.id}/deliveries`]) {
      expect((await asOther('GET', path)).status).toBe(404);
    }
    expect((await asOther('DELETE', `/v1/webhook-subscriptions/${subs.good!.id}`)).status).toBe(404);
    const someDelivery = (await stack.api('GET', `/v1/webhook-subscriptions/${subs.good!.id}/deliveries?limit=1`)).body.data[0];
    expect((await asOther('POST', `/v1/webhook-deliveries/${someDelivery.id}/redeliver`)).status).toBe(404);

    expectProblem(await stack.api('GET', '/v1/webhook-subscriptions', { key: TEST_KEYS.operator }), 403);
    expect((await stack.api('GET', `/v1/webhook-subscriptions/${subs.good!.id}`, { key: TEST_KEYS.admin })).status).toBe(200);
  });

  it('refuses plain http to other hosts and unknown event types, naming the field', async () => {
    const insecure = await stack.api('POST', '/v1/webhook-subscriptions', { body: { url: 'http://example.com/hooks', eventTypes: ['order.completed'] } });
    expectProblem(insecure, 422);
    expect(fields(insecure)).toEqual(['url']);
    const unknown = await stack.api('POST', '/v1/webhook-subscriptions', { body: { url: 'https://example.com/hooks', eventTypes: ['order.teleported'] } });
    expectProblem(unknown, 422);
    expect(fields(unknown)[0]).toMatch(/^eventTypes/);
  });

  it('stops sending to a deleted subscription', async () => {
    expect((await stack.api('DELETE', `/v1/webhook-subscriptions/${subs.flaky!.id}`)).status).toBe(204);
    expectProblem(await stack.api('GET', `/v1/webhook-subscriptions/${subs.flaky!.id}`), 404);
    expect((await stack.api('GET', '/v1/webhook-subscriptions')).body.data.map((s: any) => s.id)).toEqual([subs.good!.id]);
  });

  it('delivers an event whose transaction commits after a later one (ids are not commit order)', async () => {
    // Artificial status rows for the test's order, written as an activity would.
    const row = (version: number, status: string) => ({ orderId, version, status, stage: 'track', detail: {} });
    const arrived = (version: number) => good.received.some((m) => m.body.data.orderId === orderId && m.body.data.version === version);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let lateId!: (id: number) => void;
    const lateInserted = new Promise<number>((resolve) => (lateId = resolve));
    const lateTx = stack.db.transaction(async (tx) => {
      const [late] = await tx.insert(orderEvents).values(row(1001, 'in_transit')).returning({ id: orderEvents.id });
      lateId(late!.id);
      await held;
    });
    const late = await lateInserted;
    const [early] = await stack.db.insert(orderEvents).values(row(1002, 'out_for_delivery')).returning({ id: orderEvents.id });
    expect(early!.id).toBeGreaterThan(late);
    await waitFor(() => arrived(1002), { message: 'the event committed first' });
    expect(arrived(1001)).toBe(false);
    release();
    await lateTx;
    await waitFor(() => arrived(1001), { message: 'the event committed late' });
  });
});
