import type { AllocationReach, LineRequest, Shortage, StockPosition, WarehouseSite } from './allocation';
import { distanceRank, withinReach } from './allocation';

// R1.8: what a customer may choose when stock cannot cover the order. Only options that
// can really be carried out are offered, each with its consequence in words and
// figures; an answer that is not on offer is refused, naming those that are.

export const STOCKOUT_DECISIONS = ['wait', 'transfer', 'substitute', 'partial', 'cancel'] as const;
export type StockoutDecisionKind = (typeof STOCKOUT_DECISIONS)[number];

export interface Money {
  amount: number;
  currency: string;
}

export interface SubstituteOffer {
  /** The short SKU it stands in for. */
  forSku: string;
  sku: string;
  name: string;
  /** What the substitute costs more (positive) or less (negative) for the line's quantity. */
  priceDifference: Money;
}

export interface TransferOffer {
  fromWarehouse: string;
  /** Days the move between regions adds to the delivery. */
  addedDays: number;
}

export type StockoutOption =
  | { decision: 'wait'; consequence: string; eta: string }
  | ({ decision: 'transfer'; consequence: string } & TransferOffer)
  | { decision: 'substitute'; consequence: string; substitutes: SubstituteOffer[] }
  | ({ decision: 'partial'; consequence: string; eta: string } & PartialSplit)
  | { decision: 'cancel'; consequence: string; refund?: Money };

/** Days a transfer adds: within the country, two; from abroad, five. */
export const TRANSFER_DAYS = [0, 2, 5] as const;

/**
 * A warehouse beyond RESERVE's reach (another region) that alone holds enough of every
 * short SKU to cover the order's shortfall (what is requested beyond what the allocation
 * could count within its reach), nearest first. None when the reach is `anywhere`: the
 * allocation already counted every warehouse's stock, so no transfer can cover more.
 */
export function transferOffer(
  shortages: readonly Shortage[],
  stock: readonly StockPosition[],
  sites: readonly WarehouseSite[],
  destination: { country: string; region: string },
  reach: AllocationReach = 'region',
): TransferOffer | undefined {
  if (shortages.length === 0) return undefined;
  const candidates = sites
    .filter((s) => !withinReach(s, destination, reach))
    .sort((a, b) => distanceRank(a, destination) - distanceRank(b, destination) || a.code.localeCompare(b.code));
  const at = (sku: string, code: string) =>
    stock.filter((p) => p.sku === sku && p.warehouseCode === code).reduce((n, p) => n + Math.max(0, p.available), 0);
  const site = candidates.find((s) => shortages.every((sh) => at(sh.sku, s.code) >= sh.requested - sh.available));
  return site ? { fromWarehouse: site.code, addedDays: TRANSFER_DAYS[distanceRank(site, destination)] ?? 5 } : undefined;
}

export interface SubstituteCandidate {
  forSku: string;
  sku: string;
  name: string;
  unitPrice: number;
  currency: string;
  /** Available across every warehouse. */
  available: number;
}

/**
 * Substitutes that cover a short line whole. Offered only when one SKU is short: one
 * substitution then settles the order, and the answer names a single substitute SKU.
 */
export function substituteOffers(
  shortages: readonly Shortage[],
  lines: readonly { sku: string; quantity: number; unitPrice: number; currency: string }[],
  candidates: readonly SubstituteCandidate[],
): SubstituteOffer[] {
  if (shortages.length !== 1) return [];
  const short = shortages[0]!;
  const line = lines.find((l) => l.sku === short.sku);
  if (!line) return [];
  return candidates
    .filter((c) => c.forSku === short.sku && c.sku !== short.sku && c.currency === line.currency && c.available >= short.requested)
    .map((c) => ({
      forSku: short.sku,
      sku: c.sku,
      name: c.name,
      priceDifference: { amount: (c.unitPrice - line.unitPrice) * short.requested, currency: line.currency },
    }));
}

export interface PartialSplit {
  /** What ships now: the units available, line by line. */
  now: LineRequest[];
  /** What is back-ordered and ships when it comes. */
  later: LineRequest[];
}

/**
 * Ship what is there now, the rest when it comes: each short SKU's available units go to
 * its lines in line order; SKUs not short ship whole. Undefined unless some, and not all,
 * of the order can ship now.
 */
export function partialSplit(lines: readonly LineRequest[], shortages: readonly Shortage[]): PartialSplit | undefined {
  const left = new Map(shortages.map((s) => [s.sku, Math.max(0, Math.min(s.available, s.requested))]));
  const now: LineRequest[] = [];
  const later: LineRequest[] = [];
  for (const line of [...lines].sort((a, b) => a.line - b.line)) {
    const available = left.has(line.sku) ? left.get(line.sku)! : line.quantity;
    const take = Math.min(line.quantity, available);
    if (left.has(line.sku)) left.set(line.sku, available - take);
    if (take > 0) now.push({ ...line, quantity: take });
    if (take < line.quantity) later.push({ ...line, quantity: line.quantity - take });
  }
  return now.length > 0 && later.length > 0 ? { now, later } : undefined;
}

const units = (lines: readonly LineRequest[]) => lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');

export interface StockoutFacts {
  shortages: readonly Shortage[];
  /** The latest replenishment ETA of the short SKUs (YYYY-MM-DD). */
  eta: string;
  transfer?: TransferOffer;
  substitutes: readonly SubstituteOffer[];
  /** What could ship now and what later (partialSplit), when some of the order is there. */
  partial?: PartialSplit;
  /** Paid so far: a cancellation refunds it. */
  paid: Money;
}

/** The options on offer, each with its consequence. Waiting and cancelling are always possible. */
export function stockoutOptions(facts: StockoutFacts): StockoutOption[] {
  const options: StockoutOption[] = [
    { decision: 'wait', eta: facts.eta, consequence: `the order is back-ordered and ships when stock arrives, expected by ${facts.eta}` },
  ];
  if (facts.transfer) {
    const { fromWarehouse, addedDays } = facts.transfer;
    options.push({
      decision: 'transfer',
      fromWarehouse,
      addedDays,
      consequence: `the goods come from ${fromWarehouse} in another region; delivery takes about ${addedDays} more days`,
    });
  }
  if (facts.substitutes.length > 0) {
    options.push({
      decision: 'substitute',
      substitutes: [...facts.substitutes],
      consequence: `the short item is replaced by the substitute you name (substituteSku) at the price you agreed; the price difference of each is shown`,
    });
  }
  if (facts.partial) {
    const { now, later } = facts.partial;
    options.push({
      decision: 'partial',
      now: now.map((l) => ({ ...l })),
      later: later.map((l) => ({ ...l })),
      eta: facts.eta,
      consequence: `ships now: ${units(now)}; the rest (${units(later)}) is back-ordered and ships when it arrives, expected by ${facts.eta}; the order's total does not change`,
    });
  }
  const refund = facts.paid.amount > 0 ? facts.paid : undefined;
  options.push({
    decision: 'cancel',
    ...(refund ? { refund } : {}),
    consequence: refund ? `the order is cancelled and ${refund.amount} ${refund.currency} (minor units) paid is refunded` : 'the order is cancelled; nothing was paid',
  });
  return options;
}

/** The decision applied when the customer does not answer within the window: the configured one if on offer, else cancel. */
export function defaultDecision(options: readonly StockoutOption[], configured: 'wait' | 'cancel' | undefined): 'wait' | 'cancel' {
  return configured && options.some((o) => o.decision === configured) ? configured : 'cancel';
}
