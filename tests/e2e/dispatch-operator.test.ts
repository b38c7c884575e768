import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// DISPATCH asks an operator when a carrier refuses a booking. From there the order may
// not be cancelled: with several shipments one carrier may already hold a booking, and
// giving the stock back would put on sale what that carrier is coming to collect. The
// operator's cancel is refused (the order says so and keeps waiting); their retry books.

/** A door in front of the real sandbox that, while `refusing`, turns bookings away as a carrier would. */
async function startRefusingCarrier() {
  let target = '';
  let refusing = false;
  let refused = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (refusing && req.method === 'POST' && req.url === '/v1/shipments') {
        refused++;
        res.writeHead(422, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Booking refused', detail: 'pick-up address not served this week', code: 'pickup_unavailable' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'accept', 'idempotency-key']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set target(url: string) {
      target = url.replace(/\/+$/, '');
    },
    set refusing(on: boolean) {
      refusing = on;
    },
    refused: () => refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('a booking the carrier refuses', () => {
  let stack: TestStack;
  let carrier: Awaited<ReturnType<typeof startRefusingCarrier>>;

  beforeAll(async () => {
    carrier = await startRefusingCarrier();
    stack = await startTestStack({ CARRIER_API_URL: carrier.url });
    carrier.target = stack.sandboxUrl;
    await seedDemoCatalogue(stack.db);
  });
  afterAll(async () => {
    await stack?.stop();
    await carrier?.stop();
  });

  it('waits for an operator, refuses their cancel, and books on their retry', async () => {
    const sku = uniqueSku('CRATE');
    await createProduct(stack, sku);
    await receiveStock(stack, 'BER-1', sku, 2);
    carrier.refusing = true;

    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 1, unitPrice: 1000 }] }) });
    expect(created.status).toBe(201);
    const { id, workflowId } = created.body;
    const handle = stack.running.client.workflow.getHandle(workflowId);
    const attention = (pattern: RegExp) =>
      waitFor(
        async () => {
          const { body } = await stack.api('GET', `/v1/orders/${id}`);
          return body.needsAttention && pattern.test(body.attentionReason ?? '') ? body : undefined;
        },
        { timeoutMs: 30_000, message: `order ${id} to ask for an operator (${pattern})` },
      );

    const stuck = await attention(/book shipment .* failed: .*pick-up address not served/);
    expect(stuck.status).toBe('planned');
    expect(carrier.refused()).toBeGreaterThan(0);

    await handle.signal('operatorAction', { action: 'cancel', reason: 'give up', operator: 'ops@example.com' });
    const refusedCancel = await attention(/cannot be cancelled now/);
    expect(refusedCancel.status).toBe('planned');
    expect((await stockLevel(stack, sku, 'BER-1'))?.reserved).toBe(1);

    carrier.refusing = false;
    await handle.signal('operatorAction', { action: 'retry', operator: 'ops@example.com' });
    const delivered = await waitForStatus(stack, id, 'delivered');
    expect(delivered.needsAttention).toBe(false);
    expect(delivered.shipments).toHaveLength(1);
    expect(delivered.shipments[0].trackingNumber).toBeTruthy();
    expect(delivered.timeline.map((t: { status: string }) => t.status)).not.toContain('cancelled');
  });
});
