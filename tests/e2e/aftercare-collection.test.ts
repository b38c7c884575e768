import { randomUUID } from 'node:crypto';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { instalments, ledgerEntries, notifications, orders, shipments } from '../../src/db/schema';
import { periodBounds, periodContaining } from '../../src/domain/settlement-period';
import type { StatementLine } from '../../src/domain/reconciliation-lines';
import { ourLines } from '../../src/finance/our-lines';
import { view as collectionView, operatorAction, type CollectionOutcome } from '../../workflows/collection/messages';
import { createProduct, receiveStock, sampleOrder, SIGN_OFF, uniqueSku, waitForStatus } from '../helpers/orders';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.8 over HTTP, two paths the other aftercare tests leave open:
// - a `return` on an instalment order refunds what was paid (not the total), forgives the
//   rest and ends the order's collection: its unpaid instalments are cancelled, never dunned;
// - a `reship` decided while the order's workflow still runs (delivered, waiting for the
//   sign-off) is taken by that run and carried out, in the same run, once the order completes.
// The sign-off window is long: each order is signed for over HTTP when the test wants it.

const FINANCE = TEST_KEYS.finance;
const ZONE = 'Europe/Berlin';
const WAREHOUSE = 'BER-1';
const SKU = uniqueSku('AFTERCARE-COLL');
const tag = randomUUID().slice(0, 8);

let stack: TestStack;
const api = (method: string, url: string, body?: unknown, key = FINANCE) => stack.api(method, url, { key, body });
const major = (amount: number) => `${Math.trunc(amount / 100)}.${String(Math.abs(amount) % 100).padStart(2, '0')}`;

async function agree(customer: string, method: string) {
  const res = await api('POST', '/v1/agreements', {
    counterparty: { kind: 'customer', id: customer },
    method,
    cycle: 'monthly',
    settlementDay: 1,
    settlementCurrency: 'EUR',
    timeZone: ZONE,
    tolerance: 0,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; counterparty: { kind: string; id: string } };
}

async function place(customer: string, method: string) {
  const res = await stack.api('POST', '/v1/orders', {
    body: sampleOrder({ customer: { ...sampleOrder().customer, id: customer }, items: [{ sku: SKU, quantity: 2, unitPrice: 1000 }], settlement: { method } }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; number: string };
}

async function signFor(order: { id: string; number: string }) {
  await waitForStatus(stack, order.id, 'delivered');
  const signed = await stack.api('POST', `/v1/orders/${order.id}/sign-off`, { body: SIGN_OFF(order.number) });
  expect(signed.status, JSON.stringify(signed.body)).toBe(200);
}

/** Posts the statement and runs the period's settlement now; answers it once it waits for finance. */
async function settleWithStatement(agreementId: string, lines: string[]) {
  const period = periodContaining('monthly', new Date(), ZONE);
  const content = ['reference,kind,amount,currency,date', ...lines].join('\n');
  expect((await api('POST', '/v1/statements', { agreementId, period, format: 'csv', content })).status).toBe(201);
  const run = await api('POST', '/v1/settlements', { agreementId, period, closeEarly: true });
  expect(run.status, JSON.stringify(run.body)).toBeLessThan(300);
  return waitFor(
    async () => {
      const res = await api('GET', `/v1/settlements/${run.body.id}`);
      return res.body.status === 'awaiting_decisions' && res.body;
    },
    { timeoutMs: 20_000, intervalMs: 100, message: 'the settlement to await decisions' },
  );
}

async function discrepancyOf(settlementId: string, id: string) {
  const res = await api('GET', `/v1/settlements/${settlementId}`);
  expect(res.status).toBe(200);
  return res.body.discrepancies.find((d: { id: string }) => d.id === id);
}

/** Every journal balances (debits = credits). */
async function ledgerBalances() {
  const rows = (await stack.db.execute(sql`
    select journal_id from ledger_entries group by journal_id
    having sum(case when side = 'debit' then amount else -amount end) <> 0`)) as unknown as unknown[];
  return rows.length === 0;
}

/** An account's balance (debits less credits) for one order. */
async function balanceOf(orderId: string, account: string) {
  const [row] = (await stack.db.execute(sql`
    select coalesce(sum(case when side = 'debit' then amount else -amount end), 0)::int as n
    from ledger_entries where order_id = ${orderId} and account = ${account}`)) as unknown as { n: number }[];
  return Number(row!.n);
}

beforeAll(async () => {
  stack = await startTestStack({
    ORDERFLOW_SIGN_OFF_WINDOW: '1000d',
    ORDERFLOW_FEEDBACK_WINDOW: '1h',
    ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d',
    ORDERFLOW_RETURN_WAIT: '1000d',
    // No instalment falls due (nor is dunned) on its own during the test.
    ORDERFLOW_INSTALMENT_INTERVAL: '1000d',
    ORDERFLOW_INSTALMENT_COUNT: '3',
  });
  await seedDemoCatalogue(stack.db);
  await createProduct(stack, SKU, { unitPrice: 1000 });
  await receiveStock(stack, WAREHOUSE, SKU, 10);
}, 60_000);
afterAll(() => stack?.stop());

/**
 * An instalment order, completed, its first instalment paid; `meanwhile` runs before finance
 * decides `return` on a settlement discrepancy; the goods come back. Answers what it saw.
 */
async function returnAfterFirstInstalment(customer: string, meanwhile: (collection: ReturnType<typeof collectionOf>, paid: number) => Promise<void> = async () => {}) {
  const agreement = await agree(customer, 'instalments');
  const order = await place(customer, 'instalments');
  await signFor(order);
  await waitForStatus(stack, order.id, 'completed');

  // The collection's schedule; the first instalment is paid.
  const schedule = await waitFor(
    async () => {
      const rows = await stack.db.select().from(instalments).where(eq(instalments.orderId, order.id)).orderBy(instalments.number);
      return rows.length === 3 && rows;
    },
    { timeoutMs: 20_000, intervalMs: 100, message: 'the instalment schedule' },
  );
  const [row] = await stack.db.select({ total: orders.totalAmount }).from(orders).where(eq(orders.id, order.id));
  const first = schedule[0]!;
  const paid = await stack.api('POST', '/v1/payments', {
    key: TEST_KEYS.integrator,
    body: { orderId: order.id, amount: first.amount, currency: 'EUR', method: 'bank_transfer', reference: `sepa-${order.number}-1`, instalmentNumber: 1 },
  });
  expect(paid.status, JSON.stringify(paid.body)).toBe(201);
  const collection = collectionOf(order.id);
  await waitFor(async () => (await collection.query(collectionView)).instalments.find((i) => i.number === 1)?.status === 'paid', {
    timeoutMs: 10_000,
    intervalMs: 100,
    message: 'instalment 1 paid in the collection',
  });
  await meanwhile(collection, first.amount);

  // Their statement bills the sale 1.00 higher: finance decides the goods come back.
  const { start, end } = periodBounds(periodContaining('monthly', new Date(), ZONE), ZONE);
  const ours = await ourLines(stack.db, { counterparty: agreement.counterparty as never, periodStart: start, periodEnd: end, timeZone: ZONE });
  const lines: StatementLine[] = ours.map((l) => (l.kind === 'sale' && l.reference === order.number ? { ...l, amount: l.amount + 100 } : l));
  const waiting = await settleWithStatement(
    agreement.id,
    lines.map((l) => `${l.reference},${l.kind},${major(l.amount)},${l.currency},${l.date}`),
  );
  const d = waiting.discrepancies.find((x: { orderId: string | null }) => x.orderId === order.id);
  expect(d).toMatchObject({ kind: 'amount_differs', status: 'open' });
  const decided = await api('POST', `/v1/settlements/${waiting.id}/discrepancies/${d.id}/resolution`, { action: 'return', note: 'customer sends it back' });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  await waitForStatus(stack, order.id, 'awaiting_return');
  const received = await stack.api('POST', `/v1/orders/${order.id}/returns/received`, { key: TEST_KEYS.operator, body: { discrepancyId: d.id } });
  expect(received.status, JSON.stringify(received.body)).toBe(200);
  expect(received.body.status).toBe('refunded');
  return { order, total: row!.total, first, collection, settlementId: waiting.id as string, discrepancyId: d.id as string };
}

const collectionOf = (orderId: string) => stack.running.client.workflow.getHandle(`collection-${orderId}`);

describe('a return on an instalment order settles its collection', () => {
  it('refunds the instalment paid, cancels the others, and the collection ends; the ledger balances', { timeout: 60_000 }, async () => {
    const { order, total, first, collection, settlementId, discrepancyId } = await returnAfterFirstInstalment(`cust-instal-return-${tag}`);

    // The refund is what was paid — not the total; the unpaid rest is no longer owed.
    const refund = await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.journalId, `refund:${discrepancyId}`));
    expect(refund).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'refund', side: 'credit', account: 'cash', amount: first.amount }),
        expect.objectContaining({ kind: 'refund', side: 'debit', account: 'customer_refunds', amount: first.amount }),
      ]),
    );
    expect(refund).toHaveLength(2);
    const unpaid = await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.journalId, `return-unpaid:${discrepancyId}`));
    expect(unpaid).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'adjustment', side: 'credit', account: 'instalment_receivable', amount: total - first.amount }),
        expect.objectContaining({ kind: 'adjustment', side: 'debit', account: 'customer_refunds', amount: total - first.amount }),
      ]),
    );
    // Nothing is owed any more, and the cash that came in went back out: no more, no less.
    expect(await balanceOf(order.id, 'instalment_receivable')).toBe(0);
    expect(await balanceOf(order.id, 'cash')).toBe(0);
    expect(await ledgerBalances()).toBe(true);
    const shown = await discrepancyOf(settlementId, discrepancyId);
    expect(shown.resolution.carriedOut).toMatchObject({
      status: 'done',
      outcome: { refund: { amount: first.amount, currency: 'EUR' }, forgiven: { amount: total - first.amount, currency: 'EUR' } },
    });

    // The collection: instalments 2 and 3 cancelled (as recorded and as it shows them), and it ends.
    await waitFor(async () => (await collection.describe()).status.name === 'COMPLETED', { timeoutMs: 10_000, intervalMs: 100, message: 'the collection to end' });
    const outcome: CollectionOutcome = await collection.result();
    expect(outcome).toEqual({ orderId: order.id, status: 'closed_by_return', received: first.amount });
    const seen = await collection.query(collectionView);
    expect(seen.instalments.map((i) => i.status)).toEqual(['paid', 'cancelled', 'cancelled']);
    expect(seen).toMatchObject({ needsAttention: false, forgiven: total - first.amount });
    const rows = await stack.db.select().from(instalments).where(eq(instalments.orderId, order.id)).orderBy(instalments.number);
    expect(rows.map((r) => r.status)).toEqual(['paid', 'cancelled', 'cancelled']);
    const dunned = await stack.db.select().from(notifications).where(and(eq(notifications.orderId, order.id), like(notifications.template, 'instalment_overdue%')));
    expect(dunned).toEqual([]);
    const [flag] = await stack.db.select({ needsAttention: orders.needsAttention }).from(orders).where(eq(orders.id, order.id));
    expect(flag!.needsAttention).toBe(false);
  });

  it('a collection an operator already closed is not told: the return still refunds what was paid and the order ends refunded', { timeout: 60_000 }, async () => {
    const { order, first, collection, settlementId, discrepancyId } = await returnAfterFirstInstalment(`cust-instal-closed-${tag}`, async (c, paid) => {
      await c.signal(operatorAction, { action: 'cancel', reason: 'customer disputes the plan' });
      expect(await c.result()).toMatchObject({ status: 'closed_by_operator', received: paid });
    });
    expect((await discrepancyOf(settlementId, discrepancyId)).resolution.carriedOut).toMatchObject({ status: 'done', outcome: { refund: { amount: first.amount } } });
    expect(await collection.result()).toMatchObject({ status: 'closed_by_operator' });
    await waitFor(async () => (await stack.running.client.workflow.getHandle(`order-${order.id}`).describe()).status.name === 'COMPLETED', {
      timeoutMs: 10_000,
      message: 'the order run closed',
    });
    expect(await balanceOf(order.id, 'cash')).toBe(0);
    expect(await ledgerBalances()).toBe(true);
  });
});

describe('a reship decided while the order still runs', () => {
  it('is taken by the running run and carried out in it once the order completes', { timeout: 60_000 }, async () => {
    const customer = `cust-running-reship-${tag}`;
    const agreement = await agree(customer, 'prepaid');
    const order = await place(customer, 'prepaid');
    // Delivered and waiting for the recipient's signature (a long window): the run is open.
    await waitForStatus(stack, order.id, 'delivered');
    const handle = stack.running.client.workflow.getHandle(`order-${order.id}`);
    const before = await handle.describe();
    expect(before.status.name).toBe('RUNNING');

    // Their statement bills the sale before we settled it: a discrepancy on the running order.
    const day = new Date().toISOString().slice(0, 10);
    const waiting = await settleWithStatement(agreement.id, [`${order.number},sale,20.00,EUR,${day}`]);
    const d = waiting.discrepancies.find((x: { orderId: string | null }) => x.orderId === order.id);
    expect(d).toMatchObject({ status: 'open' });
    const decided = await api('POST', `/v1/settlements/${waiting.id}/discrepancies/${d.id}/resolution`, { action: 'reship', note: 'customer says one parcel never came' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    // The running run took the request (an update): no new run, nothing shipped yet.
    expect(decided.body.resolution.carriedOut).toMatchObject({ workflowId: `order-${order.id}`, runId: before.runId, status: 'requested' });
    const meanwhile = (await stack.api('GET', `/v1/orders/${order.id}`)).body;
    expect(meanwhile.status).toBe('delivered');
    expect((await discrepancyOf(waiting.id, d.id)).resolution.carriedOut).toMatchObject({ runId: before.runId, status: 'requested' });
    expect(await stack.db.select().from(shipments).where(eq(shipments.replacesIncidentId, d.id))).toEqual([]);

    // The recipient signs; the order completes, then the same run ships again to the door.
    await signFor(order);
    const done = await waitFor(
      async () => {
        const shown = await discrepancyOf(waiting.id, d.id);
        return shown.resolution.carriedOut.status === 'done' && shown;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the reship carried out' },
    );
    const sent = await stack.db.select().from(shipments).where(eq(shipments.replacesIncidentId, d.id));
    expect(sent).toHaveLength(1);
    expect(done.resolution.carriedOut).toMatchObject({ kind: 'reship', status: 'done', runId: before.runId, shipmentIds: [sent[0]!.id] });
    const shown = await waitForStatus(stack, order.id, 'completed');
    const statuses: string[] = shown.timeline.map((t: { status: string }) => t.status);
    const settled = statuses.indexOf('completed');
    expect(settled).toBeGreaterThan(statuses.indexOf('signed_off'));
    expect(statuses.slice(settled)).toEqual(expect.arrayContaining(['dispatched', 'delivered']));
    expect(shown.shipments.filter((s: { replaces: string | null }) => s.replaces === d.id)).toEqual([expect.objectContaining({ status: 'delivered' })]);
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', { timeoutMs: 10_000, message: 'the run closed' });
    // One run did it all: the one that ran before the decision.
    const after = await handle.describe();
    expect(after.runId).toBe(before.runId);
    expect(await ledgerBalances()).toBe(true);
  });
});
