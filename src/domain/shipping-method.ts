import type { RateQuote } from './carrier-contract';
import type { Priority } from './order-status';
import { addDays } from './calendar';

// PLAN (R3.4, R3.5, R3.6, R4.1): which carrier and method carry a consignment. Safety
// first (a carrier with a poor record is never used), then the customer's date, then
// cost; urgent orders take the fastest safe option. The answer says why, and what else
// was on the table, so "why this carrier?" is answered from the order itself.

export interface CarrierPolicy {
  /** Lowest public rating a carrier may have (0–5). */
  minReputation: number;
  /** Highest share of damaged or lost shipments we accept (0–1). */
  maxDamageRate: number;
}

export const DEFAULT_CARRIER_POLICY: CarrierPolicy = { minReputation: 3.5, maxDamageRate: 0.02 };

export interface ShippingNeed {
  /** The day the consignment leaves the warehouse, YYYY-MM-DD. */
  shipDate: string;
  /** The day the customer needs it by, YYYY-MM-DD, when they said. */
  deliverBy?: string;
  priority: Priority;
}

export interface RejectedQuote {
  quote: RateQuote;
  reason: string;
}

export type ShippingChoice =
  | {
      ok: true;
      chosen: RateQuote;
      estimatedDelivery: string;
      meetsDeadline: boolean;
      reasons: string[];
      alternatives: RejectedQuote[];
    }
  | { ok: false; reasons: string[]; alternatives: RejectedQuote[] };

const label = (q: RateQuote) => `${q.carrier}/${q.service}`;

export function chooseShippingMethod(
  quotes: readonly RateQuote[],
  need: ShippingNeed,
  policy: CarrierPolicy = DEFAULT_CARRIER_POLICY,
): ShippingChoice {
  const alternatives: RejectedQuote[] = [];
  const safe: RateQuote[] = [];
  for (const quote of quotes) {
    if (quote.reputation < policy.minReputation) {
      alternatives.push({ quote, reason: `reputation ${quote.reputation} is below ${policy.minReputation}` });
    } else if (quote.damageRate > policy.maxDamageRate) {
      alternatives.push({ quote, reason: `damage/loss rate ${quote.damageRate} is above ${policy.maxDamageRate}` });
    } else {
      safe.push(quote);
    }
  }
  if (safe.length === 0) {
    return { ok: false, reasons: ['no carrier with a good safety record serves this lane'], alternatives };
  }

  const arrival = (q: RateQuote) => addDays(need.shipDate, q.transitDays);
  const onTime = need.deliverBy ? safe.filter((q) => arrival(q) <= need.deliverBy!) : safe;
  const reasons: string[] = [];
  let pool = onTime;
  if (onTime.length === 0) {
    reasons.push(`no safe option arrives by ${need.deliverBy}; taking the fastest`);
    pool = safe;
  }

  const cheapest = (a: RateQuote, b: RateQuote) =>
    a.amount - b.amount || a.transitDays - b.transitDays || b.onTimeRate - a.onTimeRate || label(a).localeCompare(label(b));
  const fastest = (a: RateQuote, b: RateQuote) =>
    a.transitDays - b.transitDays || a.amount - b.amount || b.onTimeRate - a.onTimeRate || label(a).localeCompare(label(b));
  const rushed = need.priority === 'urgent' || onTime.length === 0;
  const ranked = [...pool].sort(rushed ? fastest : cheapest);
  const chosen = ranked[0]!;

  if (need.priority === 'urgent') reasons.push('urgent order: fastest safe option');
  else if (onTime.length > 0) {
    reasons.push(need.deliverBy ? `cheapest safe option arriving by ${need.deliverBy}` : 'cheapest safe option');
  }
  reasons.push(
    `${label(chosen)}: ${chosen.transitDays} day(s), ${chosen.amount} ${chosen.currency}, on time ${Math.round(chosen.onTimeRate * 100)}%, rated ${chosen.reputation}`,
  );
  for (const quote of ranked.slice(1)) {
    alternatives.push({
      quote,
      reason: rushed
        ? `slower or dearer than ${label(chosen)}`
        : `dearer than ${label(chosen)} (${quote.amount} vs ${chosen.amount})`,
    });
  }
  for (const quote of safe) {
    if (!pool.includes(quote)) alternatives.push({ quote, reason: `arrives ${arrival(quote)}, after ${need.deliverBy}` });
  }
  return {
    ok: true,
    chosen,
    estimatedDelivery: arrival(chosen),
    meetsDeadline: need.deliverBy === undefined || arrival(chosen) <= need.deliverBy,
    reasons,
    alternatives,
  };
}
