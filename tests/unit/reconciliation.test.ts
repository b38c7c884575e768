import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/domain/reconciliation';
import { LINE_KINDS, type StatementLine } from '../../src/domain/reconciliation-lines';

// R6.6, R6.7: matching our lines against theirs on (reference, kind).

const line = (overrides: Partial<StatementLine> = {}): StatementLine => ({
  reference: 'OF-1000001',
  kind: 'sale',
  amount: 1_230,
  currency: 'EUR',
  date: '2026-11-03',
  ...overrides,
});

const lineArb = fc.record({
  reference: fc.stringMatching(/^OF-10000[0-9]{2}$/),
  kind: fc.constantFrom(...LINE_KINDS),
  amount: fc.integer({ min: 1, max: 10_000_000 }),
  currency: fc.constantFrom('EUR', 'USD'),
  date: fc.constantFrom('2026-11-01', '2026-11-15'),
});
/** Lines with distinct (reference, kind): each key once per side. */
const uniqueLines = fc.uniqueArray(lineArb, { selector: (l) => `${l.reference} ${l.kind}`, maxLength: 30 });
/** Any lines, keys repeating. */
const anyLines = fc.array(lineArb, { maxLength: 30 });

const kinds = (r: ReturnType<typeof reconcile>) => r.discrepancies.map((d) => d.kind);

describe('reconcile', () => {
  it('finds nothing when a set of lines is reconciled with itself, repeated keys included', () => {
    fc.assert(
      fc.property(anyLines, (lines) => {
        const r = reconcile(lines, [...lines].reverse(), { tolerance: 0 });
        expect(r.discrepancies).toEqual([]);
        expect(r.matched).toHaveLength(lines.length);
      }),
    );
  });

  it('removing k lines from theirs gives exactly k missing_theirs, on those lines', () => {
    fc.assert(
      fc.property(uniqueLines, fc.nat(), (lines, seed) => {
        const k = lines.length === 0 ? 0 : seed % (lines.length + 1);
        const removed = lines.slice(0, k);
        const r = reconcile(lines, lines.slice(k), { tolerance: 0 });
        expect(kinds(r)).toEqual(removed.map(() => 'missing_theirs'));
        expect(r.discrepancies.map((d) => d.ours).sort(byRef)).toEqual([...removed].sort(byRef));
        expect(r.discrepancies.map((d) => d.difference).sort()).toEqual(removed.map((l) => l.amount).sort());
        expect(r.matched).toHaveLength(lines.length - k);
      }),
    );
  });

  it('a line only on their side is missing_ours, with a negative difference', () => {
    const r = reconcile([], [line()], { tolerance: 0 });
    expect(r.discrepancies).toMatchObject([{ kind: 'missing_ours', key: 'OF-1000001/sale', difference: -1_230, currency: 'EUR', autoAdjustable: false }]);
    expect(r.discrepancies[0]!.likelyCause).toMatch(/^sale on their statement but not in our ledger/);
  });

  it('a line duplicated on their side gives one duplicate and matches the rest', () => {
    fc.assert(
      fc.property(uniqueLines.filter((l) => l.length > 0), fc.nat(), (lines, seed) => {
        const twice = lines[seed % lines.length]!;
        const r = reconcile(lines, [...lines, twice], { tolerance: 0 });
        expect(r.discrepancies).toMatchObject([{ kind: 'duplicate', reference: twice.reference, lineKind: twice.kind, theirs: twice, difference: -twice.amount }]);
        expect(r.discrepancies[0]!.likelyCause).toMatch(/on their statement: billed twice$/);
        expect(r.matched).toHaveLength(lines.length);
      }),
    );
  });

  it('a line duplicated in our ledger is our duplicate', () => {
    const r = reconcile([line(), line()], [line()], { tolerance: 0 });
    expect(r.discrepancies).toMatchObject([{ kind: 'duplicate', ours: line(), difference: 1_230, likelyCause: 'duplicate sale line in our ledger: posted twice' }]);
  });

  it('perturbing an amount gives amount_differs with ours − theirs, auto-adjustable within the tolerance', () => {
    fc.assert(
      fc.property(uniqueLines.filter((l) => l.length > 0), fc.nat(), fc.integer({ min: -1_000, max: 1_000 }).filter((d) => d !== 0), fc.nat({ max: 1_500 }), (lines, seed, delta, tolerance) => {
        const i = seed % lines.length;
        const target = lines[i]!;
        fc.pre(target.amount + delta > 0);
        const theirs = lines.map((l, j) => (j === i ? { ...l, amount: l.amount + delta } : l));
        const r = reconcile(lines, theirs, { tolerance });
        expect(r.discrepancies).toHaveLength(1);
        expect(r.discrepancies[0]).toMatchObject({ kind: 'amount_differs', difference: -delta, currency: target.currency, autoAdjustable: Math.abs(delta) <= tolerance });
        expect(r.matched).toHaveLength(lines.length - 1);
      }),
    );
  });

  it('names the amount and the direction in the likely cause', () => {
    const r = reconcile([line({ amount: 1_230 })], [line({ amount: 1_200 })], { tolerance: 0 });
    expect(r.discrepancies[0]!.likelyCause).toBe('amount differs by EUR 0.30 (ours is higher): shipping charged differently or a partial refund');
  });

  it('a line in another currency is currency_differs, never auto-adjusted', () => {
    const r = reconcile([line()], [line({ currency: 'USD' })], { tolerance: 1_000_000 });
    expect(r.discrepancies).toMatchObject([{ kind: 'currency_differs', difference: 0, currency: 'EUR', autoAdjustable: false, ours: line(), theirs: line({ currency: 'USD' }) }]);
    expect(r.discrepancies[0]!.likelyCause).toMatch(/ours EUR, theirs USD/);
  });

  it('matches on reference and kind: a refund does not match a sale of the same order', () => {
    const r = reconcile([line()], [line({ kind: 'refund' })], { tolerance: 0 });
    expect(r.discrepancies.map((d) => [d.kind, d.key])).toEqual([
      ['missing_ours', 'OF-1000001/refund'],
      ['missing_theirs', 'OF-1000001/sale'],
    ]);
  });

  it('keys are unique within a result, numbered from the second of a kind', () => {
    const r = reconcile([], [line(), line(), line()], { tolerance: 0 });
    expect(r.discrepancies.map((d) => [d.kind, d.key])).toEqual([
      ['missing_ours', 'OF-1000001/sale'],
      ['duplicate', 'OF-1000001/sale'],
      ['duplicate', 'OF-1000001/sale#2'],
    ]);
    fc.assert(
      fc.property(anyLines, anyLines, (ours, theirs) => {
        const keys = reconcile(ours, theirs, { tolerance: 0 }).discrepancies.map((d) => `${d.kind} ${d.key}`);
        expect(new Set(keys).size).toBe(keys.length);
      }),
    );
  });

  it('accounts for every line exactly once: matched, or in a discrepancy', () => {
    fc.assert(
      fc.property(anyLines, anyLines, (ours, theirs) => {
        const r = reconcile(ours, theirs, { tolerance: 0 });
        expect(r.matched.length + r.discrepancies.filter((d) => d.ours).length).toBe(ours.length);
        expect(r.matched.length + r.discrepancies.filter((d) => d.theirs).length).toBe(theirs.length);
      }),
    );
  });

  it('does not depend on the order of the lines', () => {
    const permuted = (lines: StatementLine[]) => fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length });
    const sides = fc.tuple(anyLines, anyLines).chain(([ours, theirs]) => fc.tuple(fc.constant(ours), fc.constant(theirs), permuted(ours), permuted(theirs)));
    fc.assert(
      fc.property(sides, ([ours, theirs, ours2, theirs2]) => {
        expect(reconcile(ours2, theirs2, { tolerance: 50 })).toEqual(reconcile(ours, theirs, { tolerance: 50 }));
      }),
    );
  });
});

const byRef = (a: StatementLine | undefined, b: StatementLine | undefined) => `${a!.reference} ${a!.kind}`.localeCompare(`${b!.reference} ${b!.kind}`);
