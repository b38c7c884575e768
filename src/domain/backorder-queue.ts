import type { Priority } from './order-status';

// R1.8/R2.4: who gets arriving stock. Waiting orders are served urgent, high, normal,
// low, then oldest first; stock goes to them in that order only as far as it goes, so
// a receipt of three units wakes the orders three units can serve and no more (no
// thundering herd), and a lower-priority order never jumps one it would starve.

export const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

export interface WaitingOrder {
  orderId: string;
  priority: Priority;
  /** When the order was placed (epoch ms): the older is served first within a priority. */
  placedAt: number;
  /** Units of the arriving SKU the order needs. */
  quantity: number;
}

/** Serving order: priority first, then age, then id (so the order is total and stable). */
export function servingOrder(a: WaitingOrder, b: WaitingOrder): number {
  return (
    (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
    a.placedAt - b.placedAt ||
    (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0)
  );
}

/**
 * The waiting orders `available` units serve, in serving order: the longest prefix of
 * the queue whose needs fit. It stops at the first order that does not fit rather than
 * skipping it, or a small low-priority order would take what an urgent one waits for.
 */
export function ordersToServe(waiting: readonly WaitingOrder[], available: number): WaitingOrder[] {
  const served: WaitingOrder[] = [];
  let left = Math.max(0, available);
  for (const order of [...waiting].sort(servingOrder)) {
    if (order.quantity > left) break;
    served.push(order);
    left -= order.quantity;
  }
  return served;
}

/**
 * Units of the SKU that orders ahead of `me` in the queue wait for: a back-ordered order
 * trying again (woken, or on its own recheck) leaves those to them, so a recheck never
 * lets a lower-priority order jump the queue.
 */
export function unitsAhead(waiting: readonly WaitingOrder[], me: WaitingOrder): number {
  return waiting.filter((w) => w.orderId !== me.orderId && servingOrder(w, me) < 0).reduce((n, w) => n + w.quantity, 0);
}
