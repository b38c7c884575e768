import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convert, convertParts, divideHalfEven, formatRate, FxError, IDENTITY, invert, parseRate, type Rate } from '../../src/domain/fx';

// R6.3: rates are exact decimals and conversions round half-to-even to the target's
// minor unit; a journal's converted parts add up to its converted total.

/** A rate as its exact decimal text: up to 6 whole digits, up to 12 decimals, not zero. */
const rateText = fc
  .tuple(fc.integer({ min: 0, max: 999_999 }), fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? String(whole) : `${whole}.${fraction}`))
  .filter((text) => /[1-9]/.test(text));

const rate = rateText.map(parseRate);
/** Rates a finance desk would post: 0.001 to 1000, up to 8 decimals. */
const plausibleRate = fc.integer({ min: 100_000, max: 100_000_000_000 }).map((units): Rate => ({ units: BigInt(units), scale: 8 }));
const amount = fc.integer({ min: 0, max: 10_000_000_000 });
const currency = fc.constantFrom('EUR', 'GBP', 'USD', 'JPY', 'BHD');

/** The same value whatever the scale. */
const sameValue = (a: Rate, b: Rate) => a.units * 10n ** BigInt(b.scale) === b.units * 10n ** BigInt(a.scale);

describe('parseRate and formatRate', () => {
  it('round-trip: the formatted rate parses to the same value and formats the same again', () => {
    fc.assert(
      fc.property(rate, (r) => {
        const text = formatRate(r);
        expect(sameValue(parseRate(text), r)).toBe(true);
        expect(formatRate(parseRate(text))).toBe(text);
      }),
    );
  });

  it('writes the shortest exact decimal', () => {
    expect(formatRate(parseRate('1.50'))).toBe('1.5');
    expect(formatRate(parseRate('1.000'))).toBe('1');
    expect(formatRate(parseRate('0.000001'))).toBe('0.000001');
    expect(formatRate(parseRate('162.35'))).toBe('162.35');
  });

  it.each(['1e3', '-1', '0', '0.000', '1.2.3', '', ' 1', '1,5', '.5', '1.', '01.5', '1.1234567890123', 'NaN', 'Infinity'])(
    'refuses %j with an FxError',
    (text) => {
      expect(() => parseRate(text)).toThrow(FxError);
    },
  );
});

describe('convert', () => {
  it('with the identity rate is the identity, within a currency and between currencies of the same minor unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => {
        expect(convert(n, 'EUR', 'EUR', IDENTITY)).toBe(n);
        expect(convert(n, 'EUR', 'EUR', parseRate('1.000'))).toBe(n);
        expect(convert(n, 'EUR', 'USD', IDENTITY)).toBe(n);
      }),
    );
  });

  it('rounds exact ties half-to-even, negative amounts symmetrically', () => {
    const half = parseRate('0.5');
    // n × 0.5 for odd n lies exactly on a tie.
    expect([1, 3, 5, 7, 9].map((n) => convert(n, 'EUR', 'USD', half))).toEqual([0, 2, 2, 4, 4]);
    expect([-1, -3, -5, -7].map((n) => convert(n, 'EUR', 'USD', half) + 0)).toEqual([0, -2, -2, -4]);
    // 0.5, 1.5, 2.5 as the exact quotient
    expect(divideHalfEven(5n, 10n)).toBe(0n);
    expect(divideHalfEven(15n, 10n)).toBe(2n);
    expect(divideHalfEven(25n, 10n)).toBe(2n);
    expect(divideHalfEven(35n, 10n)).toBe(4n);
    expect(divideHalfEven(-15n, 10n)).toBe(-2n);
    expect(divideHalfEven(-25n, 10n)).toBe(-2n);
    // Not a tie: nearest
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
    expect(divideHalfEven(-26n, 10n)).toBe(-3n);
  });

  it('is the exact product rounded to the nearest minor unit, ties to even, and symmetric in sign', () => {
    fc.assert(
      fc.property(amount, rate, currency, currency, (n, r, from, to) => {
        const digits = (c: string) => ({ JPY: 0, BHD: 3 })[c as 'JPY'] ?? 2;
        const num = BigInt(n) * r.units * 10n ** BigInt(digits(to));
        const den = 10n ** BigInt(r.scale + digits(from));
        const exact = Number(num) / Number(den);
        let result: number;
        try {
          result = convert(n, from, to, r);
        } catch (e) {
          expect(e).toBeInstanceOf(FxError);
          return;
        }
        const diff = BigInt(result) * den - num;
        const absDiff = diff < 0n ? -diff : diff;
        expect(absDiff * 2n <= den).toBe(true);
        if (absDiff * 2n === den) expect(result % 2).toBe(0);
        expect(Math.abs(result - exact)).toBeLessThanOrEqual(0.5 + Math.abs(exact) * 1e-12);
        expect(convert(-n, from, to, r) + 0).toBe(-result + 0);
      }),
    );
  });

  it('scales across minor units exactly', () => {
    // 1 EUR = 162.35 JPY: EUR 10.00 → JPY 1623.5 → 1624 (tie, to even); EUR 10.01 → 1625.1235 → 1625
    expect(convert(1000, 'EUR', 'JPY', parseRate('162.35'))).toBe(1624);
    expect(convert(1001, 'EUR', 'JPY', parseRate('162.35'))).toBe(1625);
    // 1 JPY = 0.0061 EUR: JPY 1000 → EUR 6.10; JPY 125 → EUR 0.7625 → 76 cents
    expect(convert(1000, 'JPY', 'EUR', parseRate('0.0061'))).toBe(610);
    expect(convert(125, 'JPY', 'EUR', parseRate('0.0061'))).toBe(76);
    expect(convert(1, 'JPY', 'EUR', parseRate('0.005'))).toBe(0);
    expect(convert(3, 'JPY', 'EUR', parseRate('0.005'))).toBe(2);
    // 1 EUR = 0.4105 BHD: EUR 100.00 → BHD 41.050 (fils); EUR 0.01 → 4.105 fils → 4
    expect(convert(10000, 'EUR', 'BHD', parseRate('0.4105'))).toBe(41050);
    expect(convert(1, 'EUR', 'BHD', parseRate('0.4105'))).toBe(4);
    expect(convert(1, 'EUR', 'BHD', parseRate('0.4115'))).toBe(4);
    expect(convert(1, 'EUR', 'BHD', parseRate('0.4125'))).toBe(4);
    expect(convert(1, 'EUR', 'BHD', parseRate('0.4135'))).toBe(4);
    expect(convert(1, 'EUR', 'BHD', parseRate('0.4150'))).toBe(4);
    expect(convert(3, 'EUR', 'BHD', parseRate('0.4150'))).toBe(12);
    // BHD → EUR loses the third digit, half-even: 0.125 BHD × 1 = EUR 0.125 → 0.12
    expect(convert(125, 'BHD', 'EUR', IDENTITY)).toBe(12);
    expect(convert(135, 'BHD', 'EUR', IDENTITY)).toBe(14);
  });

  it('refuses fractional amounts and results out of the safe range', () => {
    expect(() => convert(1.5, 'EUR', 'GBP', parseRate('0.85'))).toThrow(FxError);
    expect(() => convert(Number.MAX_SAFE_INTEGER, 'EUR', 'JPY', parseRate('999999'))).toThrow(FxError);
  });
});

describe('convertParts', () => {
  it('adds up to the converted total, each part within one minor unit of its own conversion', () => {
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 12 }), rate, currency, currency, (parts, r, from, to) => {
        let total: number;
        try {
          total = convert(
            parts.reduce((a, b) => a + b, 0),
            from,
            to,
            r,
          );
          parts.forEach((p) => convert(p, from, to, r));
        } catch {
          return; // out of the safe range: convert refuses, covered above
        }
        const converted = convertParts(parts, from, to, r);
        expect(converted).toHaveLength(parts.length);
        expect(converted.reduce((a, b) => a + b, 0)).toBe(total);
        converted.forEach((c, i) => {
          expect(Number.isSafeInteger(c)).toBe(true);
          expect(Math.abs(c - convert(parts[i]!, from, to, r))).toBeLessThanOrEqual(1);
          expect(c).toBeGreaterThanOrEqual(0);
        });
      }),
    );
  });

  it('is empty for no parts and the identity at rate 1', () => {
    expect(convertParts([], 'EUR', 'GBP', parseRate('0.85'))).toEqual([]);
    fc.assert(
      fc.property(fc.array(amount, { maxLength: 8 }), (parts) => {
        expect(convertParts(parts, 'EUR', 'EUR', IDENTITY)).toEqual(parts);
      }),
    );
  });

  it('gives the rounding to the parts with the largest remainders', () => {
    // Three thirds of a cent at 1/3: 1 × 0.333… each; total 3 → 1; exactly one part gets it.
    const third = parseRate('0.333333333333');
    expect(convertParts([1, 1, 1], 'EUR', 'GBP', third).reduce((a, b) => a + b, 0)).toBe(convert(3, 'EUR', 'GBP', third));
    expect(convertParts([100, 150, 50], 'EUR', 'GBP', parseRate('0.5'))).toEqual([50, 75, 25]);
    expect(convertParts([1, 1, 1, 1], 'EUR', 'GBP', parseRate('0.5'))).toEqual([1, 1, 0, 0]);
  });
});

describe('invert', () => {
  it('inverts to 12 decimals: invert(invert(r)) is r within rounding for rates finance posts', () => {
    fc.assert(
      fc.property(plausibleRate, (r) => {
        const back = invert(invert(r));
        const value = (x: Rate) => Number(x.units) / 10 ** x.scale;
        expect(Math.abs(value(back) - value(r)) / value(r)).toBeLessThan(1e-6);
        // r × invert(r) is 1 to within the inverse's last digit
        const product = Number(r.units) * Number(invert(r).units) / 10 ** (r.scale + 12);
        expect(Math.abs(product - 1)).toBeLessThan(1e-6);
      }),
    );
  });

  it('is exact where the inverse is a short decimal, and refuses one that rounds to zero', () => {
    expect(formatRate(invert(parseRate('0.8')))).toBe('1.25');
    expect(formatRate(invert(parseRate('4')))).toBe('0.25');
    expect(formatRate(invert(parseRate('3')))).toBe('0.333333333333');
    expect(formatRate(invert(parseRate('1.5')))).toBe('0.666666666667');
    expect(() => invert(parseRate('999999999999'))).not.toThrow();
    expect(() => invert({ units: 10n ** 14n, scale: 0 })).toThrow(FxError);
  });
});
