// RESERVE (R2.1, R2.3): which warehouse gives which order line its stock. Pure: the
// caller reads stock levels and then reserves each allocation with a conditional update,
// so a stale read can never oversell — at worst the reservation is re-planned.

export interface StockPosition {
  sku: string;
  warehouseCode: string;
  /** on hand minus reserved */
  available: number;
}

export interface WarehouseSite {
  code: string;
  region: string;
  country: string;
}

export interface LineRequest {
  line: number;
  sku: string;
  quantity: number;
}

export interface Allocation {
  line: number;
  sku: string;
  warehouseCode: string;
  quantity: number;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

export type AllocationPlan =
  | { ok: true; allocations: Allocation[]; warehouses: string[]; reasons: string[] }
  | { ok: false; shortages: Shortage[] };

/** 0 = same region, 1 = same country, 2 = abroad: nearer warehouses ship faster and cheaper. */
export function distanceRank(site: WarehouseSite, destination: { country: string; region: string }): number {
  if (site.country.toUpperCase() !== destination.country.toUpperCase()) return 2;
  return site.region.toLowerCase() === destination.region.toLowerCase() ? 0 : 1;
}

/**
 * How far RESERVE reaches on its own for an order's stock: the customer's region, their
 * country, or anywhere. Stock beyond the reach is offered as a transfer on a stockout
 * (the customer agrees to the added days); within it, it is simply taken.
 */
export const ALLOCATION_REACHES = ['region', 'country', 'anywhere'] as const;
export type AllocationReach = (typeof ALLOCATION_REACHES)[number];

const REACH_RANK: Record<AllocationReach, number> = { region: 0, country: 1, anywhere: 2 };

/** Whether RESERVE takes stock from this warehouse without asking (absent reach: anywhere). */
export function withinReach(site: WarehouseSite, destination: { country: string; region: string }, reach: AllocationReach = 'anywhere'): boolean {
  return distanceRank(site, destination) <= REACH_RANK[reach];
}

/** Where RESERVE looked for an order's stock: its reach and the warehouses beyond it the customer agreed to a transfer from. */
export interface ReserveScope {
  reach: AllocationReach;
  alsoFrom?: string[];
}

/** The scope an order's RESERVE runs with (absent reach: anywhere), as stored on the order. */
export function reserveScope(reach: AllocationReach | undefined, alsoFrom: readonly string[] = []): ReserveScope {
  const agreed = [...new Set(alsoFrom)].sort();
  return { reach: reach ?? 'anywhere', ...(agreed.length > 0 ? { alsoFrom: agreed } : {}) };
}

/**
 * The warehouses an order may take from, nearest first (as RESERVE ranks them): those
 * within its scope's reach and those it agreed a transfer from. An order stored without
 * a scope (back-ordered before scopes were kept) has the configured reach.
 */
export function warehousesInScope(
  sites: readonly WarehouseSite[],
  destination: { country: string; region: string },
  scope: ReserveScope | null | undefined,
  configured?: AllocationReach,
): string[] {
  const reach = scope ? scope.reach : configured;
  const alsoFrom = scope?.alsoFrom ?? [];
  return sites
    .filter((s) => withinReach(s, destination, reach) || alsoFrom.includes(s.code))
    .sort((a, b) => distanceRank(a, destination) - distanceRank(b, destination) || a.code.localeCompare(b.code))
    .map((s) => s.code);
}

export function planAllocation(
  lines: readonly LineRequest[],
  stock: readonly StockPosition[],
  sites: readonly WarehouseSite[],
  destination: { country: string; region: string },
): AllocationPlan {
  const available = new Map<string, number>();
  const key = (sku: string, code: string) => `${sku}\u0000${code}`;
  for (const position of stock) {
    available.set(key(position.sku, position.warehouseCode), Math.max(0, position.available));
  }

  const requested = new Map<string, number>();
  for (const line of lines) requested.set(line.sku, (requested.get(line.sku) ?? 0) + line.quantity);
  const shortages: Shortage[] = [];
  for (const [sku, quantity] of requested) {
    const total = sites.reduce((n, site) => n + (available.get(key(sku, site.code)) ?? 0), 0);
    if (total < quantity) shortages.push({ sku, requested: quantity, available: total });
  }
  if (shortages.length > 0) return { ok: false, shortages };

  const ranked = [...sites].sort(
    (a, b) => distanceRank(a, destination) - distanceRank(b, destination) || a.code.localeCompare(b.code),
  );

  // One parcel from one warehouse is cheapest and easiest for the customer: take the
  // nearest warehouse that can fill the whole order on its own.
  const whole = ranked.find((site) =>
    [...requested].every(([sku, quantity]) => (available.get(key(sku, site.code)) ?? 0) >= quantity),
  );
  if (whole) {
    return {
      ok: true,
      allocations: lines.map((line) => ({ line: line.line, sku: line.sku, warehouseCode: whole.code, quantity: line.quantity })),
      warehouses: [whole.code],
      reasons: [`${whole.code} holds every item; nearest such warehouse (${describeRank(distanceRank(whole, destination))})`],
    };
  }

  // Otherwise fill each line from the nearest warehouses that still have stock, splitting
  // a line only when no single warehouse has enough.
  const allocations: Allocation[] = [];
  const left = new Map(available);
  for (const line of lines) {
    let needed = line.quantity;
    const single = ranked.find((site) => (left.get(key(line.sku, site.code)) ?? 0) >= needed);
    const sources = single ? [single] : ranked;
    for (const site of sources) {
      if (needed === 0) break;
      const k = key(line.sku, site.code);
      const take = Math.min(needed, left.get(k) ?? 0);
      if (take === 0) continue;
      left.set(k, (left.get(k) ?? 0) - take);
      allocations.push({ line: line.line, sku: line.sku, warehouseCode: site.code, quantity: take });
      needed -= take;
    }
  }
  const used = [...new Set(allocations.map((a) => a.warehouseCode))];
  return {
    ok: true,
    allocations,
    warehouses: used,
    reasons: [`no single warehouse holds every item; split across ${used.join(', ')}, nearest first`],
  };
}

function describeRank(rank: number): string {
  return ['same region as the customer', 'same country as the customer', 'ships from abroad'][rank] ?? 'unknown distance';
}
