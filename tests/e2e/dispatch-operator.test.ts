import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus } from '../helpers/orders';
import { startCarrierGate } from '../helpers/carrier-gate';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// DISPATCH asks an operator when a carrier refuses a booking. From there the order may
// not be cancelled: with several shipments one carrier may already hold a booking, and
// giving the stock back would put on sale what that carrier is coming to collect. The
// operator's cancel is refused (the order says so and keeps waiting); their retry books.

describe('a booking the carrier refuses', () => {
  let stack: TestStack;
  let carrier: Awaited<ReturnType<typeof startCarrierGate>>;

  beforeAll(async () => {
    carrier = await startCarrierGate();
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
    carrier.refuseBookings = true;

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
    expect(carrier.refusedBookings()).toBeGreaterThan(0);

    await handle.signal('operatorAction', { action: 'cancel', reason: 'give up', operator: 'ops@example.com' });
    const refusedCancel = await attention(/cannot be cancelled now/);
    expect(refusedCancel.status).toBe('planned');
    expect((await stockLevel(stack, sku, 'BER-1'))?.reserved).toBe(1);

    carrier.refuseBookings = false;
    await handle.signal('operatorAction', { action: 'retry', operator: 'ops@example.com' });
    const delivered = await waitForStatus(stack, id, 'delivered');
    expect(delivered.needsAttention).toBe(false);
    expect(delivered.shipments).toHaveLength(1);
    expect(delivered.shipments[0].trackingNumber).toBeTruthy();
    expect(delivered.timeline.map((t: { status: string }) => t.status)).not.toContain('cancelled');
  });
});
