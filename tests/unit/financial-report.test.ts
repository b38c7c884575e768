import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEDGER_ENTRY_KINDS } from '../../src/db/schema';
import { buildFinancialReport, contributions, FIGURES, type LedgerSum } from '../../src/finance/financial-report';
import { escapeHtml, majorUnits, reportCsv } from '../../src/finance/financial-report-formats';

// R6.10: which ledger sums make which figure, totals per currency, and exact rendering.

const window = { timeZone: 'UTC', start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const windowOf = () => window;

const ACCOUNTS = ['revenue', 'shipping_revenue', 'cash', 'cod_receivable', 'instalment_receivable', 'customer_prepayments', 'counterparty_balance', 'bad_debt'];

const ledgerSum = fc.record({
  counterpartyKind: fc.constantFrom('customer' as const, 'partner' as const, 'carrier' as const),
  counterpartyId: fc.constantFrom('a', 'b', 'c'),
  currency: fc.constantFrom('EUR', 'GBP', 'JPY'),
  kind: fc.constantFrom(...LEDGER_ENTRY_KINDS),
  account: fc.constantFrom(...ACCOUNTS),
  side: fc.constantFrom('debit' as const, 'credit' as const),
  inPeriod: fc.integer({ min: 0, max: 1_000_000 }),
  entriesInPeriod: fc.integer({ min: 0, max: 5 }),
  toEnd: fc.integer({ min: 0, max: 1_000_000 }),
  settled: fc.integer({ min: 0, max: 1_000 }),
});

describe('buildFinancialReport', () => {
  it('adds each sum to its line, and the totals per currency are the lines of that currency', () => {
    fc.assert(
      fc.property(fc.array(ledgerSum, { maxLength: 40 }), (sums) => {
        const report = buildFinancialReport(sums, windowOf);
        for (const line of report.lines) {
          const mine = sums.filter(
            (s) => s.counterpartyKind === line.counterparty.kind && s.counterpartyId === line.counterparty.id && s.currency === line.currency,
          );
          for (const f of FIGURES) expect(line.figures[f]).toBe(mine.reduce((n, s) => n + (contributions(s)[f] ?? 0), 0));
        }
        for (const total of report.totals) {
          const lines = report.lines.filter((l) => l.currency === total.currency);
          expect(total.counterparties).toBe(lines.length);
          for (const f of FIGURES) expect(total.figures[f]).toBe(lines.reduce((n, l) => n + l.figures[f], 0));
        }
        expect(new Set(report.totals.map((t) => t.currency))).toEqual(new Set(report.lines.map((l) => l.currency)));
      }),
    );
  });

  it('maps accounts, kinds and sides to figures as the README defines them', () => {
    const base = { counterpartyKind: 'customer', counterpartyId: 'x', currency: 'EUR', entriesInPeriod: 1, inPeriod: 100, toEnd: 700, settled: 0 } as const;
    const of = (s: Partial<LedgerSum>) => contributions({ ...base, kind: 'settlement', account: 'revenue', side: 'credit', ...s });
    expect(of({})).toEqual({ revenue: 100 });
    expect(of({ side: 'debit' })).toEqual({ revenue: -100 });
    expect(of({ kind: 'refund', side: 'debit', account: 'revenue' })).toEqual({ refunds: 100 });
    expect(of({ account: 'instalment_receivable', side: 'debit' })).toEqual({ receivables: 700 });
    expect(of({ kind: 'payment', account: 'instalment_receivable', side: 'credit' })).toEqual({ receivables: -700 });
    expect(of({ kind: 'payment', account: 'cash', side: 'debit' })).toEqual({ collected: 100 });
    expect(of({ kind: 'cod_remitted', account: 'cash', side: 'debit' })).toEqual({ collected: 100 });
    expect(of({ kind: 'refund', account: 'cash', side: 'credit' })).toEqual({});
    expect(of({ account: 'customer_prepayments', side: 'debit' })).toEqual({});
    expect(of({ kind: 'write_off', account: 'bad_debt', side: 'debit', settled: 40 })).toEqual({ writeOffs: 100, settled: 40 });
    expect(of({ kind: 'carrier_charge', account: 'shipping_expense', side: 'debit' })).toEqual({ carrierCharges: 100 });
    // A purchase is what we owe a supplier: a purchase, never a receivable.
    expect(of({ kind: 'purchase', account: 'inventory', side: 'debit' })).toEqual({ purchases: 100 });
    expect(of({ kind: 'purchase', account: 'supplier_payable', side: 'credit' })).toEqual({});
  });

  it('leaves out counterparties with nothing in the period and nothing outstanding', () => {
    const idle: LedgerSum = {
      counterpartyKind: 'customer',
      counterpartyId: 'idle',
      currency: 'EUR',
      kind: 'settlement',
      account: 'customer_prepayments',
      side: 'debit',
      inPeriod: 0,
      entriesInPeriod: 0,
      toEnd: 500,
      settled: 0,
    };
    expect(buildFinancialReport([idle], windowOf)).toEqual({ lines: [], totals: [] });
  });
});

describe('rendering', () => {
  it('writes minor units as exact major-unit decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), fc.constantFrom(['EUR', 2], ['JPY', 0], ['BHD', 3]), (amount, [currency, digits]) => {
        const text = majorUnits(amount, currency as string);
        expect(text).toMatch(digits === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${digits}}$`));
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(amount));
      }),
    );
    expect(majorUnits(5, 'EUR')).toBe('0.05');
    expect(majorUnits(-1234, 'BHD')).toBe('-1.234');
  });

  it('quotes CSV text and defuses formulas; escapes HTML', () => {
    const report = buildFinancialReport(
      [
        {
          counterpartyKind: 'customer',
          counterpartyId: '=HYPERLINK("x"),1',
          currency: 'EUR',
          kind: 'refund',
          account: 'customer_refunds',
          side: 'debit',
          inPeriod: 1050,
          entriesInPeriod: 1,
          toEnd: 1050,
          settled: 0,
        },
      ],
      windowOf,
    );
    const [, row] = reportCsv(report).split('\r\n');
    expect(row).toBe(`customer,"'=HYPERLINK(""x""),1",EUR,UTC,2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,0.00,0.00,0.00,0.00,0.00,10.50,0.00,0.00,0.00,0.00`);
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});
