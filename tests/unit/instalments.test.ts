import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocatePayments, forgiveInstalments, instalmentDueAt, splitInstalments } from '../../src/domain/instalments';

// R6.1 instalments: the total split exactly in integer minor units, and payments applied
// to the instalment they name, else the oldest open one.

describe('splitInstalments', () => {
  it('puts the remainder on the first instalments', () => {
    expect(splitInstalments(1000, 3)).toEqual([334, 333, 333]);
    expect(splitInstalments(1001, 3)).toEqual([334, 334, 333]);
    expect(splitInstalments(999, 3)).toEqual([333, 333, 333]);
  });

  it('never makes a zero instalment: a tiny total has fewer', () => {
    expect(splitInstalments(2, 3)).toEqual([1, 1]);
    expect(splitInstalments(0, 3)).toEqual([]);
  });

  it('sums to the total, differs by at most one unit, all positive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), fc.integer({ min: 1, max: 36 }), (total, count) => {
        const parts = splitInstalments(total, count);
        expect(parts.reduce((n, p) => n + p, 0)).toBe(total);
        expect(parts.length).toBe(Math.min(count, total));
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
        expect(parts.every((p) => Number.isInteger(p) && p > 0)).toBe(true);
        // Larger ones first: the remainder is on the first.
        expect([...parts].sort((a, b) => b - a)).toEqual(parts);
      }),
    );
  });

  it('dates each instalment one interval after the previous', () => {
    expect([1, 2, 3].map((n) => instalmentDueAt(1_000, 30, n))).toEqual([1_030, 1_060, 1_090]);
  });
});

describe('allocatePayments', () => {
  const schedule = [
    { number: 1, amount: 334 },
    { number: 2, amount: 333 },
    { number: 3, amount: 333 },
  ];

  it('pays the oldest open instalment first, or the one named', () => {
    expect([...allocatePayments(schedule, [{ paymentId: 'a', amount: 334 }]).paid]).toEqual([1]);
    expect([...allocatePayments(schedule, [{ paymentId: 'a', amount: 333, instalmentNumber: 3 }]).paid]).toEqual([3]);
    const partial = allocatePayments(schedule, [{ paymentId: 'a', amount: 400 }]);
    expect([...partial.paid]).toEqual([1]);
    expect(partial.received.get(2)).toBe(66);
  });

  it('never credits more than owed; the surplus is left over', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 800 }), instalmentNumber: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }) }), {
          maxLength: 8,
        }),
        (raw) => {
          const pays = raw.map((p, i) => ({ paymentId: String(i), ...p }));
          const { received, paid, leftOver } = allocatePayments(schedule, pays);
          const credited = [...received.values()].reduce((n, v) => n + v, 0);
          expect(credited + leftOver).toBe(pays.reduce((n, p) => n + p.amount, 0));
          for (const i of schedule) expect(received.get(i.number)).toBeLessThanOrEqual(i.amount);
          expect(paid.size === 3).toBe(credited === 1000);
        },
      ),
    );
  });
});

describe('forgiveInstalments', () => {
  const schedule = [
    { number: 1, amount: 334 },
    { number: 2, amount: 333 },
    { number: 3, amount: 333 },
  ];

  it('a return of everything unpaid cancels the unpaid instalments, the paid one stays', () => {
    const { amounts, cancelled, leftOver } = forgiveInstalments(schedule, new Map([[1, 334]]), 666);
    expect(cancelled).toEqual([2, 3]);
    expect([...amounts.values()]).toEqual([334, 0, 0]);
    expect(leftOver).toBe(0);
  });

  it('takes from the last instalment first, never below what one received', () => {
    const { amounts, cancelled } = forgiveInstalments(schedule, new Map([[2, 100]]), 500);
    expect(cancelled).toEqual([3]);
    expect(amounts.get(2)).toBe(166);
    expect(amounts.get(1)).toBe(334);
  });

  it('forgives exactly what is unpaid, up to the amount; the rest is left over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2_000_000 }), fc.nat(), (total, count, forgiven, paidRaw) => {
        const plan = splitInstalments(total, count).map((amount, i) => ({ number: i + 1, amount }));
        const paid = paidRaw % (total + 1);
        const { received } = allocatePayments(plan, [{ paymentId: 'p', amount: paid }]);
        const out = forgiveInstalments(plan, received, forgiven);
        const taken = plan.reduce((n, i) => n + i.amount - out.amounts.get(i.number)!, 0);
        expect(taken).toBe(Math.min(forgiven, total - paid));
        expect(out.leftOver).toBe(forgiven - taken);
        for (const i of plan) expect(out.amounts.get(i.number)!).toBeGreaterThanOrEqual(received.get(i.number) ?? 0);
        for (const n of out.cancelled) expect(out.amounts.get(n)).toBe(0);
      }),
    );
  });
});
