import type { Client } from '@temporalio/client';
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { inventoryLevels, orderItems, orders } from '../db/schema';
import type { Shortage } from '../domain/allocation';
import { ordersToServe, unitsAhead, type WaitingOrder } from '../domain/backorder-queue';
import type { Priority } from '../domain/order-status';
import { orderWorkflowId, stockAvailable } from '../../workflows/order/messages';

// Waking back-ordered orders when their stock arrives (R1.8, R2.4): the waiting orders
// are served urgent, high, normal, low, then oldest first, only as far as the stock goes
// (src/domain/backorder-queue.ts): a receipt of one unit wakes the one order it serves,
// not every order waiting. A woken order reserves in its own workflow; an order that
// tries again on its own leaves the units the orders ahead of it wait for.

export interface BackorderDeps {
  db: Db;
  client: Client;
  log: (message: string) => void;
}

/** The back-ordered orders (and partial deliveries' rests) waiting for these SKUs, with the units of each they need. */
async function waitingFor(db: Db | Tx, skus: readonly string[]): Promise<Map<string, WaitingOrder[]>> {
  const rows = await db
    .select({
      orderId: orders.id,
      priority: orders.priority,
      placedAt: orders.createdAt,
      sku: orderItems.sku,
      quantity: sql<number>`sum(${orderItems.quantity})::int`,
    })
    .from(orders)
    .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(and(eq(orders.status, 'backordered'), inArray(orderItems.sku, [...skus])))
    .groupBy(orders.id, orders.priority, orders.createdAt, orderItems.sku);
  // A partial delivery's rest waits in the same queue, for the units it still needs.
  const rests = await db
    .select({ orderId: orders.id, priority: orders.priority, placedAt: orders.createdAt, rest: orders.backOrderedRest })
    .from(orders)
    .where(and(isNotNull(orders.backOrderedRest), sql`${orders.status} <> 'cancelled'`));
  for (const r of rests) {
    const need = new Map<string, number>();
    for (const l of r.rest?.lines ?? []) if (skus.includes(l.sku)) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
    for (const [sku, quantity] of need) rows.push({ orderId: r.orderId, priority: r.priority, placedAt: r.placedAt, sku, quantity });
  }
  const bySku = new Map<string, WaitingOrder[]>();
  for (const r of rows) {
    const list = bySku.get(r.sku) ?? [];
    list.push({ orderId: r.orderId, priority: r.priority as Priority, placedAt: r.placedAt.getTime(), quantity: Number(r.quantity) });
    bySku.set(r.sku, list);
  }
  return bySku;
}

/** Available units of each SKU, every warehouse together. */
async function availableOf(db: Db | Tx, skus: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .select({ sku: inventoryLevels.sku, available: sql<number>`coalesce(sum(${inventoryLevels.onHand} - ${inventoryLevels.reserved}), 0)::int` })
    .from(inventoryLevels)
    .where(inArray(inventoryLevels.sku, [...skus]))
    .groupBy(inventoryLevels.sku);
  return new Map(rows.map((r) => [r.sku, Number(r.available)]));
}

/** Tells the back-ordered orders this SKU's available stock serves, by priority and age; a failed signal is logged, not thrown. */
export async function wakeBackorders(deps: BackorderDeps, sku: string): Promise<string[]> {
  const waiting = (await waitingFor(deps.db, [sku])).get(sku) ?? [];
  const available = (await availableOf(deps.db, [sku])).get(sku) ?? 0;
  const served = ordersToServe(waiting, available);
  await Promise.allSettled(
    served.map((o) =>
      deps.client.workflow
        .getHandle(orderWorkflowId(o.orderId))
        .signal(stockAvailable, { skus: [sku] })
        .catch((err: unknown) => deps.log(`could not tell order ${o.orderId} that ${sku} arrived: ${String(err)}`)),
    ),
  );
  return served.map((o) => o.orderId);
}

/**
 * For a back-ordered order about to reserve again: the SKUs it may not take because
 * orders ahead of it in the queue wait for those units (their `available` is what is
 * left for it). Empty when it may go ahead.
 */
export async function queuedShortages(
  tx: Tx,
  order: { id: string; priority: string; createdAt: Date },
  lines: readonly { sku: string; quantity: number }[],
): Promise<Shortage[]> {
  const need = new Map<string, number>();
  for (const l of lines) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
  const skus = [...need.keys()];
  const waiting = await waitingFor(tx, skus);
  const available = await availableOf(tx, skus);
  const shortages: Shortage[] = [];
  for (const [sku, requested] of need) {
    const me: WaitingOrder = { orderId: order.id, priority: order.priority as Priority, placedAt: order.createdAt.getTime(), quantity: requested };
    const left = Math.max(0, (available.get(sku) ?? 0) - unitsAhead(waiting.get(sku) ?? [], me));
    if (left < requested) shortages.push({ sku, requested, available: left });
  }
  return shortages;
}
