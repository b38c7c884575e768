import { minorDigits } from '../domain/money';

// Partners quote prices with tax in; we take net unit prices in minor units. The
// arithmetic is exact (integers, BigInt where products could pass 2^53) and rounds
// once, half up: net = round(gross × 10000 / (10000 + rate in basis points)). So the
// net price is never more than half a minor unit from the exact quotient, and one of our
// net prices that a partner grossed up to the nearest minor unit comes back exactly.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const DECIMAL = /^(\d{1,13})(?:\.(\d+))?$/;

/** "15.35" EUR → 1535. More decimals than the currency has is refused, never rounded away. */
export function parseAmount(text: string, currency: string): Parsed<number> {
  const digits = minorDigits(currency);
  const m = DECIMAL.exec(text.trim());
  if (!m) return { ok: false, message: `"${text}" is not an amount such as 15.35` };
  const fraction = m[2] ?? '';
  if (fraction.length > digits) return { ok: false, message: `"${text}" has more than ${digits} decimal places for ${currency}` };
  return { ok: true, value: Number(m[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0') };
}

const RATE = /^(\d{1,2})(?:\.(\d{1,2}))?$/;

/** "19", "7.5" or 19 (per cent, at most two decimals, below 100) → basis points: 1900, 750. */
export function parseTaxRate(rate: string | number): Parsed<number> {
  const text = typeof rate === 'number' ? String(rate) : rate.trim();
  const m = RATE.exec(text);
  if (!m) return { ok: false, message: `"${text}" is not a tax rate in per cent from 0 to 99.99 with at most two decimals` };
  return { ok: true, value: Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) };
}

/** Net minor units from gross minor units and a tax rate in basis points, rounded half up. */
export function netFromGross(grossMinor: number, rateBasisPoints: number): number {
  if (!Number.isSafeInteger(grossMinor) || grossMinor < 0) throw new RangeError(`${grossMinor} is not a whole, non-negative amount`);
  if (!Number.isInteger(rateBasisPoints) || rateBasisPoints < 0) throw new RangeError(`${rateBasisPoints} is not a rate in basis points`);
  const numerator = BigInt(grossMinor) * 10_000n;
  const denominator = 10_000n + BigInt(rateBasisPoints);
  // Half up: add half the divisor before the integer division (all figures are non-negative).
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** Gross minor units from net, the same rounding: what the partner would quote for our price. */
export function grossFromNet(netMinor: number, rateBasisPoints: number): number {
  const numerator = BigInt(netMinor) * (10_000n + BigInt(rateBasisPoints));
  return Number((2n * numerator + 10_000n) / 20_000n);
}
