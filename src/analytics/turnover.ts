// Inventory turnover and days of inventory (R2.8): pure arithmetic over what the stock
// ledger says, so the figures can be checked by hand.
//
// For one SKU over a window of D whole days (UTC, both ends included):
//   on hand at the end of day i   = opening + Σ on-hand deltas of days 0 … i
//   average units                 = (1/D) Σ_i on hand at the end of day i
//   average inventory value       = average units × unit cost
//   cost of goods sold (COGS)     = units shipped in the window × unit cost
//   turnover                      = COGS ÷ average inventory value     (null if that is 0)
//   days of inventory             = D ÷ turnover = D × average value ÷ COGS  (null if COGS is 0)
// Overall figures add COGS and average values of the SKUs sharing a currency (money is
// never added across currencies) and apply the same two ratios. Money stays in minor
// units; averages can fall between two minor units and are rounded half up only when
// reported, never before a ratio.

export interface SkuLedger {
  sku: string;
  currency: string;
  /** Minor units per unit. */
  unitCost: number;
  /** Units on hand (all warehouses) before the window's first day. */
  opening: number;
  /** Net on-hand change on each day of the window, day 0 first; length = days in the window. */
  dailyDeltas: readonly number[];
  /** Units shipped to customers within the window. */
  shippedUnits: number;
}

export interface TurnoverFigures {
  cogs: number;
  averageInventoryValue: number;
  turnover: number | null;
  daysOfInventory: number | null;
}

export interface SkuTurnover extends TurnoverFigures {
  sku: string;
  currency: string;
  unitCost: number;
  shippedUnits: number;
  openingUnits: number;
  closingUnits: number;
  averageUnits: number;
}

/** End-of-day on-hand levels over the window. */
export function dailyLevels(opening: number, dailyDeltas: readonly number[]): number[] {
  let level = opening;
  return dailyDeltas.map((d) => (level += d));
}

export function ratios(cogs: number, averageInventoryValue: number, days: number): TurnoverFigures {
  return {
    cogs,
    averageInventoryValue,
    turnover: averageInventoryValue > 0 ? cogs / averageInventoryValue : null,
    daysOfInventory: cogs > 0 ? (days * averageInventoryValue) / cogs : null,
  };
}

export function skuTurnover(ledger: SkuLedger): SkuTurnover {
  const days = ledger.dailyDeltas.length;
  if (days === 0) throw new RangeError('a window of at least one day');
  const levels = dailyLevels(ledger.opening, ledger.dailyDeltas);
  const averageUnits = levels.reduce((a, b) => a + b, 0) / days;
  return {
    sku: ledger.sku,
    currency: ledger.currency,
    unitCost: ledger.unitCost,
    shippedUnits: ledger.shippedUnits,
    openingUnits: ledger.opening,
    closingUnits: levels[levels.length - 1]!,
    averageUnits,
    ...ratios(ledger.shippedUnits * ledger.unitCost, averageUnits * ledger.unitCost, days),
  };
}

export interface TurnoverReport {
  days: number;
  skus: SkuTurnover[];
  /** One entry per currency, by currency code. */
  overall: (TurnoverFigures & { currency: string })[];
}

export function turnoverReport(ledgers: readonly SkuLedger[], days: number): TurnoverReport {
  const skus = ledgers.map(skuTurnover);
  const byCurrency = new Map<string, { cogs: number; value: number }>();
  for (const s of skus) {
    const sum = byCurrency.get(s.currency) ?? { cogs: 0, value: 0 };
    sum.cogs += s.cogs;
    sum.value += s.averageInventoryValue;
    byCurrency.set(s.currency, sum);
  }
  const overall = [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, sum]) => ({ currency, ...ratios(sum.cogs, sum.value, days) }));
  return { days, skus, overall };
}
