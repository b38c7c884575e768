import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { startCarrierGate } from '../helpers/carrier-gate';
import { createProduct, receiveStock, sampleOrder, uniqueSku } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// The operator's `skip`, where a step allows one: the carrier's tracking poll. A carrier
// that refuses to answer a poll stops the order at an operator question; skipping it goes
// on without that poll's news (the carrier's webhooks still count), and the order is
// delivered as the carrier tells it.

describe('an operator skips a tracking poll the carrier refuses', () => {
  let stack: TestStack;
  let carrier: Awaited<ReturnType<typeof startCarrierGate>>;

  beforeAll(async () => {
    carrier = await startCarrierGate();
    stack = await startTestStack({
      CARRIER_API_URL: carrier.url,
      // The parcel waits for the test to send it on its way, so the poll comes first.
      CARRIER_SANDBOX_PICKUP_AFTER: '1000d',
      ORDERFLOW_TRACKING_POLL_INTERVAL: '12h',
    });
    carrier.target = stack.sandboxUrl;
    await seedDemoCatalogue(stack.db);
  });
  afterAll(async () => {
    await stack?.stop();
    await carrier?.stop();
  });

  it('asks an operator with skip among the choices; the skip goes on, and the order is delivered', async () => {
    const sku = uniqueSku('BEACON');
    await createProduct(stack, sku);
    await receiveStock(stack, 'BER-1', sku, 2);
    carrier.refuseTracking = true;

    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 1, unitPrice: 1000 }] }) });
    expect(created.status).toBe(201);
    const { id, workflowId } = created.body;
    const stuck = await waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/orders/${id}`);
        return body.needsAttention && /for tracking failed/.test(body.attentionReason ?? '') ? body : undefined;
      },
      { timeoutMs: 30_000, message: `order ${id} to ask an operator about the refused poll` },
    );
    expect(stuck.status).toBe('dispatched');
    expect(stuck.attentionReason).toMatch(/tracking service unavailable for this parcel/);

    // The operator's desk in the Temporal UI offers the skip and says what it means.
    const handle = stack.running.client.workflow.getHandle(workflowId);
    const { currentDetails } = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toMatch(/`skip`: go on without it; no news from this poll/);

    // The carrier sends the parcel on its way; its polls stay refused throughout. Only a
    // skip lets the order past a refused poll (a retry would ask the carrier again and be
    // refused again), so each time the order asks, the operator skips.
    const [shipment] = stuck.shipments;
    const collected = await fetch(`${stack.sandboxUrl}/sandbox/shipments/${encodeURIComponent(shipment.trackingNumber)}/fate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fate: 'on_time' }),
    });
    expect(collected.status).toBe(200);
    let skips = 0;
    const delivered = await waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/orders/${id}`);
        if (body.needsAttention) {
          skips++;
          await handle.signal('operatorAction', { action: 'skip', operator: 'ops@example.com' });
          return undefined;
        }
        return ['delivered', 'signed_off', 'awaiting_feedback', 'completed'].includes(body.status) ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, message: 'the order to be delivered past the refused polls' },
    );
    expect(skips).toBeGreaterThan(0);
    expect(carrier.refusedPolls()).toBeGreaterThan(0);
    expect(delivered.needsAttention).toBe(false);
    expect(delivered.shipments[0].tracking.map((t: { status: string }) => t.status)).toEqual(['label_created', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(delivered.timeline.map((t: { status: string }) => t.status)).not.toContain('cancelled');
  });
});
