import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJournal } from '../../activities/ledger';
import { createReconciliationActivities } from '../../activities/reconciliation';
import type { Db } from '../../src/db/client';
import { agreements, discrepancies, ledgerEntries, orders, payments, settlements } from '../../src/db/schema';
import type { StatementLine } from '../../src/domain/reconciliation-lines';
import { settlementJournal } from '../../src/domain/settlement';
import { periodBounds } from '../../src/domain/settlement-period';
import { ourLines } from '../../src/finance/our-lines';
import { storeStatement } from '../../src/finance/statements';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// R6.6–R6.9: the reconciliation activities called directly over a real PostgreSQL, with
// our side written through postJournal as the order workflow writes it, and their side
// stored as POST /v1/statements stores it.

let testDb: TestDatabase;
let db: Db;
let acts: ReturnType<typeof createReconciliationActivities>;

const PERIOD = '2026-11';
const ZONE = 'Europe/Berlin';
const IN_PERIOD = new Date('2026-11-10T12:00:00Z');

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db;
  acts = createReconciliationActivities(db);
}, 90_000);

afterAll(() => testDb?.drop());

/** An agreement with a marketplace partner: its orders (channel = the partner) settle with it. */
async function partnerAgreement(tolerance: number) {
  const id = randomUUID();
  const partner = `market-${id.slice(0, 8)}`;
  await db.insert(agreements).values({
    id,
    counterpartyKind: 'partner',
    counterpartyId: partner,
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: 'last',
    settlementCurrency: 'EUR',
    timeZone: ZONE,
    toleranceAmount: tolerance,
  });
  const { start, end } = periodBounds(PERIOD, ZONE);
  const settlementId = `settlement-${id}-${PERIOD}`;
  await db.insert(settlements).values({ id: settlementId, agreementId: id, period: PERIOD, periodStart: start, periodEnd: end, status: 'running' });
  return { agreementId: id, partner, settlementId };
}

/** A delivered order of the partner's channel with its sale posted in the period. */
async function soldOrder(partner: string, total: number): Promise<{ id: string; number: string }> {
  const id = randomUUID();
  const [row] = await db
    .insert(orders)
    .values({
      id,
      channel: partner,
      customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } },
      customerId: `cust-${id.slice(0, 8)}`,
      region: 'EU',
      priority: 'normal',
      currency: 'EUR',
      subtotalAmount: total,
      totalAmount: total,
      settlementMethod: 'prepaid',
      status: 'delivered',
      stage: 'settle',
      stateVersion: 1,
      workflowId: `order-${id}`,
      requestFingerprint: `fp-${id}`,
    })
    .returning({ number: orders.number });
  await db.transaction((tx) =>
    postJournal(tx, id, settlementJournal({ id, number: row!.number, totalAmount: total, currency: 'EUR', settlementMethod: 'prepaid' }), 'settlement', { at: IN_PERIOD }),
  );
  return { id, number: row!.number };
}

async function paymentFrom(partner: string, orderId: string, amount: number, reference: string) {
  const id = randomUUID();
  await db.insert(payments).values({ id, orderId, amount, currency: 'EUR', method: 'bank_transfer', reference, payerKind: 'partner', payerId: partner, receivedAt: IN_PERIOD });
  await db.transaction((tx) =>
    postJournal(
      tx,
      orderId,
      { journalId: `payment:${id}`, memo: `payment ${reference}`, currency: 'EUR', lines: [{ account: 'cash', side: 'debit', amount }, { account: 'customer_prepayments', side: 'credit', amount }] },
      'payment',
      { at: IN_PERIOD },
    ),
  );
}

const sale = (reference: string, amount: number, currency = 'EUR'): StatementLine => ({ reference, kind: 'sale', amount, currency, date: '2026-11-10' });

const rowsOf = (settlementId: string) => db.select().from(discrepancies).where(eq(discrepancies.settlementId, settlementId)).orderBy(discrepancies.reference, discrepancies.kind);
const journalsOf = (settlementId: string) => db.select().from(ledgerEntries).where(eq(ledgerEntries.settlementId, settlementId)).orderBy(ledgerEntries.journalId, ledgerEntries.side);

describe('reconciliation activities', () => {
  let s: Awaited<ReturnType<typeof partnerAgreement>>;
  let o: { id: string; number: string }[];

  beforeAll(async () => {
    s = await partnerAgreement(50);
    o = [];
    for (const total of [1_000, 2_000, 3_000, 4_000, 5_000, 6_000]) o.push(await soldOrder(s.partner, total));
    await paymentFrom(s.partner, o[0]!.id, 1_000, `BANK-${s.agreementId.slice(0, 6)}`);
  });

  it('normalises our ledger into lines: one per journal, order number or payment reference, settlement currency', async () => {
    const { start, end } = periodBounds(PERIOD, ZONE);
    const lines = await ourLines(db, { counterparty: { kind: 'partner', id: s.partner }, periodStart: start, periodEnd: end, timeZone: ZONE });
    expect(lines.map(({ description: _d, ...l }) => l)).toEqual([
      ...o.map((x, i) => ({ reference: x.number, kind: 'sale', amount: (i + 1) * 1_000, currency: 'EUR', date: '2026-11-10', orderId: x.id })),
      { reference: `BANK-${s.agreementId.slice(0, 6)}`, kind: 'payment', amount: 1_000, currency: 'EUR', date: '2026-11-10', orderId: o[0]!.id },
    ]);
    // Another period has none of them.
    const december = periodBounds('2026-12', ZONE);
    expect(await ourLines(db, { counterparty: { kind: 'partner', id: s.partner }, periodStart: december.start, periodEnd: december.end, timeZone: ZONE })).toEqual([]);
  });

  it('with no statement yet there is nothing to reconcile', async () => {
    const outcome = await acts.reconcileSettlement({ settlementId: s.settlementId });
    expect(outcome).toMatchObject({ matched: 0, discrepancies: [], statementId: null });
    expect(await rowsOf(s.settlementId)).toEqual([]);
  });

  it('finds exactly the injected differences, adjusts the one within tolerance, and changes nothing when run again', async () => {
    const [a, b, c, d, e, f] = o;
    await storeStatement(db, {
      agreementId: s.agreementId,
      period: PERIOD,
      format: 'jsonl',
      submittedBy: 'test',
      lines: [
        sale(a!.number, 1_000), // matches
        // b missing on their side
        sale(c!.number, 2_700), // 3 000 ours: 3.00 too little on theirs
        sale(d!.number, 4_000, 'USD'), // wrong currency
        sale(e!.number, 5_000),
        sale(e!.number, 5_000), // billed twice
        sale(f!.number, 5_980), // 0.20 off: within the tolerance of 0.50
        sale('OF-0000001', 700), // not ours
        { reference: a!.number, kind: 'refund', amount: 100, currency: 'EUR', date: '2026-11-12' }, // a refund we never made
        { reference: `BANK-${s.agreementId.slice(0, 6)}`, kind: 'payment', amount: 1_000, currency: 'EUR', date: '2026-11-11' },
      ],
    });
    const outcome = await acts.reconcileSettlement({ settlementId: s.settlementId });
    expect(outcome.matched).toBe(3);
    const rows = await rowsOf(s.settlementId);
    expect(rows.map((r) => [r.kind, r.reference, r.difference, r.status])).toEqual(
      [
        ['missing_theirs', `${b!.number}/sale`, 2_000, 'open'],
        ['amount_differs', `${c!.number}/sale`, 300, 'open'],
        ['currency_differs', `${d!.number}/sale`, 0, 'open'],
        ['duplicate', `${e!.number}/sale`, -5_000, 'open'],
        ['amount_differs', `${f!.number}/sale`, 20, 'auto_adjusted'],
        ['missing_ours', 'OF-0000001/sale', -700, 'open'],
        ['missing_ours', `${a!.number}/refund`, -100, 'open'],
      ].sort((x, y) => (`${x[1]}` < `${y[1]}` ? -1 : `${x[1]}` > `${y[1]}` ? 1 : 0)),
    );
    expect(outcome.discrepancies).toEqual(rows.map((r) => ({ id: r.id, kind: r.kind, status: r.status })));
    expect(rows.find((r) => r.reference === `${a!.number}/refund`)!.orderId).toBe(a!.id);
    expect(rows.find((r) => r.reference === 'OF-0000001/sale')!.orderId).toBeNull();
    const adjusted = rows.find((r) => r.status === 'auto_adjusted')!;
    expect(adjusted.orderId).toBe(f!.id);
    expect(adjusted.resolution).toMatchObject({ action: 'adjust', amount: 20, decidedBy: 'reconciliation' });
    expect(rows.find((r) => r.kind === 'missing_theirs')!.likelyCause).toBe('sale not on their statement: delivered after their cut-off, or not invoiced yet');

    // Our sale of 60.00 becomes their 59.80: 0.20 less owed by the partner.
    const journal = await journalsOf(s.settlementId);
    expect(journal.map((j) => [j.journalId, j.kind, j.account, j.side, j.settlementAmount, j.counterpartyId])).toEqual([
      [`adjustment:${adjusted.id}`, 'adjustment', 'counterparty_balance', 'credit', 20, s.partner],
      [`adjustment:${adjusted.id}`, 'adjustment', 'reconciliation_adjustments', 'debit', 20, s.partner],
    ]);

    const again = await acts.reconcileSettlement({ settlementId: s.settlementId });
    expect(again).toEqual(outcome);
    expect(await rowsOf(s.settlementId)).toEqual(rows);
    expect(await journalsOf(s.settlementId)).toEqual(journal);
  });

  it("carries out finance's decisions once: adjust and write-off post journals; reship needs an order", async () => {
    const rows = await rowsOf(s.settlementId);
    const wrongAmount = rows.find((r) => r.kind === 'amount_differs' && r.status === 'open')!;
    const missing = rows.find((r) => r.kind === 'missing_theirs')!;
    // A reship or return is carried out by the order's workflow (tests/e2e/settlement-aftercare.test.ts):
    // on a line matched to no order it is refused before anything is written.
    const unmatched = rows.find((r) => r.reference === 'OF-0000001/sale')!;
    const before = (await journalsOf(s.settlementId)).length;

    for (let i = 0; i < 2; i++) {
      expect(await acts.applyResolution({ settlementId: s.settlementId, discrepancyId: wrongAmount.id, resolution: { action: 'adjust', note: 'shipping', decidedBy: 'fin-1' } })).toEqual({
        status: 'resolved',
      });
      await acts.applyResolution({ settlementId: s.settlementId, discrepancyId: missing.id, resolution: { action: 'write_off', amount: 1_500, note: 'lost', decidedBy: 'fin-1' } });
      for (const action of ['reship', 'return'] as const) {
        await expect(
          acts.applyResolution({ settlementId: s.settlementId, discrepancyId: unmatched.id, resolution: { action, note: 'send again', decidedBy: 'fin-2' } }),
        ).rejects.toMatchObject({ type: 'ResolutionNeedsOrder', nonRetryable: true, message: expect.stringContaining('orderId is null') });
      }
    }

    const posted = (await journalsOf(s.settlementId)).filter((j) => !j.journalId.startsWith(`adjustment:${rows.find((r) => r.status === 'auto_adjusted')!.id}`));
    expect(posted.map((j) => [j.journalId, j.kind, j.account, j.side, j.amount])).toEqual([
      [`adjustment:${wrongAmount.id}`, 'adjustment', 'counterparty_balance', 'credit', 300],
      [`adjustment:${wrongAmount.id}`, 'adjustment', 'reconciliation_adjustments', 'debit', 300],
      [`write-off:${missing.id}`, 'write_off', 'counterparty_balance', 'credit', 1_500],
      [`write-off:${missing.id}`, 'write_off', 'bad_debt_expense', 'debit', 1_500],
    ]);
    expect((await journalsOf(s.settlementId)).length).toBe(before + 4);

    const after = await rowsOf(s.settlementId);
    const byId = (id: string) => after.find((r) => r.id === id)!;
    expect(byId(wrongAmount.id)).toMatchObject({ status: 'resolved', resolution: { action: 'adjust', amount: 300, note: 'shipping', decidedBy: 'fin-1' } });
    expect(byId(missing.id)).toMatchObject({ status: 'resolved', resolution: { action: 'write_off', amount: 1_500, decidedBy: 'fin-1' } });
    expect(byId(unmatched.id)).toEqual(unmatched);
    expect(typeof byId(missing.id).resolution!.decidedAt).toBe('string');

    // Reconciling again leaves decisions alone.
    await acts.reconcileSettlement({ settlementId: s.settlementId });
    expect(await rowsOf(s.settlementId)).toEqual(after);
  });

  it('a newer statement closes what it no longer shows and records what is new', async () => {
    const [a, b, c, d, e, f] = o;
    const { statement } = await storeStatement(db, {
      agreementId: s.agreementId,
      period: PERIOD,
      format: 'csv',
      submittedBy: 'test',
      lines: [sale(a!.number, 1_000), sale(b!.number, 2_000), sale(c!.number, 2_700), sale(d!.number, 4_000), sale(e!.number, 5_000), sale(f!.number, 5_980)],
    });
    await acts.reconcileSettlement({ settlementId: s.settlementId });
    const rows = await rowsOf(s.settlementId);
    const status = (kind: string, reference: string) => rows.find((r) => r.kind === kind && r.reference === reference);
    expect(status('currency_differs', `${d!.number}/sale`)).toMatchObject({ status: 'resolved', resolution: { action: 'superseded', note: `not on statement ${statement.id}` } });
    expect(status('missing_ours', 'OF-0000001/sale')).toMatchObject({ status: 'resolved', resolution: { action: 'superseded' } });
    // The payment is missing from this one: new.
    expect(status('missing_theirs', `BANK-${s.agreementId.slice(0, 6)}/payment`)).toMatchObject({ status: 'open', difference: 1_000, orderId: a!.id });
    // Decided ones stay decided.
    expect(status('missing_theirs', `${b!.number}/sale`)).toMatchObject({ status: 'resolved', resolution: { action: 'write_off' } });
  });

  it('adjusts a payment difference in the other direction: the partner owes us more', async () => {
    const t = await partnerAgreement(100);
    const order = await soldOrder(t.partner, 2_500);
    await paymentFrom(t.partner, order.id, 2_500, `PAY-${t.agreementId.slice(0, 6)}`);
    await storeStatement(db, {
      agreementId: t.agreementId,
      period: PERIOD,
      format: 'jsonl',
      submittedBy: 'test',
      lines: [sale(order.number, 2_500), { reference: `PAY-${t.agreementId.slice(0, 6)}`, kind: 'payment', amount: 2_450, currency: 'EUR', date: '2026-11-10' }],
    });
    const outcome = await acts.reconcileSettlement({ settlementId: t.settlementId });
    expect(outcome).toMatchObject({ matched: 1, discrepancies: [{ kind: 'amount_differs', status: 'auto_adjusted' }] });
    const journal = await db.select().from(ledgerEntries).where(and(eq(ledgerEntries.settlementId, t.settlementId), like(ledgerEntries.journalId, 'adjustment:%')));
    expect(journal.map((j) => [j.account, j.side, j.amount]).sort()).toEqual([
      ['counterparty_balance', 'debit', 50],
      ['reconciliation_adjustments', 'credit', 50],
    ]);
  });

  it("takes finance's amount the way of the difference: their sale higher, adjusted up", async () => {
    const t = await partnerAgreement(0);
    const order = await soldOrder(t.partner, 2_000);
    await storeStatement(db, { agreementId: t.agreementId, period: PERIOD, format: 'csv', submittedBy: 'test', lines: [sale(order.number, 2_400)] });
    const { discrepancies: [found] } = await acts.reconcileSettlement({ settlementId: t.settlementId });
    expect(found).toMatchObject({ kind: 'amount_differs', status: 'open' });
    expect((await rowsOf(t.settlementId))[0]!.orderId).toBe(order.id);
    await acts.applyResolution({ settlementId: t.settlementId, discrepancyId: found!.id, resolution: { action: 'adjust', amount: 350, note: 'agreed 3.50', decidedBy: 'fin' } });
    const journal = await journalsOf(t.settlementId);
    expect(journal.map((j) => [j.account, j.side, j.amount])).toEqual([
      ['reconciliation_adjustments', 'credit', 350],
      ['counterparty_balance', 'debit', 350],
    ]);
    expect((await rowsOf(t.settlementId))[0]!.resolution).toMatchObject({ action: 'adjust', amount: -350 });
  });

  it('refuses an unknown settlement or discrepancy, non-retryably', async () => {
    const failure = await acts.reconcileSettlement({ settlementId: 'settlement-nope' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'SettlementMissing', nonRetryable: true });
    const missing = await acts
      .applyResolution({ settlementId: s.settlementId, discrepancyId: randomUUID(), resolution: { action: 'adjust', note: 'x', decidedBy: 'fin' } })
      .catch((err: unknown) => err);
    expect(missing).toMatchObject({ type: 'DiscrepancyMissing', nonRetryable: true });
  });
});
