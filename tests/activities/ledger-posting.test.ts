import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJournal } from '../../activities/ledger';
import type { Db } from '../../src/db/client';
import { agreements, fxRates, ledgerEntries, type LedgerEntryKind } from '../../src/db/schema';
import { convert, convertParts, parseRate } from '../../src/domain/fx';
import type { Journal } from '../../src/domain/settlement';
import { FxRateMissing, type Counterparty } from '../../src/finance/settlement-terms';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// postJournal over a real PostgreSQL: every line is stated in the counterparty's
// settlement currency at the rate in force at the entry (R6.3), converted half-even per
// side so the journal balances in both currencies, and posted at most once.

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db;
}, 90_000);

afterAll(() => testDb?.drop());

const T0 = new Date('2026-06-01T00:00:00Z');
const JAN = new Date('2026-01-01T00:00:00Z');
const FEB = new Date('2026-02-01T00:00:00Z');
const DAY = 86_400_000;

async function agreement(counterparty: Counterparty, settlementCurrency: string) {
  await db.insert(agreements).values({
    id: randomUUID(),
    counterpartyKind: counterparty.kind,
    counterpartyId: counterparty.id,
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: 'last',
    settlementCurrency,
    timeZone: 'Europe/London',
  });
}

async function rate(base: string, quote: string, value: string, asOf: Date) {
  const [row] = await db.insert(fxRates).values({ base, quote, rate: value, source: 'test', asOf }).returning();
  return row!;
}

const post = (journal: Journal, counterparty: Counterparty, at: Date, kind: LedgerEntryKind = 'settlement') =>
  db.transaction((tx) => postJournal(tx, null, journal, kind, { counterparty, at }));

const entriesOf = (journalId: string) => db.select().from(ledgerEntries).where(eq(ledgerEntries.journalId, journalId)).orderBy(ledgerEntries.id);

const sale = (journalId: string, amount: number, currency = 'EUR'): Journal => ({
  journalId,
  memo: 'test sale',
  currency,
  lines: [
    { account: 'customer_prepayments', side: 'debit', amount },
    { account: 'revenue', side: 'credit', amount },
  ],
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('postJournal', () => {
  it('without an agreement settles in the journal currency at rate 1', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('nobody') };
    const journalId = unique('j');
    await post(sale(journalId, 12_345), customer, T0);
    const rows = await entriesOf(journalId);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({
        amount: 12_345,
        currency: 'EUR',
        settlementAmount: 12_345,
        settlementCurrency: 'EUR',
        fxRate: '1',
        fxRateId: null,
        agreementId: null,
        counterpartyKind: 'customer',
        counterpartyId: customer.id,
      });
      expect(row.createdAt.toISOString()).toBe(T0.toISOString());
    }
  });

  it('with a GBP agreement converts at the EUR→GBP rate, half-even, storing the rate and its id', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('gbp') };
    await agreement(customer, 'GBP');
    const direct = await rate('EUR', 'GBP', '0.845', JAN);
    const journalId = unique('j');
    // 0.15 EUR × 0.845 = 0.12675 → 13 pence; 0.10 × 0.845 = 0.0845 → 8; 0.25 × 0.845 → 21.125 → 21
    const journal: Journal = {
      journalId,
      memo: 'split sale',
      currency: 'EUR',
      lines: [
        { account: 'customer_prepayments', side: 'debit', amount: 25 },
        { account: 'revenue', side: 'credit', amount: 15 },
        { account: 'shipping_revenue', side: 'credit', amount: 10 },
      ],
    };
    await post(journal, customer, new Date(JAN.getTime() + DAY));
    const rows = await entriesOf(journalId);
    const [agreementRow] = await db.select().from(agreements).where(eq(agreements.counterpartyId, customer.id));
    expect(rows.map((r) => [r.account, r.settlementAmount])).toEqual([
      ['customer_prepayments', 21],
      ['revenue', 13],
      ['shipping_revenue', 8],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ settlementCurrency: 'GBP', fxRate: '0.845', fxRateId: direct.id, agreementId: agreementRow!.id });
    }
  });

  it('balances in both currencies for any journal (property)', async () => {
    const customer: Counterparty = { kind: 'partner', id: unique('shop') };
    await agreement(customer, 'GBP');
    const r = await rate('EUR', 'GBP', '0.857311', FEB);
    const side = fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 5 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(side, side, async (debits, creditShape) => {
        // Credits: the same total as the debits, spread in the credit shape's proportions.
        const total = debits.reduce((a, b) => a + b, 0);
        const weights = creditShape.reduce((a, b) => a + b, 0);
        const credits = creditShape.map((w) => Math.floor((w * total) / weights));
        credits[0]! += total - credits.reduce((a, b) => a + b, 0);
        if (credits.some((c) => c <= 0)) return;
        const journalId = `prop-${customer.id}-${run++}`;
        const journal: Journal = {
          journalId,
          memo: 'property',
          currency: 'EUR',
          lines: [
            ...debits.map((amount, i) => ({ account: `debit_${i}`, side: 'debit' as const, amount })),
            ...credits.map((amount, i) => ({ account: `credit_${i}`, side: 'credit' as const, amount })),
          ],
        };
        await post(journal, customer, new Date(FEB.getTime() + DAY));
        const rows = await entriesOf(journalId);
        expect(rows).toHaveLength(journal.lines.length);
        const sum = (s: 'debit' | 'credit', f: (row: (typeof rows)[number]) => number) =>
          rows.filter((x) => x.side === s).reduce((n, x) => n + f(x), 0);
        expect(sum('debit', (x) => x.amount)).toBe(sum('credit', (x) => x.amount));
        expect(sum('debit', (x) => x.settlementAmount)).toBe(sum('credit', (x) => x.settlementAmount));
        const rateValue = parseRate('0.857311');
        expect(sum('debit', (x) => x.settlementAmount)).toBe(convert(total, 'EUR', 'GBP', rateValue));
        expect(rows.filter((x) => x.side === 'debit').map((x) => x.settlementAmount)).toEqual(convertParts(debits, 'EUR', 'GBP', rateValue));
        for (const row of rows) {
          expect(Math.abs(row.settlementAmount - convert(row.amount, 'EUR', 'GBP', rateValue))).toBeLessThanOrEqual(1);
          expect(row.fxRateId).toBe(r.id);
        }
      }),
      { numRuns: 30 },
    );
    expect(run).toBeGreaterThan(10);
  });

  it('adds lines on the same account and side together: the ledger keeps one entry per account and side', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('lines') };
    const journalId = unique('j');
    await post(
      {
        journalId,
        memo: 'two items',
        currency: 'EUR',
        lines: [
          { account: 'customer_prepayments', side: 'debit', amount: 1_500 },
          { account: 'revenue', side: 'credit', amount: 1_000 },
          { account: 'revenue', side: 'credit', amount: 500 },
        ],
      },
      customer,
      T0,
    );
    const rows = await entriesOf(journalId);
    expect(rows.map((r) => [r.account, r.side, r.amount, r.settlementAmount])).toEqual([
      ['customer_prepayments', 'debit', 1_500, 1_500],
      ['revenue', 'credit', 1_500, 1_500],
    ]);
  });

  it('uses the rate in force: the latest as_of at or before the entry', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('rates') };
    await agreement(customer, 'USD');
    const older = await rate('EUR', 'USD', '1.1', new Date(T0.getTime() + 10 * DAY));
    const newer = await rate('EUR', 'USD', '1.2', new Date(T0.getTime() + 20 * DAY));
    const before = unique('j');
    const between = unique('j');
    const atNewer = unique('j');
    await post(sale(between, 1000), customer, new Date(T0.getTime() + 15 * DAY));
    await post(sale(atNewer, 1000), customer, new Date(T0.getTime() + 20 * DAY));
    await expect(post(sale(before, 1000), customer, new Date(T0.getTime() + 10 * DAY - 1))).rejects.toThrow(FxRateMissing);
    expect((await entriesOf(between)).map((r) => [r.settlementAmount, r.fxRate, r.fxRateId])).toEqual([
      [1100, '1.1', older.id],
      [1100, '1.1', older.id],
    ]);
    expect((await entriesOf(atNewer)).map((r) => [r.settlementAmount, r.fxRate, r.fxRateId])).toEqual([
      [1200, '1.2', newer.id],
      [1200, '1.2', newer.id],
    ]);
    expect(await entriesOf(before)).toEqual([]);
  });

  it('inverts a GBP→EUR rate when there is no EUR→GBP one', async () => {
    // 2025: before any EUR→GBP quotation in this database.
    const customer: Counterparty = { kind: 'customer', id: unique('inverse') };
    await agreement(customer, 'GBP');
    const gbpEur = await rate('GBP', 'EUR', '1.25', new Date('2025-01-01T00:00:00Z'));
    const journalId = unique('j');
    // 1 EUR = 1 / 1.25 GBP = 0.8 GBP: EUR 10.01 → GBP 8.008 → 8.01
    await post(sale(journalId, 1001), customer, new Date('2025-01-02T00:00:00Z'));
    const rows = await entriesOf(journalId);
    expect(rows.map((r) => [r.settlementAmount, r.settlementCurrency, r.fxRate, r.fxRateId])).toEqual([
      [801, 'GBP', '0.8', gbpEur.id],
      [801, 'GBP', '0.8', gbpEur.id],
    ]);
  });

  it('refuses with FxRateMissing naming the pair when no rate is in force, and writes nothing', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('yen') };
    await agreement(customer, 'JPY');
    const journalId = unique('j');
    const attempt = post(sale(journalId, 500, 'NOK'), customer, T0);
    await expect(attempt).rejects.toThrow(FxRateMissing);
    await expect(attempt).rejects.toThrow(/NOK→JPY/);
    expect(await entriesOf(journalId)).toEqual([]);
  });

  it('posts a journal once however often it is posted', async () => {
    const customer: Counterparty = { kind: 'customer', id: unique('twice') };
    await agreement(customer, 'GBP');
    await rate('GBP', 'EUR', '1.17', new Date('2025-02-01T00:00:00Z')); // only the inverse is in force
    const first = new Date('2025-02-02T00:00:00Z');
    const journalId = unique('j');
    await post(sale(journalId, 4_000), customer, first);
    // Again, later, after a new direct rate, and twice at once: still the first posting, untouched.
    await rate('EUR', 'GBP', '0.9', new Date('2025-02-03T00:00:00Z'));
    const later = new Date('2025-02-04T00:00:00Z');
    await post(sale(journalId, 4_000), customer, later);
    await Promise.all([post(sale(journalId, 4_000), customer, later), post(sale(journalId, 4_000), customer, later)]);
    const rows = await entriesOf(journalId);
    expect(rows).toHaveLength(2);
    // 40.00 EUR / 1.17 = 34.188… GBP → 34.19
    expect(rows.map((r) => [r.settlementAmount, r.fxRate])).toEqual([
      [3419, '0.854700854701'],
      [3419, '0.854700854701'],
    ]);
    expect(rows.every((r) => r.createdAt.getTime() === first.getTime())).toBe(true);
  });
});
