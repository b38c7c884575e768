import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries, reservations } from '../../src/db/schema';
import { ledgerDiscrepancies } from '../../src/inventory/stock-ledger';
import {
  createProduct,
  FEEDBACK,
  receiveStock,
  sampleOrder,
  SIGN_OFF,
  stockLevel,
  uniqueSku,
  waitForStatus,
  waitForWorkflowStatus,
} from '../helpers/orders';
import { expectProblem } from '../helpers/problem';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';

// Stockouts (R1.8, R2.4) through the HTTP API: the options on offer with their
// consequences, an option not on offer refused naming those that are, the configured
// default on silence, and arriving stock served by priority, only as far as it goes.

const WAREHOUSE = 'BER-1';

describe('stockouts', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      // 5 days at the test scale: about 4.3 s to answer; silence means `wait`.
      ORDERFLOW_STOCK_DECISION_WINDOW: '5d',
      ORDERFLOW_STOCKOUT_DEFAULT: 'wait',
      // Back-ordered orders also look on their own (about every 0.9 s): a look of their
      // own must not let them jump the queue.
      ORDERFLOW_STOCK_RECHECK_INTERVAL: '1d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  const place = async (sku: string, quantity: number, overrides: Record<string, unknown> = {}) => {
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({ items: [{ sku, quantity, unitPrice: 1000 }], ...overrides }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; number: string };
  };
  const deciding = async (id: string) => {
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    return waitForStatus(stack, id, 'awaiting_stock_decision');
  };
  const respond = (id: string, body: Record<string, unknown>) => stack.api('POST', `/v1/orders/${id}/stockout-response`, { body });

  it('offers wait (with its ETA), substitute (with the price difference) and cancel; refuses what is not on offer, naming what is', async () => {
    const sku = uniqueSku('SHORT');
    const better = uniqueSku('BETTER');
    const scarce = uniqueSku('SCARCE');
    await createProduct(stack, better, { unitPrice: 1250 });
    await createProduct(stack, scarce, { unitPrice: 900 });
    const product = await createProduct(stack, sku, { substitutes: [better, scarce] });
    expect(product.substitutes).toEqual([better, scarce]);
    await receiveStock(stack, WAREHOUSE, better, 5);
    await receiveStock(stack, WAREHOUSE, scarce, 1);

    const { id } = await place(sku, 2);
    const order = await deciding(id);
    expect(order.stockout.shortages).toEqual([{ sku, requested: 2, available: 0 }]);
    const options = order.stockout.options as { decision: string; [k: string]: unknown }[];
    // Too little of the scarce substitute: not on offer; no other region has any: no transfer.
    expect(options.map((o) => o.decision)).toEqual(['wait', 'substitute', 'cancel']);
    expect(options[0]!.eta).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(options[1]!.substitutes).toEqual([{ forSku: sku, sku: better, name: `Test product ${better}`, priceDifference: { amount: 500, currency: 'EUR' } }]);
    expect(options[2]).toMatchObject({ decision: 'cancel', consequence: expect.stringMatching(/nothing was paid/) });
    for (const o of options) expect(o.consequence).toEqual(expect.any(String));

    const partial = await respond(id, { decision: 'partial' });
    expectProblem(partial, 409);
    expect(partial.body.detail).toMatch(/"partial" is not on offer.*wait, substitute, cancel/);
    const transfer = await respond(id, { decision: 'transfer' });
    expectProblem(transfer, 409);
    const wrongSubstitute = await respond(id, { decision: 'substitute', substituteSku: scarce });
    expectProblem(wrongSubstitute, 409);
    expect(wrongSubstitute.body.detail).toContain(`the substitutes are: ${better}`);
    expectProblem(await respond(id, { decision: 'substitute' }), 422);

    const taken = await respond(id, { decision: 'substitute', substituteSku: better });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    const reserved = await waitForStatus(stack, id, ['reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    // The line is the substitute now, at the price agreed.
    expect(reserved.items).toEqual([expect.objectContaining({ sku: better, quantity: 2, unitPrice: 1000 })]);
    const held = await stack.db.select().from(reservations).where(eq(reservations.orderId, id));
    expect(held.map((r) => [r.sku, r.quantity])).toEqual([[better, 2]]);
  });

  it('cancel refunds what was paid (one refund journal) and gives nothing back it did not take', async () => {
    const sku = uniqueSku('GONE');
    await createProduct(stack, sku);
    const { id } = await place(sku, 1);
    await deciding(id);
    const paid = await stack.api('POST', '/v1/payments', {
      key: TEST_KEYS.integrator,
      body: { orderId: id, amount: 700, currency: 'EUR', method: 'card', reference: `pay-${randomUUID()}` },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);

    expect((await respond(id, { decision: 'cancel', reason: 'bought it elsewhere' })).status).toBe(200);
    const cancelled = await waitForStatus(stack, id, 'cancelled');
    expect(cancelled.timeline.at(-1).detail).toEqual({ reason: 'bought it elsewhere' });
    const refund = await stack.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.orderId, id), eq(ledgerEntries.kind, 'refund')));
    expect(refund.map((e) => [e.journalId, e.side, e.account, e.amount]).sort()).toEqual([
      [`refund:stockout:${id}`, 'credit', 'cash', 700],
      [`refund:stockout:${id}`, 'debit', 'customer_prepayments', 700],
    ]);

    // A cancel sent while the customer decides (not an answer to the question) refunds too.
    const other = await place(sku, 1);
    await deciding(other.id);
    const paidToo = await stack.api('POST', '/v1/payments', {
      key: TEST_KEYS.integrator,
      body: { orderId: other.id, amount: 300, currency: 'EUR', method: 'card', reference: `pay-${randomUUID()}` },
    });
    expect(paidToo.status).toBe(201);
    expect((await stack.api('POST', `/v1/orders/${other.id}/cancel`, { body: { reason: 'too slow' } })).status).toBe(200);
    await waitForStatus(stack, other.id, 'cancelled');
    const refunded = await stack.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.orderId, other.id), eq(ledgerEntries.kind, 'refund'), eq(ledgerEntries.side, 'debit')));
    expect(refunded.map((e) => e.amount)).toEqual([300]);
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('an urgent and a normal order wait for one SKU: one unit serves the urgent one, the next the other; both complete', async () => {
    const sku = uniqueSku('PRIO');
    await createProduct(stack, sku);
    // The normal order is the older: priority, not age, decides.
    const normal = await place(sku, 1, { priority: 'normal' });
    const urgent = await place(sku, 1, { priority: 'urgent' });
    for (const o of [normal, urgent]) {
      const asking = await deciding(o.id);
      expect(asking.stockout.options.map((x: { decision: string }) => x.decision)).toEqual(['wait', 'cancel']);
    }
    // Nobody answers: the configured default (`wait`) back-orders both when the window closes.
    for (const o of [normal, urgent]) await waitForWorkflowStatus(stack, o.id, 'backordered', 20_000);

    await receiveStock(stack, WAREHOUSE, sku, 1);
    await waitForStatus(stack, urgent.id, ['reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    // The normal order keeps waiting, through the looks of its own while the urgent one travels.
    await waitForWorkflowStatus(stack, urgent.id, 'delivered', 20_000);
    expect((await stack.api('GET', `/v1/orders/${normal.id}`)).body.status).toBe('backordered');
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 0, reserved: 0 });

    await receiveStock(stack, WAREHOUSE, sku, 1);
    await waitForWorkflowStatus(stack, normal.id, 'delivered', 20_000);

    for (const o of [urgent, normal]) {
      const { number } = (await stack.api('GET', `/v1/orders/${o.id}`)).body;
      expect((await stack.api('POST', `/v1/orders/${o.id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(200);
      expect((await stack.api('POST', `/v1/orders/${o.id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    }
    for (const o of [urgent, normal]) {
      const done = await waitForStatus(stack, o.id, 'completed');
      expect(done.timeline.map((t: { status: string }) => t.status)).toEqual(expect.arrayContaining(['awaiting_stock_decision', 'backordered', 'reserved', 'completed']));
    }
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });
});
