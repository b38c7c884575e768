import { minorDigits } from './money';

// R6.3: amounts in another currency convert at a recorded rate, exactly. A rate is an
// exact decimal ("1.0834"), held as a BigInt numerator over a power of ten; a converted
// amount is rounded half-to-even to the target currency's minor unit. No float ever
// touches money.

export class FxError extends Error {
  override name = 'FxError';
}

/** An exact positive decimal: value = units / 10^scale. */
export interface Rate {
  units: bigint;
  scale: number;
}

const DECIMAL = /^(?:0|[1-9]\d{0,11})(?:\.(\d{1,12}))?$/;

/** "1.0834" → exact rate; refuses zero, negatives, exponents and more than 12 decimals. */
export function parseRate(text: string): Rate {
  const match = DECIMAL.exec(text);
  if (!match) throw new FxError(`"${text}" is not a decimal rate (digits, an optional point and up to 12 decimals)`);
  const fraction = match[1] ?? '';
  const units = BigInt(text.replace('.', ''));
  if (units === 0n) throw new FxError('a rate must be greater than zero');
  return { units, scale: fraction.length };
}

/** The rate as its shortest exact decimal string ("1.50" → "1.5"). */
export function formatRate(rate: Rate): string {
  if (rate.scale === 0) return rate.units.toString();
  const digits = rate.units.toString().padStart(rate.scale + 1, '0');
  const whole = digits.slice(0, digits.length - rate.scale);
  const fraction = digits.slice(digits.length - rate.scale).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

export const IDENTITY: Rate = { units: 1n, scale: 0 };

/** numerator / denominator rounded half-to-even (denominator > 0). */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new FxError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const twice = (n % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

const pow10 = (n: number) => 10n ** BigInt(n);

/**
 * `amount` minor units of `from` in `to`, at `rate` (1 from = rate to), rounded half-even
 * to `to`'s minor unit. Currencies with different minor units (JPY, BHD) are scaled exactly.
 */
export function convert(amount: number, from: string, to: string, rate: Rate): number {
  if (!Number.isSafeInteger(amount)) throw new FxError(`${amount} is not a whole number of minor units`);
  if (from === to && rate.units === pow10(rate.scale)) return amount;
  const fromDigits = minorDigits(from);
  const toDigits = minorDigits(to);
  // amount / 10^fromDigits * rate * 10^toDigits
  const numerator = BigInt(amount) * rate.units * pow10(toDigits);
  const denominator = pow10(rate.scale + fromDigits);
  const result = divideHalfEven(numerator, denominator);
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FxError('the converted amount leaves the safe range');
  }
  return Number(result);
}

/** The inverse of a rate (quote→base), exact to 12 decimals, rounded half-even. */
export function invert(rate: Rate): Rate {
  const scale = 12;
  const units = divideHalfEven(pow10(scale + rate.scale), rate.units);
  if (units === 0n) throw new FxError('the inverse rate rounds to zero');
  return { units, scale };
}

/**
 * Converts a group of amounts so that the converted parts add up to the converted total
 * (largest remainder): a balanced journal stays balanced in the settlement currency.
 */
export function convertParts(amounts: readonly number[], from: string, to: string, rate: Rate): number[] {
  const total = amounts.reduce((a, b) => a + b, 0);
  const target = convert(total, from, to, rate);
  if (amounts.length === 0) return [];
  const fromDigits = minorDigits(from);
  const toDigits = minorDigits(to);
  const denominator = pow10(rate.scale + fromDigits);
  const exact = amounts.map((a) => BigInt(a) * rate.units * pow10(toDigits));
  const floors = exact.map((e) => (e >= 0n ? e / denominator : -((-e + denominator - 1n) / denominator)));
  let remaining = BigInt(target) - floors.reduce((a, b) => a + b, 0n);
  const order = exact
    .map((e, i) => ({ i, remainder: e - floors[i]! * denominator }))
    .sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1));
  const result = [...floors];
  for (let k = 0; remaining !== 0n; k = (k + 1) % order.length) {
    const step = remaining > 0n ? 1n : -1n;
    result[order[k]!.i]! += step;
    remaining -= step;
  }
  return result.map(Number);
}
