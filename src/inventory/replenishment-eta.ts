import type { Db, Tx } from '../db/client';

// When a short SKU is expected back on the shelf, for the `wait` option of a stockout
// (R1.8). Today: the configured default restock lead time from now. The replenishment
// work (issue 9) reads open purchase orders and transfers here instead, naming them
// as the source.

export interface ReplenishmentEta {
  /** YYYY-MM-DD (UTC). */
  eta: string;
  /** Where the date comes from: `default` (the configured lead time) or what promised it. */
  source: 'default' | string;
}

export const DEFAULT_RESTOCK_LEAD_TIME_MS = 7 * 86_400_000;

export async function replenishmentEta(
  _db: Db | Tx,
  _sku: string,
  _warehouse?: string,
  options: { leadTimeMs?: number; now?: Date } = {},
): Promise<ReplenishmentEta> {
  const now = options.now ?? new Date();
  const eta = new Date(now.getTime() + (options.leadTimeMs ?? DEFAULT_RESTOCK_LEAD_TIME_MS));
  return { eta: eta.toISOString().slice(0, 10), source: 'default' };
}
