// R5.5: how satisfied customers are, per carrier, region, channel or warehouse — the
// ratings they gave, whether deliveries kept their promised date and dispatches their
// planned ship date, and how long problems took to resolve. Pure: the rows come in, the
// figures go out, each figure with the orders behind it so any number can be traced.

export const SATISFACTION_GROUPINGS = ['carrier', 'region', 'channel', 'warehouse'] as const;
export type SatisfactionGrouping = (typeof SATISFACTION_GROUPINGS)[number];

export const RATING_DIMENSIONS = ['productQuality', 'serviceAttitude', 'deliveryPunctuality', 'resolutionEfficiency'] as const;
export type RatingDimension = (typeof RATING_DIMENSIONS)[number];

/** The group of a row that has no carrier or warehouse (an order nothing was shipped for). */
export const NO_GROUP = '(none)';

const DAY_MS = 86_400_000;

export interface OrderFacts {
  orderId: string;
  region: string;
  channel: string;
}

export interface ShipmentFacts {
  shipmentId: string;
  orderId: string;
  carrier: string;
  warehouse: string;
  /** The planned ship date, YYYY-MM-DD. */
  shipDate: string;
  handedOverAt: Date | null;
  /** The date the customer was promised, YYYY-MM-DD. */
  promisedDeliveryDate: string | null;
  deliveredAt: Date | null;
  /** lost, damaged, returned: ended without delivery (voided shipments are not passed in). */
  closedAs: string | null;
}

export type RatingFacts = { orderId: string } & Record<RatingDimension, number>;

export interface ProblemFacts {
  source: 'incident' | 'complaint';
  orderId: string;
  /** The shipments an incident concerns; empty for a complaint. */
  shipmentIds: readonly string[];
  /** The carrier an incident names, when its shipments are not known. */
  carrier?: string | null;
  openedAt: Date;
  resolvedAt: Date | null;
}

export interface SatisfactionFacts {
  orders: readonly OrderFacts[];
  shipments: readonly ShipmentFacts[];
  ratings: readonly RatingFacts[];
  problems: readonly ProblemFacts[];
}

export interface Rate {
  /** onTime / due, or null when nothing was due. */
  rate: number | null;
  onTime: number;
  due: number;
}

export interface Durations {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface SatisfactionGroup {
  key: string;
  /** Distinct orders behind any figure of the group. */
  orders: number;
  ratings: Record<RatingDimension, { mean: number | null; count: number }>;
  onTimeDelivery: Rate;
  dispatchOnTime: Rate;
  resolution: Durations & { unresolved: number; incidents: Durations; complaints: Durations };
}

/** The order ids behind each figure of a group. */
export interface SatisfactionTrace {
  ratings: string[];
  onTimeDelivery: { onTime: string[]; late: string[] };
  dispatchOnTime: { onTime: string[]; late: string[] };
  resolution: { resolved: string[]; unresolved: string[] };
}

// ---- The statistics, defined once ----

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The middle value; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest rank: the smallest value with at least p of all values at or below it (p90: p = 0.9). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export function rate(onTime: number, due: number): Rate {
  return { rate: due === 0 ? null : onTime / due, onTime, due };
}

const durations = (ms: readonly number[]): Durations => ({ count: ms.length, medianMs: median(ms), p90Ms: percentile(ms, 0.9) });

/** The end of a calendar day (UTC): "by the date" means before the next day begins. */
const endOfDay = (date: string) => Date.parse(`${date}T00:00:00Z`) + DAY_MS;

/** Whether a shipment kept its promised delivery date; undefined while the date has not yet passed undelivered. */
export function deliveredOnTime(s: ShipmentFacts, now: Date): boolean | undefined {
  if (!s.promisedDeliveryDate) return undefined;
  const deadline = endOfDay(s.promisedDeliveryDate);
  if (s.deliveredAt) return s.deliveredAt.getTime() < deadline;
  return now.getTime() >= deadline ? false : undefined;
}

/** Whether a shipment was handed to the carrier by its planned ship date; undefined while it still may be. */
export function dispatchedOnTime(s: ShipmentFacts, now: Date): boolean | undefined {
  const deadline = endOfDay(s.shipDate);
  if (s.handedOverAt) return s.handedOverAt.getTime() < deadline;
  // Closed before pickup without a handover: nothing was left to dispatch.
  if (s.closedAs) return undefined;
  return now.getTime() >= deadline ? false : undefined;
}

// ---- Grouping ----

interface Bucket {
  ratings: RatingFacts[];
  delivery: { onTime: string[]; late: string[] };
  dispatch: { onTime: string[]; late: string[] };
  resolved: { source: ProblemFacts['source']; orderId: string; ms: number }[];
  unresolved: string[];
}

/**
 * The figures per group. Region and channel are the order's; carrier and warehouse the
 * shipment's: a shipment counts for its own, an incident for those of the shipments it
 * concerns, and a rating or complaint for every carrier (warehouse) that shipped the
 * order — so an order shipped by two carriers is in both groups.
 */
export function satisfactionMetrics(facts: SatisfactionFacts, groupBy: SatisfactionGrouping, now: Date): { group: SatisfactionGroup; trace: SatisfactionTrace }[] {
  const orderOf = new Map(facts.orders.map((o) => [o.orderId, o]));
  const shipmentById = new Map(facts.shipments.map((s) => [s.shipmentId, s]));
  const shipmentsOf = new Map<string, ShipmentFacts[]>();
  for (const s of facts.shipments) shipmentsOf.set(s.orderId, [...(shipmentsOf.get(s.orderId) ?? []), s]);

  const shipmentKey = (s: ShipmentFacts) => (groupBy === 'carrier' ? s.carrier : s.warehouse);
  const distinct = (keys: string[]) => (keys.length === 0 ? [NO_GROUP] : [...new Set(keys)]);
  const orderKeys = (orderId: string): string[] => {
    const order = orderOf.get(orderId);
    if (groupBy === 'region' || groupBy === 'channel') return order ? [order[groupBy]] : [];
    return distinct((shipmentsOf.get(orderId) ?? []).map(shipmentKey));
  };
  const shipmentKeys = (s: ShipmentFacts) => (groupBy === 'region' || groupBy === 'channel' ? orderKeys(s.orderId) : [shipmentKey(s)]);
  const problemKeys = (p: ProblemFacts): string[] => {
    if (groupBy === 'region' || groupBy === 'channel') return orderKeys(p.orderId);
    const concerned = p.shipmentIds.map((id) => shipmentById.get(id)).filter((s): s is ShipmentFacts => s !== undefined);
    if (concerned.length > 0) return distinct(concerned.map(shipmentKey));
    if (groupBy === 'carrier' && p.carrier) return [p.carrier];
    return orderKeys(p.orderId);
  };

  const buckets = new Map<string, Bucket>();
  const bucket = (key: string) => {
    let b = buckets.get(key);
    if (!b) {
      b = { ratings: [], delivery: { onTime: [], late: [] }, dispatch: { onTime: [], late: [] }, resolved: [], unresolved: [] };
      buckets.set(key, b);
    }
    return b;
  };
  // Only rows of the orders in the window count: the orders are the population.
  const inWindow = (orderId: string) => orderOf.has(orderId);

  for (const r of facts.ratings) {
    if (!inWindow(r.orderId)) continue;
    for (const key of orderKeys(r.orderId)) bucket(key).ratings.push(r);
  }
  for (const s of facts.shipments) {
    if (!inWindow(s.orderId)) continue;
    const delivered = deliveredOnTime(s, now);
    const dispatched = dispatchedOnTime(s, now);
    for (const key of shipmentKeys(s)) {
      const b = bucket(key);
      if (delivered !== undefined) b.delivery[delivered ? 'onTime' : 'late'].push(s.orderId);
      if (dispatched !== undefined) b.dispatch[dispatched ? 'onTime' : 'late'].push(s.orderId);
    }
  }
  for (const p of facts.problems) {
    if (!inWindow(p.orderId)) continue;
    for (const key of problemKeys(p)) {
      const b = bucket(key);
      if (p.resolvedAt) b.resolved.push({ source: p.source, orderId: p.orderId, ms: Math.max(0, p.resolvedAt.getTime() - p.openedAt.getTime()) });
      else b.unresolved.push(p.orderId);
    }
  }

  return [...buckets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, b]) => {
      const trace: SatisfactionTrace = {
        ratings: unique(b.ratings.map((r) => r.orderId)),
        onTimeDelivery: { onTime: unique(b.delivery.onTime), late: unique(b.delivery.late) },
        dispatchOnTime: { onTime: unique(b.dispatch.onTime), late: unique(b.dispatch.late) },
        resolution: { resolved: unique(b.resolved.map((r) => r.orderId)), unresolved: unique(b.unresolved) },
      };
      const behind = [trace.ratings, trace.onTimeDelivery.onTime, trace.onTimeDelivery.late, trace.dispatchOnTime.onTime, trace.dispatchOnTime.late, trace.resolution.resolved, trace.resolution.unresolved];
      const ms = (source?: ProblemFacts['source']) => b.resolved.filter((r) => !source || r.source === source).map((r) => r.ms);
      const group: SatisfactionGroup = {
        key,
        orders: new Set(behind.flat()).size,
        ratings: Object.fromEntries(
          RATING_DIMENSIONS.map((d) => [d, { mean: mean(b.ratings.map((r) => r[d])), count: b.ratings.length }]),
        ) as SatisfactionGroup['ratings'],
        onTimeDelivery: rate(b.delivery.onTime.length, b.delivery.onTime.length + b.delivery.late.length),
        dispatchOnTime: rate(b.dispatch.onTime.length, b.dispatch.onTime.length + b.dispatch.late.length),
        resolution: { ...durations(ms()), unresolved: b.unresolved.length, incidents: durations(ms('incident')), complaints: durations(ms('complaint')) },
      };
      return { group, trace };
    });
}

const unique = (ids: readonly string[]) => [...new Set(ids)].sort();
