import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grossFromNet, netFromGross, parseAmount, parseTaxRate } from '../../src/channels/gross-to-net';

const gross = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const rate = fc.integer({ min: 0, max: 9_999 });

describe('gross price and tax rate to our net unit price', () => {
  it('is never more than half a minor unit from the exact quotient, ties rounding up', () => {
    fc.assert(
      fc.property(gross, rate, (g, r) => {
        const net = BigInt(netFromGross(g, r));
        const divisor = 10_000n + BigInt(r);
        // exact net = g × 10000 / divisor; |net − exact| ≤ ½, and = ½ only rounding up.
        const twiceError = 2n * (net * divisor - BigInt(g) * 10_000n);
        expect(twiceError <= divisor && twiceError > -divisor).toBe(true);
      }),
    );
  });

  it('gives back every price of ours that a partner grossed up to the nearest minor unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), rate, (net, r) => {
        expect(netFromGross(grossFromNet(net, r), r)).toBe(net);
      }),
    );
  });

  it('never falls as the gross price rises, and is the gross price at a rate of nought', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), rate, (g, r) => {
        expect(netFromGross(g + 1, r)).toBeGreaterThanOrEqual(netFromGross(g, r));
        expect(netFromGross(g, 0)).toBe(g);
      }),
    );
  });

  it('works the demo prices: 15.35 EUR at 19 % is 12.90 net', () => {
    expect(netFromGross(1535, 1900)).toBe(1290);
    expect(netFromGross(2202, 1900)).toBe(1850);
    expect(netFromGross(119, 1900)).toBe(100);
    // A tie rounds up: 0.05 at 25 % is 0.04 exactly; 0.01 at 100 % is 0.005 → 0.01.
    expect(netFromGross(5, 2500)).toBe(4);
    expect(netFromGross(1, 10_000)).toBe(1);
  });
});

describe('reading partner amounts and rates', () => {
  it('reads decimal strings exactly, in the minor units of the currency', () => {
    expect(parseAmount('15.35', 'EUR')).toEqual({ ok: true, value: 1535 });
    expect(parseAmount('15.3', 'EUR')).toEqual({ ok: true, value: 1530 });
    expect(parseAmount('15', 'EUR')).toEqual({ ok: true, value: 1500 });
    expect(parseAmount('1500', 'JPY')).toEqual({ ok: true, value: 1500 });
    expect(parseAmount('0.001', 'EUR')).toMatchObject({ ok: false, message: expect.stringMatching(/more than 2 decimal places/) });
    expect(parseAmount('1.5', 'JPY')).toMatchObject({ ok: false });
    expect(parseAmount('-1.00', 'EUR')).toMatchObject({ ok: false });
    expect(parseAmount('1e3', 'EUR')).toMatchObject({ ok: false });
  });

  it('reads any decimal it prints back to the same minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 15 - 1 }), (minor) => {
        const text = `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
        expect(parseAmount(text, 'EUR')).toEqual({ ok: true, value: minor });
      }),
    );
  });

  it('reads rates in per cent to basis points, refusing what is not a rate', () => {
    expect(parseTaxRate('19')).toEqual({ ok: true, value: 1900 });
    expect(parseTaxRate(7.5)).toEqual({ ok: true, value: 750 });
    expect(parseTaxRate('7.25')).toEqual({ ok: true, value: 725 });
    expect(parseTaxRate('0')).toEqual({ ok: true, value: 0 });
    for (const bad of ['100', '-1', '7.125', 'nineteen', '', 1e-7]) expect(parseTaxRate(bad).ok).toBe(false);
  });
});
