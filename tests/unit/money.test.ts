import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, minorDigits, MoneyError, multiply, sum } from '../../src/domain/money';

// Money is whole minor units; arithmetic stays exact or refuses.

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const inSafeRange = (n: bigint) => n <= MAX && n >= -MAX;
const safeInt = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
);

describe('multiply', () => {
  it('gives the exact product of whole amounts, or refuses with a MoneyError when it leaves the safe range', () => {
    fc.assert(
      fc.property(safeInt, safeInt, (unit, quantity) => {
        const exact = BigInt(unit) * BigInt(quantity);
        if (inSafeRange(exact)) {
          expect(BigInt(multiply(unit, quantity))).toBe(exact);
        } else {
          expect(() => multiply(unit, quantity)).toThrow(MoneyError);
        }
      }),
    );
  });

  it('refuses fractions of a minor unit and fractional quantities', () => {
    expect(() => multiply(12.5, 2)).toThrow(MoneyError);
    expect(() => multiply(1250, 1.5)).toThrow(MoneyError);
    expect(() => multiply(Number.NaN, 1)).toThrow(MoneyError);
    expect(() => multiply(1, Number.POSITIVE_INFINITY)).toThrow(MoneyError);
    expect(() => multiply(Number.MAX_SAFE_INTEGER + 1, 1)).toThrow(MoneyError);
  });

  it('refuses a product just beyond the safe range and accepts one at its edge', () => {
    expect(multiply(Number.MAX_SAFE_INTEGER, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => multiply(2 ** 52, 2)).toThrow(MoneyError);
    expect(() => multiply(3_002_399_751_580_331, 3)).toThrow(MoneyError); // = 2^53 + 1
    expect(multiply(1290, 3)).toBe(3870);
  });
});

describe('sum', () => {
  it('adds whole amounts exactly', () => {
    expect(sum([])).toBe(0);
    expect(sum([1290, 2500, -500])).toBe(3290);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 50 }), (amounts) => {
        expect(BigInt(sum(amounts))).toBe(amounts.reduce((n, a) => n + BigInt(a), 0n));
      }),
    );
  });

  it('refuses a total beyond the safe range', () => {
    expect(() => sum([Number.MAX_SAFE_INTEGER, 1])).toThrow(MoneyError);
    expect(() => sum([-Number.MAX_SAFE_INTEGER, -1])).toThrow(MoneyError);
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger(), { minLength: 1, maxLength: 6 }), (amounts) => {
        const exact = amounts.reduce((n, a) => n + BigInt(a), 0n);
        if (!inSafeRange(exact)) expect(() => sum(amounts)).toThrow(MoneyError);
        else {
          // Either exact, or refused because a running total left the range on the way.
          try {
            expect(BigInt(sum(amounts))).toBe(exact);
          } catch (error) {
            expect(error).toBeInstanceOf(MoneyError);
          }
        }
      }),
    );
  });

  it('refuses an amount that is not a whole number of minor units', () => {
    expect(() => sum([100, 0.5])).toThrow(MoneyError);
    expect(() => sum([100, Number.NaN])).toThrow(MoneyError);
  });
});

describe('formatMoney', () => {
  it('writes two decimals for EUR, none for JPY, three for KWD', () => {
    expect(formatMoney({ amount: 1230, currency: 'EUR' })).toBe('EUR 12.30');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('EUR 0.05');
    expect(formatMoney({ amount: 0, currency: 'EUR' })).toBe('EUR 0.00');
    expect(formatMoney({ amount: 1500, currency: 'JPY' })).toBe('JPY 1500');
    expect(formatMoney({ amount: 1234, currency: 'KWD' })).toBe('KWD 1.234');
    expect(formatMoney({ amount: 5, currency: 'KWD' })).toBe('KWD 0.005');
  });

  it('puts the sign of a negative amount before the number', () => {
    expect(formatMoney({ amount: -1230, currency: 'EUR' })).toBe('EUR -12.30');
    expect(formatMoney({ amount: -5, currency: 'EUR' })).toBe('EUR -0.05');
    expect(formatMoney({ amount: -1500, currency: 'JPY' })).toBe('JPY -1500');
    expect(formatMoney({ amount: -1234, currency: 'KWD' })).toBe('KWD -1.234');
  });

  it('uses two decimals for a currency it does not list', () => {
    expect(minorDigits('XYZ')).toBe(2);
    expect(formatMoney({ amount: 199, currency: 'XYZ' })).toBe('XYZ 1.99');
  });

  it('reads back as the amount it was given', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 12), max: 10 ** 12 }), fc.constantFrom('EUR', 'JPY', 'KWD', 'CNY'), (amount, currency) => {
        const [code, number] = formatMoney({ amount, currency }).split(' ') as [string, string];
        expect(code).toBe(currency);
        const digits = number.split('.')[1]?.length ?? 0;
        expect(digits).toBe(minorDigits(currency));
        expect(Number(number.replace('.', ''))).toBe(amount);
      }),
    );
  });
});
