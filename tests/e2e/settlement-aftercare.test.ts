import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAftercare } from '../../activities/aftercare-start';
import { seedDemoCatalogue } from '../../src/db/seed';
import { discrepancies, ledgerEntries, shipments, stockMovements } from '../../src/db/schema';
import { periodBounds, periodContaining } from '../../src/domain/settlement-period';
import type { StatementLine } from '../../src/domain/reconciliation-lines';
import { ourLines } from '../../src/finance/our-lines';
import { expectProblem, fields } from '../helpers/problem';
import { createProduct, isSubsequence, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus } from '../helpers/orders';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.8 end to end over HTTP: finance's `reship` and `return` on a settlement discrepancy
// are carried out by the order's own workflow — a new run of order-{id} after the order
// completed — and the discrepancy shows it. A reship books and delivers the goods again
// (stock down, the cost journalled); a return waits for the goods, restocks and refunds
// them. A discrepancy with no order takes neither.

const FINANCE = TEST_KEYS.finance;
const ZONE = 'Europe/Berlin';
const WAREHOUSE = 'BER-1';
const SKU = uniqueSku('AFTERCARE');
const CUSTOMER = `cust-aftercare-${randomUUID().slice(0, 8)}`;

let stack: TestStack;
let agreement: { id: string; counterparty: { kind: string; id: string } };

const api = (method: string, url: string, body?: unknown, key = FINANCE) => stack.api(method, url, { key, body });

async function placeCompleted() {
  const res = await stack.api('POST', '/v1/orders', {
    body: sampleOrder({ customer: { ...sampleOrder().customer, id: CUSTOMER }, items: [{ sku: SKU, quantity: 2, unitPrice: 1000 }] }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await waitForStatus(stack, res.body.id, 'completed', 30_000);
  return res.body as { id: string; number: string };
}

/** Σ on-hand movements of the SKU: what the stock level must equal. */
async function movedOnHand() {
  const [row] = await stack.db
    .select({ n: sql<number>`coalesce(sum(${stockMovements.onHandDelta}), 0)::int` })
    .from(stockMovements)
    .where(and(eq(stockMovements.sku, SKU), eq(stockMovements.warehouseCode, WAREHOUSE)));
  return row!.n;
}

async function ledgerBalances() {
  const rows = (await stack.db.execute(sql`
    select journal_id from ledger_entries group by journal_id
    having sum(case when side = 'debit' then amount else -amount end) <> 0`)) as unknown as unknown[];
  return rows.length === 0;
}

const major = (amount: number) => `${Math.trunc(amount / 100)}.${String(Math.abs(amount) % 100).padStart(2, '0')}`;

const discrepancyOf = async (settlementId: string, id: string) => {
  const res = await api('GET', `/v1/settlements/${settlementId}`);
  expect(res.status).toBe(200);
  return res.body.discrepancies.find((d: { id: string }) => d.id === id);
};

/** A monthly prepaid agreement in EUR, no tolerance, with the customer `id`. */
async function agreementWith(id: string) {
  const res = await api('POST', '/v1/agreements', {
    counterparty: { kind: 'customer', id },
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: 1,
    settlementCurrency: 'EUR',
    timeZone: ZONE,
    tolerance: 0,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

beforeAll(async () => {
  stack = await startTestStack({
    ORDERFLOW_SIGN_OFF_WINDOW: '1h',
    ORDERFLOW_FEEDBACK_WINDOW: '1h',
    ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d',
    ORDERFLOW_RETURN_WAIT: '1000d',
  });
  await seedDemoCatalogue(stack.db);
  await createProduct(stack, SKU, { unitPrice: 1000 });
  await receiveStock(stack, WAREHOUSE, SKU, 10);
  agreement = await agreementWith(CUSTOMER);
}, 60_000);
afterAll(() => stack?.stop());

describe("finance's reship and return, carried out through the order's own workflow", () => {
  let settlementId: string;
  const orders: Record<'reship' | 'return', { id: string; number: string }> = {} as never;
  const found: Record<'reship' | 'return' | 'unmatched', { id: string; orderId: string | null }> = {} as never;

  it('a statement that disputes two completed orders and names an unknown one waits for finance', { timeout: 60_000 }, async () => {
    [orders.reship, orders.return] = await Promise.all([placeCompleted(), placeCompleted()]);
    const period = periodContaining('monthly', new Date(), ZONE);
    const { start, end } = periodBounds(period, ZONE);
    const ours = await ourLines(stack.db, { counterparty: agreement.counterparty as never, periodStart: start, periodEnd: end, timeZone: ZONE });
    // Their figures for our two orders are 1.00 higher; and a sale we have no order for.
    const disputed = new Set([orders.reship.number, orders.return.number]);
    const lines: StatementLine[] = ours.map((l) => (l.kind === 'sale' && disputed.has(l.reference) ? { ...l, amount: l.amount + 100 } : l));
    const day = ours[0]!.date;
    const content = ['reference,kind,amount,currency,date', ...lines.map((l) => `${l.reference},${l.kind},${major(l.amount)},${l.currency},${l.date}`), `OF-9999999,sale,12.30,EUR,${day}`].join('\n');
    expect((await api('POST', '/v1/statements', { agreementId: agreement.id, period, format: 'csv', content })).status).toBe(201);
    const run = await api('POST', '/v1/settlements', { agreementId: agreement.id, period, closeEarly: true });
    settlementId = run.body.id;
    const waiting = await waitFor(
      async () => {
        const res = await api('GET', `/v1/settlements/${settlementId}`);
        return res.body.status === 'awaiting_decisions' && res.body;
      },
      { timeoutMs: 20_000, message: 'awaiting decisions' },
    );
    for (const kind of ['reship', 'return'] as const) {
      found[kind] = waiting.discrepancies.find((d: { orderId: string | null }) => d.orderId === orders[kind].id);
      expect(found[kind], kind).toMatchObject({ kind: 'amount_differs', status: 'open' });
    }
    found.unmatched = waiting.discrepancies.find((d: { orderId: string | null }) => d.orderId === null);
    expect(found.unmatched).toMatchObject({ kind: 'missing_ours', status: 'open' });
  });

  it('reship or return on a discrepancy with no order is refused, naming the field, and nothing changes', async () => {
    const url = `/v1/settlements/${settlementId}/discrepancies/${found.unmatched.id}/resolution`;
    const entries = await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries);
    for (const action of ['reship', 'return']) {
      const res = await api('POST', url, { action, note: 'send it again' });
      expectProblem(res, 422);
      expect(fields(res)).toEqual(['action']);
      expect(res.body.detail).toMatch(/names no order/);
    }
    expect(await discrepancyOf(settlementId, found.unmatched.id)).toMatchObject({ status: 'open', resolution: null });
    expect(await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries)).toEqual(entries);
    // An order Temporal no longer knows (past retention) is refused for good, not retried forever.
    await expect(startAftercare(stack.running.client, randomUUID(), { kind: 'reship', discrepancyId: randomUUID(), settlementId, note: 'x' })).rejects.toMatchObject({
      type: 'AftercareRefused',
      nonRetryable: true,
    });
  });

  it('reship: a second shipment is booked and delivered, stock goes down by it, its cost is journalled; again changes nothing', { timeout: 60_000 }, async () => {
    const order = orders.reship;
    const d = found.reship;
    const before = (await stockLevel(stack, SKU, WAREHOUSE))!;
    const firstRun = (await stack.running.client.workflow.getHandle(`order-${order.id}`).describe()).runId;

    const url = `/v1/settlements/${settlementId}/discrepancies/${d.id}/resolution`;
    const decided = await api('POST', url, { action: 'reship', note: 'customer says the parcel never came' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({ status: 'resolved', resolution: { action: 'reship', carriedOut: { workflowId: `order-${order.id}`, runId: expect.any(String) } } });
    expect(decided.body.resolution.carriedOut.runId).not.toBe(firstRun);

    // The order's own workflow ships again, tracks the parcel to the door, and completes again.
    const done = await waitFor(
      async () => {
        const shown = await discrepancyOf(settlementId, d.id);
        return shown.resolution.carriedOut.status === 'done' && shown;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the reship carried out' },
    );
    const sent = await stack.db.select().from(shipments).where(and(eq(shipments.orderId, order.id), eq(shipments.replacesIncidentId, d.id)));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.bookedAt).not.toBeNull();
    expect(done.resolution.carriedOut).toMatchObject({ kind: 'reship', status: 'done', shipmentIds: [sent[0]!.id], reshipCost: { amount: 2000, currency: 'EUR' } });

    const shown = await waitForStatus(stack, order.id, 'completed');
    const statuses = shown.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['completed', 'dispatched', 'delivered', 'completed'], statuses.slice(statuses.indexOf('completed')))).toBe(true);
    expect(shown.timeline.find((t: { detail?: { aftercare?: string } }) => t.detail?.aftercare === 'reship')).toMatchObject({ status: 'dispatched' });
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses.filter((s: string) => s === 'delivered')).toHaveLength(2);
    expect(shown.aftercare).toEqual([expect.objectContaining({ discrepancyId: d.id, settlementId, kind: 'reship', carriedOut: expect.objectContaining({ status: 'done' }) })]);
    expect(shown.shipments.filter((s: { replaces: string | null }) => s.replaces === d.id)).toEqual([expect.objectContaining({ status: 'delivered' })]);
    // The database says `completed` a moment before the run itself closes.
    const run = stack.running.client.workflow.getHandle(`order-${order.id}`);
    await waitFor(async () => (await run.describe()).status.name === 'COMPLETED', { message: 'the aftercare run to close' });

    // Stock: the re-shipped units left the shelf, and the level is its movements.
    const after = (await stockLevel(stack, SKU, WAREHOUSE))!;
    expect(after.onHand).toBe(before.onHand - 2);
    expect(after.onHand).toBe(await movedOnHand());
    const [cost] = await stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.journalId, `reship:${d.id}`), eq(ledgerEntries.side, 'debit')));
    expect(cost).toMatchObject({ kind: 'write_off', account: 'reship_expense', amount: 2000, settlementId, counterpartyId: CUSTOMER });
    expect(await ledgerBalances()).toBe(true);

    // The same decision again: refused as decided, and nothing starts or moves.
    const entries = await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries);
    expectProblem(await api('POST', url, { action: 'reship', note: 'again' }), 409);
    expect((await run.describe()).runId).toBe(done.resolution.carriedOut.runId);
    expect(await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries)).toEqual(entries);
    expect((await stockLevel(stack, SKU, WAREHOUSE))!.onHand).toBe(after.onHand);
    // The finance activity's start, again (a retry after the decision was written): it finds
    // the discrepancy among the order's aftercares and starts nothing.
    const restart = await startAftercare(stack.running.client, order.id, { kind: 'reship', discrepancyId: d.id, settlementId, note: 'retry' });
    expect(restart).toEqual({ workflowId: `order-${order.id}`, runId: done.resolution.carriedOut.runId, status: 'done' });
    expect((await run.describe()).runId).toBe(done.resolution.carriedOut.runId);
  });

  it('return: the order waits for the goods; once received they are restocked and refunded, and the order ends refunded', { timeout: 60_000 }, async () => {
    const order = orders.return;
    const d = found.return;
    const before = (await stockLevel(stack, SKU, WAREHOUSE))!;
    const url = `/v1/settlements/${settlementId}/discrepancies/${d.id}/resolution`;
    const decided = await api('POST', url, { action: 'return', note: 'customer sends it back' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);

    const waiting = await waitForStatus(stack, order.id, 'awaiting_return');
    expect(waiting.timeline.at(-1)).toMatchObject({ status: 'awaiting_return', detail: { aftercare: 'return', discrepancyId: d.id } });
    expect(waiting.aftercare).toEqual([expect.objectContaining({ discrepancyId: d.id, kind: 'return', carriedOut: expect.objectContaining({ status: 'awaiting_return' }) })]);
    const carriedOut = (await discrepancyOf(settlementId, d.id)).resolution.carriedOut;
    expect(carriedOut).toMatchObject({ kind: 'return', status: 'awaiting_return', returnBy: expect.any(String), workflowId: `order-${order.id}` });
    // The start again while the run waits: the running run takes it as the request it already has.
    const restart = await startAftercare(stack.running.client, order.id, { kind: 'return', discrepancyId: d.id, settlementId, note: 'retry' });
    expect(restart).toEqual({ workflowId: `order-${order.id}`, runId: carriedOut.runId, status: 'awaiting_return' });

    // Only an order awaiting a return takes one; the body is checked field by field.
    expectProblem(await stack.api('POST', `/v1/orders/${orders.reship.id}/returns/received`, { key: TEST_KEYS.operator, body: {} }), 409);
    const bad = await stack.api('POST', `/v1/orders/${order.id}/returns/received`, { key: TEST_KEYS.operator, body: { discrepancyId: 'nope', extra: 1 } });
    expectProblem(bad, 422);
    expect(fields(bad)).toContain('discrepancyId');

    const received = await stack.api('POST', `/v1/orders/${order.id}/returns/received`, { key: TEST_KEYS.operator, body: { discrepancyId: d.id, note: 'both units, unopened' } });
    expect(received.status, JSON.stringify(received.body)).toBe(200);
    expect(received.body.status).toBe('refunded');

    const after = (await stockLevel(stack, SKU, WAREHOUSE))!;
    expect(after.onHand).toBe(before.onHand + 2);
    expect(after.onHand).toBe(await movedOnHand());
    const returns = await stack.db.select().from(stockMovements).where(and(eq(stockMovements.orderId, order.id), eq(stockMovements.kind, 'return')));
    expect(returns.reduce((n, m) => n + m.onHandDelta, 0)).toBe(2);
    const refund = await stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.journalId, `refund:${d.id}`), eq(ledgerEntries.side, 'credit')));
    const [row] = (await stack.db.execute(sql`select total_amount from orders where id = ${order.id}`)) as unknown as { total_amount: number }[];
    expect(refund).toEqual([expect.objectContaining({ kind: 'refund', account: 'cash', amount: Number(row!.total_amount) })]);
    expect(await ledgerBalances()).toBe(true);

    const shown = await discrepancyOf(settlementId, d.id);
    expect(shown.resolution.carriedOut).toMatchObject({ status: 'done', outcome: { units: 2, refund: { amount: Number(row!.total_amount), currency: 'EUR' } } });
    await waitFor(async () => (await stack.running.client.workflow.getHandle(`order-${order.id}`).describe()).status.name === 'COMPLETED', { message: 'the run closed' });
    expectProblem(await api('POST', url, { action: 'return', note: 'again' }), 409);
    const all = await stack.db.select().from(discrepancies).where(eq(discrepancies.id, d.id));
    expect(all[0]!.resolution?.carriedOut?.status).toBe('done');
  });

  it('refuses reship and return on a cancelled order, naming the action, and changes nothing', async () => {
    // Its own customer, agreement and period's statement: the run above is not disturbed.
    const customer = `cust-aftercare-cancelled-${randomUUID().slice(0, 8)}`;
    const agreed = { body: await agreementWith(customer) };
    // Nothing on the shelf: the order waits for a stock decision, and is cancelled there.
    const empty = uniqueSku('AFTERCARE-NONE');
    await createProduct(stack, empty, { unitPrice: 1000 });
    const placed = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({ customer: { ...sampleOrder().customer, id: customer }, items: [{ sku: empty, quantity: 1, unitPrice: 1000 }] }),
    });
    expect(placed.status).toBe(201);
    await waitForStatus(stack, placed.body.id, 'awaiting_stock_decision');
    expect((await stack.api('POST', `/v1/orders/${placed.body.id}/cancel`, { body: { reason: 'changed my mind' } })).status).toBe(200);
    await waitForStatus(stack, placed.body.id, 'cancelled');

    // Their statement still bills the sale: a discrepancy on the cancelled order.
    const period = periodContaining('monthly', new Date(), ZONE);
    const day = new Date().toISOString().slice(0, 10);
    const content = `reference,kind,amount,currency,date\n${placed.body.number},sale,10.00,EUR,${day}\n`;
    expect((await api('POST', '/v1/statements', { agreementId: agreed.body.id, period, format: 'csv', content })).status).toBe(201);
    const run = await api('POST', '/v1/settlements', { agreementId: agreed.body.id, period, closeEarly: true });
    const waiting = await waitFor(
      async () => {
        const res = await api('GET', `/v1/settlements/${run.body.id}`);
        return res.body.status === 'awaiting_decisions' && res.body;
      },
      { timeoutMs: 20_000, message: 'awaiting decisions' },
    );
    const d = waiting.discrepancies.find((x: { orderId: string | null }) => x.orderId === placed.body.id);
    expect(d).toMatchObject({ kind: 'missing_ours', status: 'open' });

    const handle = stack.running.client.workflow.getHandle(`order-${placed.body.id}`);
    const runBefore = (await handle.describe()).runId;
    for (const action of ['reship', 'return'] as const) {
      const res = await api('POST', `/v1/settlements/${run.body.id}/discrepancies/${d.id}/resolution`, { action, note: 'customer says so' });
      expectProblem(res, 409);
      expect(fields(res)).toEqual(['action']);
      expect(res.body.detail).toMatch(/is cancelled: there is nothing kept to/);
    }
    expect(await discrepancyOf(run.body.id, d.id)).toMatchObject({ status: 'open', resolution: null });
    // No new run of the order's workflow was started.
    expect((await handle.describe()).runId).toBe(runBefore);
    expect((await stack.api('GET', `/v1/orders/${placed.body.id}`)).body.status).toBe('cancelled');
  });
});
