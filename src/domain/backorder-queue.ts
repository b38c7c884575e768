import type { Priority } from './order-status';

// R1.8/R2.4: who gets arriving stock. Waiting orders are served urgent, high, normal,
// low, then oldest first; stock goes to them in that order only as far as it goes, so
// a receipt of three units wakes the orders three units can serve and no more (no
// thundering herd), and a lower-priority order never jumps one it would starve.
//
// Stock is per warehouse and an order may take only from the warehouses within its
// reach (RESERVE's ORDERFLOW_ALLOCATION_REACH): a receipt in Rotterdam serves the Dutch
// order that can take it, not the German one ahead of it that cannot. Orders compete
// only where their reaches meet.

export const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

export interface WaitingOrder {
  orderId: string;
  priority: Priority;
  /** When the order was placed (epoch ms): the older is served first within a priority. */
  placedAt: number;
  /** Units of the arriving SKU the order needs. */
  quantity: number;
  /** The warehouses it may take from, nearest first; absent: every warehouse (reach `anywhere`). */
  reach?: readonly string[];
}

/** Available units of the SKU per warehouse code; a bare number is one pool every order reaches. */
export type Availability = number | ReadonlyMap<string, number>;

/** The one warehouse of a bare-number availability. */
const ONE_POOL = '*';

function perWarehouse(available: Availability): Map<string, number> {
  const entries = typeof available === 'number' ? [[ONE_POOL, available] as const] : [...available];
  return new Map(entries.map(([code, n]) => [code, Math.max(0, n)]));
}

/** Serving order: priority first, then age, then id (so the order is total and stable). */
export function servingOrder(a: WaitingOrder, b: WaitingOrder): number {
  return (
    (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
    a.placedAt - b.placedAt ||
    (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0)
  );
}

/** Whether two orders compete for stock: their reaches share a warehouse (an absent reach is every warehouse). */
export function competes(a: WaitingOrder, b: WaitingOrder): boolean {
  if (!a.reach || !b.reach) return (a.reach ?? b.reach)?.length !== 0;
  const theirs = new Set(b.reach);
  return a.reach.some((code) => theirs.has(code));
}

/**
 * The waiting orders the available stock serves, in serving order. Each in turn: an
 * order that competes with one already left waiting waits too; otherwise, when the
 * stock within its reach covers it, it is served and takes it (from the nearest
 * warehouse that holds it all, else nearest first, as RESERVE would); when not, it
 * waits and its warehouses are kept for it — no order behind it may take from them,
 * or a small low-priority order would take what an urgent one waits for. With one
 * shared pool this is the longest prefix of the queue whose needs fit; orders whose
 * reaches do not meet are served independently.
 */
export function ordersToServe(waiting: readonly WaitingOrder[], available: Availability): WaitingOrder[] {
  const left = perWarehouse(available);
  const everywhere = [...left.keys()];
  const blocked = new Set<string>();
  const served: WaitingOrder[] = [];
  for (const order of [...waiting].sort(servingOrder)) {
    const reach = [...new Set(order.reach ?? everywhere)];
    const inReach = reach.reduce((n, code) => n + (left.get(code) ?? 0), 0);
    if (reach.some((code) => blocked.has(code)) || order.quantity > inReach) {
      for (const code of reach) blocked.add(code);
      continue;
    }
    served.push(order);
    const whole = reach.find((code) => (left.get(code) ?? 0) >= order.quantity);
    let needed = order.quantity;
    for (const code of whole ? [whole] : reach) {
      const take = Math.min(needed, left.get(code) ?? 0);
      left.set(code, (left.get(code) ?? 0) - take);
      needed -= take;
    }
  }
  return served;
}

/**
 * Units of the SKU that orders ahead of `me` in the queue, competing with it (their
 * reach shares a warehouse with its reach), wait for: a back-ordered order trying again
 * (woken, or on its own recheck) or a new order leaves those to them, so nobody jumps
 * the queue. Orders ahead that cannot take from any warehouse `me` can use are not
 * counted: what they wait for is stock `me` could not reserve anyway.
 */
export function unitsAhead(waiting: readonly WaitingOrder[], me: WaitingOrder): number {
  return waiting
    .filter((w) => w.orderId !== me.orderId && servingOrder(w, me) < 0 && competes(w, me))
    .reduce((n, w) => n + w.quantity, 0);
}
