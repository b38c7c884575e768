// Money is an integer count of the currency's minor unit (cents, fen, …) beside its
// ISO 4217 code. Arithmetic stays in integers and refuses to leave the safe range.

export interface Money {
  amount: number;
  currency: string;
}

export class MoneyError extends Error {
  override name = 'MoneyError';
}

function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount)) throw new MoneyError(`${amount} is not a whole number of minor units`);
}

export function multiply(unitAmount: number, quantity: number): number {
  assertMinorUnits(unitAmount);
  if (!Number.isSafeInteger(quantity)) throw new MoneyError(`${quantity} is not a whole quantity`);
  const total = unitAmount * quantity;
  assertMinorUnits(total);
  return total;
}

export function sum(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) {
    assertMinorUnits(amount);
    total += amount;
    assertMinorUnits(total);
  }
  return total;
}

/** Digits after the decimal point for the currencies we are likely to meet; 2 otherwise. */
const MINOR_DIGITS: Record<string, number> = { JPY: 0, KRW: 0, TWD: 2, CNY: 2, HKD: 2, BHD: 3, KWD: 3 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

/** "EUR 12.30": for people (notifications, packing slips), never for arithmetic. */
export function formatMoney({ amount, currency }: Money): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  if (digits === 0) return `${currency} ${sign}${abs}`;
  const unit = 10 ** digits;
  const whole = Math.floor(abs / unit);
  const fraction = String(abs % unit).padStart(digits, '0');
  return `${currency} ${sign}${whole}.${fraction}`;
}
