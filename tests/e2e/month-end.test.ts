import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { discrepancies, instalments, ledgerEntries, orders } from '../../src/db/schema';
import { convertParts, invert, parseRate } from '../../src/domain/fx';
import { periodBounds, periodContaining } from '../../src/domain/settlement-period';
import type { StatementLine } from '../../src/domain/reconciliation-lines';
import { ourLines } from '../../src/finance/our-lines';
import { createProduct, receiveStock, sampleOrder, uniqueSku, waitForStatus } from '../helpers/orders';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Issue 8's "done when", end to end over HTTP on real Temporal and Postgres: a month of
// orders paid three ways in two currencies, settled per agreement; a counterparty
// statement with injected differences yields exactly those discrepancies; after
// finance's decisions the report ties out to the ledger to the cent; a re-run changes
// nothing.

const FINANCE = TEST_KEYS.finance;
const run = randomUUID().slice(0, 8);
const ANNA = `cust-anna-${run}`; // prepaid, settles in EUR
const BEN = `cust-ben-${run}`; // instalments, settles in GBP: his EUR order converts
const CLEO = `cust-cleo-${run}`; // cash on delivery: the carrier owes us what it collects
const GBP_EUR = '1.1650';

let stack: TestStack;
const agreementOf: Record<string, any> = {};

const customer = (id: string, name: string) => ({ ...sampleOrder().customer, id, name });

async function agree(counterparty: { kind: string; id: string }, method: string, settlementCurrency: string, timeZone: string, tolerance = 0) {
  const res = await stack.api('POST', '/v1/agreements', {
    key: FINANCE,
    body: { counterparty, method, cycle: 'monthly', settlementDay: 1, settlementCurrency, timeZone, tolerance },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const GBP_SKU = uniqueSku('SHORTBREAD');

async function placeOrder(customerId: string, name: string, currency: string, method: string) {
  // The demo catalogue sells in EUR; a GBP order buys the tin of shortbread sold in GBP.
  const items = currency === 'GBP' ? [{ sku: GBP_SKU, quantity: 2, unitPrice: 1250 }] : sampleOrder().items;
  const res = await stack.api('POST', '/v1/orders', { body: sampleOrder({ customer: customer(customerId, name), currency, items, settlement: { method } }) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; number: string };
}

async function pay(orderId: string, body: Record<string, unknown>, key = TEST_KEYS.integrator) {
  const res = await stack.api('POST', '/v1/payments', { key, body: { orderId, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function orderRow(id: string) {
  const [row] = await stack.db.select().from(orders).where(eq(orders.id, id));
  return row!;
}

/** Decimal major units, as a counterparty's CSV has them. */
const major = (amount: number, currency: string) => (currency === 'JPY' ? String(amount) : `${Math.trunc(amount / 100)}.${String(Math.abs(amount) % 100).padStart(2, '0')}`);
const csv = (lines: StatementLine[]) =>
  ['reference,kind,amount,currency,date', ...lines.map((l) => `${l.reference},${l.kind},${major(l.amount, l.currency)},${l.currency},${l.date}`)].join('\n');

async function linesOf(agreement: any, period: string) {
  const { start, end } = periodBounds(period, agreement.timeZone);
  return ourLines(stack.db, { counterparty: agreement.counterparty, periodStart: start, periodEnd: end, timeZone: agreement.timeZone });
}

async function postStatement(agreement: any, period: string, lines: StatementLine[]) {
  const res = await stack.api('POST', '/v1/statements', { key: FINANCE, body: { agreementId: agreement.id, period, format: 'csv', content: csv(lines) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function runSettlement(agreement: any, period: string) {
  const res = await stack.api('POST', '/v1/settlements', { key: FINANCE, body: { agreementId: agreement.id, period, closeEarly: true } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { id: string; started: boolean };
}

async function settlementIn(id: string, statuses: string[]) {
  return waitFor(
    async () => {
      const res = await stack.api('GET', `/v1/settlements/${id}`, { key: FINANCE });
      return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: `settlement ${id} to reach ${statuses.join(' or ')}` },
  );
}

/** A figure straight from the ledger: the sum of settlement amounts matching the filter. */
async function ledgerSum(counterparty: { kind: string; id: string }, where: ReturnType<typeof sql>) {
  const [row] = (await stack.db.execute(sql`
    select coalesce(sum(settlement_amount), 0)::text as total from ledger_entries
    where counterparty_kind = ${counterparty.kind} and counterparty_id = ${counterparty.id} and ${where}`)) as unknown as { total: string }[];
  return Number(row!.total);
}

beforeAll(async () => {
  stack = await startTestStack({
    // Windows short enough that orders end on their own, long enough to never race payment.
    ORDERFLOW_SIGN_OFF_WINDOW: '1h',
    ORDERFLOW_FEEDBACK_WINDOW: '1h',
    ORDERFLOW_REQUIRE_PREPAYMENT: 'on',
    ORDERFLOW_PREPAYMENT_WINDOW: '1000d',
    ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d',
    ORDERFLOW_INSTALMENT_INTERVAL: '1000d',
    ORDERFLOW_COD_REMITTANCE_WINDOW: '1000d',
  });
  await seedDemoCatalogue(stack.db);
  await createProduct(stack, GBP_SKU, { currency: 'GBP', unitPrice: 1250 });
  await receiveStock(stack, 'BER-1', GBP_SKU, 20);
  const rate = await stack.api('POST', '/v1/fx-rates', {
    key: FINANCE,
    body: { base: 'GBP', quote: 'EUR', rate: GBP_EUR, source: 'ECB', asOf: new Date(Date.now() - 3_600_000).toISOString() },
  });
  expect(rate.status).toBe(201);
  agreementOf.anna = await agree({ kind: 'customer', id: ANNA }, 'prepaid', 'EUR', 'Europe/Berlin');
  agreementOf.ben = await agree({ kind: 'customer', id: BEN }, 'instalments', 'GBP', 'Europe/London', 50);
  for (const carrier of ['swiftship', 'terraline']) agreementOf[carrier] = await agree({ kind: 'carrier', id: carrier }, 'cash_on_delivery', 'EUR', 'Europe/Berlin');
});
afterAll(() => stack?.stop());

describe('a month of orders, settled per agreement', () => {
  const placed: Record<string, { id: string; number: string }[]> = {};

  it('runs prepaid, instalment and cash-on-delivery orders in EUR and GBP to completed, every payment in the ledger', { timeout: 120_000 }, async () => {
    placed.anna = [await placeOrder(ANNA, 'Anna Prepaid', 'EUR', 'prepaid'), await placeOrder(ANNA, 'Anna Prepaid', 'EUR', 'prepaid')];
    placed.ben = [await placeOrder(BEN, 'Ben Instalments', 'GBP', 'instalments'), await placeOrder(BEN, 'Ben Instalments', 'EUR', 'instalments')];
    placed.cleo = [await placeOrder(CLEO, 'Cleo Cash', 'EUR', 'cash_on_delivery'), await placeOrder(CLEO, 'Cleo Cash', 'EUR', 'cash_on_delivery')];

    // Prepaid: the order waits for its money before DISPATCH.
    for (const o of placed.anna) {
      await waitForStatus(stack, o.id, 'awaiting_payment');
      const row = await orderRow(o.id);
      await pay(o.id, { amount: row.totalAmount, currency: row.currency, method: 'card', reference: `card-${o.number}` });
    }
    for (const o of [...placed.anna, ...placed.ben, ...placed.cleo]) await waitForStatus(stack, o.id, 'completed', 60_000);

    // Instalments: each one paid by its number; cash on delivery: remitted by the carrier.
    for (const o of placed.ben) await payInstalments(o);
    for (const o of placed.cleo) {
      const [collected] = await stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.orderId, o.id), eq(ledgerEntries.kind, 'cod_collected')));
      expect(collected, 'the carrier reported what it collected').toBeDefined();
      await pay(
        o.id,
        { amount: collected!.amount, currency: collected!.currency, method: 'cod_remittance', reference: `remit-${o.number}`, carrier: collected!.counterpartyId },
        TEST_KEYS.carrier,
      );
    }
    for (const o of [...placed.ben, ...placed.cleo]) await collectionDone(o.id);

    // Every journal balances in its own currency and in the settlement currency.
    const unbalanced = (await stack.db.execute(sql`
      select journal_id from ledger_entries group by journal_id
      having sum(case when side = 'debit' then amount else -amount end) <> 0
          or sum(case when side = 'debit' then settlement_amount else -settlement_amount end) <> 0`)) as unknown as { journal_id: string }[];
    expect(unbalanced).toEqual([]);
  });

  it("converts Ben's EUR order into his GBP settlement currency at the inverse of the rate in force", async () => {
    const euroOrder = placed.ben![1]!;
    const sale = await stack.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.orderId, euroOrder.id), eq(ledgerEntries.kind, 'settlement'), eq(ledgerEntries.side, 'debit')));
    expect(sale).toHaveLength(1);
    const rate = invert(parseRate(GBP_EUR));
    expect(sale[0]).toMatchObject({ currency: 'EUR', settlementCurrency: 'GBP', counterpartyKind: 'customer', counterpartyId: BEN });
    expect(sale[0]!.settlementAmount).toBe(convertParts([sale[0]!.amount], 'EUR', 'GBP', rate)[0]);
    expect(parseRate(sale[0]!.fxRate)).toEqual(rate);
  });

  it('finds exactly the injected discrepancies on a statement, waits for finance, and settles after the decisions', async () => {
    const anna = agreementOf.anna;
    const period = periodContaining('monthly', new Date(), anna.timeZone);
    const ours = await linesOf(anna, period);
    const [sale1, sale2] = placed.anna!.map((o) => ours.find((l) => l.reference === o.number && l.kind === 'sale')!);
    const [pay1, pay2] = placed.anna!.map((o) => ours.find((l) => l.reference === `card-${o.number}` && l.kind === 'payment')!);
    expect([sale1, sale2, pay1, pay2].every(Boolean), JSON.stringify(ours)).toBe(true);

    // Theirs: sale 1 missing, payment 1 off by EUR 5.00, sale 2 twice, payment 2 in USD.
    const theirs = [sale2!, sale2!, { ...pay1!, amount: pay1!.amount + 500 }, { ...pay2!, currency: 'USD' }];
    await postStatement(anna, period, theirs);
    const { id } = await runSettlement(anna, period);
    expect(id).toBe(`settlement-${anna.id}-${period}`);

    const waiting = await settlementIn(id, ['awaiting_decisions']);
    const found = waiting.discrepancies.map((d: any) => [d.kind, d.reference.split('/')[0]]).sort();
    expect(found).toEqual(
      [
        ['amount_differs', pay1!.reference],
        ['currency_differs', pay2!.reference],
        ['duplicate', sale2!.reference],
        ['missing_theirs', sale1!.reference],
      ].sort(),
    );
    const amountDiffers = waiting.discrepancies.find((d: any) => d.kind === 'amount_differs');
    expect(amountDiffers).toMatchObject({ difference: -500, currency: 'EUR', status: 'open' });
    for (const d of waiting.discrepancies) expect(d.likelyCause.length).toBeGreaterThan(10);

    const decisions: Record<string, { action: string; note: string }> = {
      missing_theirs: { action: 'adjust', note: 'sale confirmed by delivery proof; they will add it' },
      amount_differs: { action: 'write_off', note: 'bank charge on their side, not worth chasing' },
      duplicate: { action: 'adjust', note: 'they billed the sale twice; credit note requested' },
      currency_differs: { action: 'adjust', note: 'their line was keyed in USD by mistake' },
    };
    for (const d of waiting.discrepancies) {
      const res = await stack.api('POST', `/v1/settlements/${id}/discrepancies/${d.id}/resolution`, { key: FINANCE, body: decisions[d.kind] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ status: 'resolved', resolution: { action: decisions[d.kind]!.action } });
    }
    const settled = await settlementIn(id, ['settled']);
    expect(settled.discrepancies.every((d: any) => d.status === 'resolved')).toBe(true);
    const writeOffs = await ledgerSum(anna.counterparty, sql`kind = 'write_off' and side = 'debit' and settlement_id = ${id}`);
    expect(writeOffs).toBe(500);

    // Running the same settlement again changes nothing.
    const entriesBefore = await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries);
    const again = await runSettlement(anna, period);
    expect(again).toMatchObject({ id, started: false });
    const still = await settlementIn(id, ['settled']);
    expect(still.discrepancies).toHaveLength(4);
    expect(await stack.db.select({ n: sql<number>`count(*)::int` }).from(ledgerEntries)).toEqual(entriesBefore);
    expect(await stack.db.select({ n: sql<number>`count(*)::int` }).from(discrepancies).where(eq(discrepancies.settlementId, id))).toEqual([{ n: 4 }]);
  });

  it("adjusts a difference within the agreement's tolerance by itself and settles in GBP", async () => {
    const ben = agreementOf.ben;
    const period = periodContaining('monthly', new Date(), ben.timeZone);
    const ours = await linesOf(ben, period);
    expect(ours.every((l) => l.currency === 'GBP')).toBe(true);
    expect(ours.filter((l) => l.kind === 'sale')).toHaveLength(2);
    // Their first sale is 3 pence short: within the 50 pence tolerance.
    const theirs = ours.map((l, i) => (i === 0 ? { ...l, amount: l.amount - 3 } : l));
    await postStatement(ben, period, theirs);
    const { id } = await runSettlement(ben, period);
    const settled = await settlementIn(id, ['settled']);
    expect(settled.discrepancies).toEqual([expect.objectContaining({ kind: 'amount_differs', difference: 3, currency: 'GBP', status: 'auto_adjusted' })]);
    expect(await ledgerSum(ben.counterparty, sql`kind = 'adjustment' and side = 'debit'`)).toBe(3);
  });

  it("settles the carrier's cash on delivery and charges against its own statement", async () => {
    const period = periodContaining('monthly', new Date(), 'Europe/Berlin');
    let settledAny = 0;
    for (const carrier of ['swiftship', 'terraline']) {
      const agreement = agreementOf[carrier];
      const ours = await linesOf(agreement, period);
      if (ours.length === 0) continue;
      expect(ours.map((l) => l.kind)).toEqual(expect.arrayContaining(['carrier_charge']));
      await postStatement(agreement, period, ours);
      const { id } = await runSettlement(agreement, period);
      const settled = await settlementIn(id, ['settled']);
      expect(settled.discrepancies).toEqual([]);
      settledAny += 1;
    }
    expect(settledAny).toBeGreaterThan(0);
    const kinds = (await stack.db.execute(sql`select distinct kind from ledger_entries where counterparty_kind = 'carrier'`)) as unknown as { kind: string }[];
    expect(kinds.map((k) => k.kind).sort()).toEqual(['carrier_charge', 'cod_collected', 'cod_remitted']);
  });

  it('reports every figure per counterparty in its settlement currency, tied to the ledger to the cent', async () => {
    const period = periodContaining('monthly', new Date(), 'Europe/Berlin');
    for (const who of ['anna', 'ben']) {
      const agreement = agreementOf[who];
      const cp = agreement.counterparty;
      const res = await stack.api('GET', `/v1/reports/financial?period=${period}&counterparty=${cp.kind}:${cp.id}`, { key: FINANCE });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const [line] = res.body.counterparties;
      expect(line).toMatchObject({ counterparty: cp, currency: agreement.settlementCurrency });
      const { start, end } = periodBounds(period, agreement.timeZone);
      const inPeriod = sql`created_at >= ${start.toISOString()}::timestamptz and created_at < ${end.toISOString()}::timestamptz`;
      const net = async (where: ReturnType<typeof sql>, plus: 'credit' | 'debit') =>
        (await ledgerSum(cp, sql`${where} and side = ${plus} and ${inPeriod}`)) -
        (await ledgerSum(cp, sql`${where} and side <> ${plus} and ${inPeriod}`));
      expect(line.revenue.amount).toBe(await net(sql`kind = 'settlement' and account in ('revenue', 'shipping_revenue')`, 'credit'));
      expect(line.revenue.amount).toBeGreaterThan(0);
      expect(line.collected.amount).toBe(await ledgerSum(cp, sql`account = 'cash' and side = 'debit' and kind in ('payment', 'cod_remitted') and ${inPeriod}`));
      expect(line.collected.amount).toBeGreaterThan(0);
      for (const [figure, kind] of [
        ['adjustments', 'adjustment'],
        ['writeOffs', 'write_off'],
        ['refunds', 'refund'],
        ['compensation', 'compensation'],
      ] as const) {
        expect(line[figure], figure).toEqual({ amount: await ledgerSum(cp, sql`kind = ${kind} and side = 'debit' and ${inPeriod}`), currency: agreement.settlementCurrency });
      }
    }
  });
});

/** Pays each instalment of the order's schedule by its number, once the schedule exists. */
async function payInstalments(order: { id: string; number: string }) {
  const schedule = await waitFor(
    async () => {
      const rows = await stack.db.select().from(instalments).where(eq(instalments.orderId, order.id)).orderBy(instalments.number);
      return rows.length > 0 ? rows : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: `the instalment schedule of ${order.number}` },
  );
  expect(schedule.length).toBe(3);
  expect(schedule.reduce((n, i) => n + i.amount, 0)).toBe((await orderRow(order.id)).totalAmount);
  for (const i of schedule) {
    await pay(order.id, { amount: i.amount, currency: i.currency, method: 'bank_transfer', reference: `sepa-${order.number}-${i.number}`, instalmentNumber: i.number });
  }
}

async function collectionDone(orderId: string) {
  const handle = stack.running.client.workflow.getHandle(`collection-${orderId}`);
  await waitFor(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: `the collection of order ${orderId} to complete`,
  });
}
