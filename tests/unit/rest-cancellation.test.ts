import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { restCancellation } from '../../src/domain/rest-cancellation';

// R1.8 `partial`: giving up the rest charges the customer for what shipped, paid or not.

describe('cancelling a partial delivery\'s rest', () => {
  it('settles what shipped: total less refunds drops by exactly the rest, the refund never exceeds what the customer holds paid or the rest', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(100_000), fc.nat(200_000), fc.nat(100_000), (shipped, value, paidRaw, refundedRaw) => {
        const total = shipped + value;
        const refunded = Math.min(refundedRaw, total);
        const paid = Math.max(paidRaw, refunded);
        const { refund, writeDown } = restCancellation({ total, refunded, paid, value });
        expect(refund).toBeGreaterThanOrEqual(0);
        expect(writeDown).toBeGreaterThanOrEqual(0);
        expect(refund).toBeLessThanOrEqual(paid - refunded);
        // What SETTLE posts afterwards: (total − writeDown) − (refunded + refund).
        expect(total - writeDown - (refunded + refund)).toBe(Math.max(0, total - refunded - value));
        expect(refund + writeDown).toBe(Math.min(value, total - refunded));
      }),
    );
  });

  it('refunds the rest when all was paid, writes it off the total when nothing was', () => {
    expect(restCancellation({ total: 5_000, refunded: 0, paid: 5_000, value: 2_000 })).toEqual({ refund: 2_000, writeDown: 0 });
    expect(restCancellation({ total: 5_000, refunded: 0, paid: 0, value: 2_000 })).toEqual({ refund: 0, writeDown: 2_000 });
    // Paid 4 000 of 5 000: 3 000 is owed for what shipped, 1 000 goes back, 1 000 was never paid.
    expect(restCancellation({ total: 5_000, refunded: 0, paid: 4_000, value: 2_000 })).toEqual({ refund: 1_000, writeDown: 1_000 });
  });
});
