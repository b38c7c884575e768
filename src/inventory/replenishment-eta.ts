import type { Db, Tx } from '../db/client';
import { openReplenishmentEta } from './replenishment-status';

// When a short SKU is expected back on the shelf, for the `wait` option of a stockout
// (R1.8): the earliest open purchase order or transfer on its way (named as the source),
// else the configured default restock lead time from now.

export interface ReplenishmentEta {
  /** YYYY-MM-DD (UTC). */
  eta: string;
  /** Where the date comes from: `default` (the configured lead time) or what promised it. */
  source: 'default' | string;
}

export const DEFAULT_RESTOCK_LEAD_TIME_MS = 7 * 86_400_000;

export async function replenishmentEta(
  db: Db | Tx,
  sku: string,
  warehouse?: string,
  options: { leadTimeMs?: number; now?: Date } = {},
): Promise<ReplenishmentEta> {
  const inbound = await openReplenishmentEta(db, sku, warehouse);
  if (inbound) return { eta: inbound.expectedAt.toISOString().slice(0, 10), source: `${inbound.kind}:${inbound.id}` };
  const now = options.now ?? new Date();
  const eta = new Date(now.getTime() + (options.leadTimeMs ?? DEFAULT_RESTOCK_LEAD_TIME_MS));
  return { eta: eta.toISOString().slice(0, 10), source: 'default' };
}
