import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries, reservations, shipments } from '../../src/db/schema';
import { ledgerDiscrepancies } from '../../src/inventory/stock-ledger';
import { createProduct, FEEDBACK, receiveStock, sampleOrder, SIGN_OFF, stockLevel, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { expectProblem } from '../helpers/problem';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R1.8 `partial`, through the HTTP API: once the first part is with the carrier, a cancel
// gives up only the rest still waiting for stock. Unpaid (prepayment is off here), the
// rest comes off the total; paid, it is refunded; either way SETTLE charges what shipped.
// Once the rest is reserved, the cancel is refused. Berlin customers, reach: their region.

const HOME = 'BER-1';
const PRICE = 1000;

describe('partial: cancelling the rest still waiting', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      ORDERFLOW_ALLOCATION_REACH: 'region',
      // Only a receipt wakes the rest within a test.
      ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  /** An order of 3 × short (1 in stock) and 2 × whole whose customer chose `partial`; its first part is with the carrier. */
  const partialOrder = async () => {
    const short = uniqueSku('REST');
    const whole = uniqueSku('FIRST');
    for (const sku of [short, whole]) await createProduct(stack, sku);
    await receiveStock(stack, HOME, short, 1);
    await receiveStock(stack, HOME, whole, 2);
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({ items: [{ sku: short, quantity: 3, unitPrice: PRICE }, { sku: whole, quantity: 2, unitPrice: PRICE }] }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    expect((await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'partial' } })).status).toBe(200);
    await waitForWorkflowStatus(stack, id, ['in_transit', 'out_for_delivery'], 30_000);
    return { id, short, whole };
  };
  const cancel = (id: string) => stack.api('POST', `/v1/orders/${id}/cancel`, { body: { reason: 'no longer needed' } });
  const complete = async (id: string) => {
    await waitForWorkflowStatus(stack, id, 'delivered', 30_000);
    const { number } = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(200);
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    return waitForStatus(stack, id, 'completed');
  };
  const journal = (id: string, journalId: string) =>
    stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.orderId, id), eq(ledgerEntries.journalId, journalId)));
  const settledAmount = async (id: string) => (await journal(id, `order-settlement:${id}`)).find((e) => e.side === 'debit')?.amount;

  it('unpaid: the rest is cancelled, not charged (off the total), the queue forgets it, and the order completes with the first part', async () => {
    const { id, short } = await partialOrder();
    const before = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(before.backOrdered).toEqual([{ line: 1, sku: short, quantity: 2 }]);

    const cancelled = await cancel(id);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.cancelled).toEqual({
      what: 'rest',
      fulfilment: 1,
      lines: [{ line: 1, sku: short, quantity: 2 }],
      value: { amount: 2 * PRICE, currency: 'EUR' },
      refunded: { amount: 0, currency: 'EUR' },
    });
    expect(cancelled.body.backOrdered).toBeNull();
    expect(cancelled.body.status).not.toBe('cancelled');
    expect(cancelled.body.totals.total).toBe(before.totals.total - 2 * PRICE);
    const marker = (cancelled.body.timeline as { detail: Record<string, unknown> }[]).find((e) => e.detail.restCancelled);
    expect(marker?.detail).toMatchObject({ restCancelled: { lines: [{ sku: short, quantity: 2 }] }, reason: 'no longer needed' });

    // Nothing more can be cancelled now.
    expectProblem(await cancel(id), 409);

    // Stock for the rest arriving now stays on the shelf: nobody waits for it.
    await receiveStock(stack, HOME, short, 2);
    const done = await complete(id);
    expect(await stockLevel(stack, short, HOME)).toMatchObject({ onHand: 2, reserved: 0 });
    const held = await stack.db.select().from(reservations).where(eq(reservations.orderId, id));
    expect(held.every((r) => r.fulfilment === 0)).toBe(true);
    expect((await stack.db.select().from(shipments).where(eq(shipments.orderId, id))).map((s) => s.fulfilment)).toEqual([0]);
    // SETTLE charges what shipped: the first part and the shipping.
    expect(await settledAmount(id)).toBe(done.totals.total);
    expect(done.totals.total).toBe(3 * PRICE + done.totals.shipping);
    expect(await journal(id, `refund:rest:${id}:f1`)).toEqual([]);
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('paid: what was paid for the rest is refunded, the total stays, and SETTLE charges the total less the refund', async () => {
    const { id, short } = await partialOrder();
    const before = (await stack.api('GET', `/v1/orders/${id}`)).body;
    const paid = await stack.api('POST', '/v1/payments', {
      key: TEST_KEYS.integrator,
      body: { orderId: id, amount: before.totals.total, currency: 'EUR', method: 'card', reference: `pay-${randomUUID()}` },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);

    const cancelled = await cancel(id);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.cancelled).toMatchObject({ what: 'rest', lines: [{ line: 1, sku: short, quantity: 2 }], refunded: { amount: 2 * PRICE, currency: 'EUR' } });
    expect(cancelled.body.totals.total).toBe(before.totals.total);
    const refund = await journal(id, `refund:rest:${id}:f1`);
    expect(refund.map((e) => [e.account, e.side, e.amount]).sort()).toEqual(
      [
        ['cash', 'credit', 2 * PRICE],
        ['customer_prepayments', 'debit', 2 * PRICE],
      ].sort(),
    );

    const done = await complete(id);
    expect(await settledAmount(id)).toBe(done.totals.total - 2 * PRICE);
  });

  it('refused once the rest is reserved: it is on its way', async () => {
    const { id, short } = await partialOrder();
    await receiveStock(stack, HOME, short, 2);
    await waitFor(async () => (await stack.db.select().from(reservations).where(and(eq(reservations.orderId, id), eq(reservations.fulfilment, 1)))).length > 0, {
      timeoutMs: 15_000,
      message: 'the rest reserved',
    });
    const refused = await cancel(id);
    expectProblem(refused, 409);
    expect(refused.body.detail).toMatch(/with the carrier/);
    await waitFor(async () => (await stack.db.select().from(shipments).where(eq(shipments.orderId, id))).length === 2, {
      timeoutMs: 15_000,
      message: 'the rest shipped',
    });
  });
});
