// R6.1: collecting what an order is owed after SETTLE — a carrier's remittance of the cash
// it collected at the door (COD), or the customer's instalments. The windows travel in
// the order's settings (already scaled), like every other window an order lives by.

export const COLLECTED_METHODS = ['cash_on_delivery', 'instalments'] as const;
export type CollectedMethod = (typeof COLLECTED_METHODS)[number];

export interface CollectionSettings {
  /** How long a carrier has to remit the cash it collected; then it is reminded. */
  codRemittanceWindowMs: number;
  /** After the reminder, how long before an operator is flagged. */
  codRemittanceGraceMs: number;
  /** Instalments per order, unless the order says otherwise. */
  instalmentCount: number;
  /** Between instalments' due dates (the first is due one interval after SETTLE). */
  instalmentIntervalMs: number;
  /** Between an overdue instalment's first and second dunning notice, and the second and the flag. */
  dunningIntervalMs: number;
}

const DAY_MS = 86_400_000;

/** Unscaled defaults, for orders whose settings predate collection. */
export const DEFAULT_COLLECTION_SETTINGS: CollectionSettings = {
  codRemittanceWindowMs: 14 * DAY_MS,
  codRemittanceGraceMs: 7 * DAY_MS,
  instalmentCount: 3,
  instalmentIntervalMs: 30 * DAY_MS,
  dunningIntervalMs: 7 * DAY_MS,
};

export function isCollected(method: string): method is CollectedMethod {
  return (COLLECTED_METHODS as readonly string[]).includes(method);
}
