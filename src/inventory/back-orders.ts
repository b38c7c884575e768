import type { Client } from '@temporalio/client';
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { inventoryLevels, orderItems, orders, warehouses } from '../db/schema';
import { reserveScope, warehousesInScope, type AllocationReach, type Shortage, type WarehouseSite } from '../domain/allocation';
import type { Address } from '../domain/order';
import { ordersToServe, unitsAhead, type WaitingOrder } from '../domain/backorder-queue';
import type { Priority } from '../domain/order-status';
import { orderWorkflowId, stockAvailable } from '../../workflows/order/messages';

// Waking back-ordered orders when their stock arrives (R1.8, R2.4): the waiting orders
// are served urgent, high, normal, low, then oldest first, only as far as the stock goes
// (src/domain/backorder-queue.ts): a receipt of one unit wakes the one order it serves,
// not every order waiting. A woken order reserves in its own workflow; an order that
// tries again on its own leaves the units the orders ahead of it wait for. Each waiting
// order reaches only the warehouses its own RESERVE may take its stock from (the reach it
// ran with and any warehouse its customer agreed a transfer from, orders.reserve_scope;
// for orders back-ordered before that was kept, the configured ORDERFLOW_ALLOCATION_REACH),
// from its delivery address, so stock is counted per
// warehouse: a receipt abroad wakes the orders that can take it, and an order competes
// only with the orders ahead of it that want the same warehouses.

export interface BackorderDeps {
  db: Db;
  client: Client;
  log: (message: string) => void;
  /** The configured reach of RESERVE (ORDERFLOW_ALLOCATION_REACH; absent: anywhere), for orders stored without their own. */
  reach?: AllocationReach;
}

type Destination = Pick<Address, 'country' | 'region'>;

async function sitesOf(db: Db | Tx): Promise<WarehouseSite[]> {
  return db.select({ code: warehouses.code, region: warehouses.region, country: warehouses.country }).from(warehouses);
}

/**
 * The back-ordered orders (and partial deliveries' rests) waiting for these SKUs, with the
 * units of each they need, and the warehouses their reach is judged against. Nobody
 * waiting (the usual case, read by every reservation) costs no more reads.
 */
async function waitingFor(
  db: Db | Tx,
  skus: readonly string[],
  configured: AllocationReach | undefined,
): Promise<{ bySku: Map<string, WaitingOrder[]>; sites: readonly WarehouseSite[] } | undefined> {
  const rows = await db
    .select({
      orderId: orders.id,
      priority: orders.priority,
      placedAt: orders.createdAt,
      customer: orders.customer,
      scope: orders.reserveScope,
      sku: orderItems.sku,
      quantity: sql<number>`sum(${orderItems.quantity})::int`,
    })
    .from(orders)
    .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(and(eq(orders.status, 'backordered'), inArray(orderItems.sku, [...skus])))
    .groupBy(orders.id, orders.priority, orders.createdAt, orders.customer, orders.reserveScope, orderItems.sku);
  // A partial delivery's rest waits in the same queue, for the units it still needs.
  const rests = await db
    .select({ orderId: orders.id, priority: orders.priority, placedAt: orders.createdAt, customer: orders.customer, scope: orders.reserveScope, rest: orders.backOrderedRest })
    .from(orders)
    .where(and(isNotNull(orders.backOrderedRest), sql`${orders.status} <> 'cancelled'`));
  for (const r of rests) {
    const need = new Map<string, number>();
    for (const l of r.rest?.lines ?? []) if (skus.includes(l.sku)) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
    for (const [sku, quantity] of need) rows.push({ orderId: r.orderId, priority: r.priority, placedAt: r.placedAt, customer: r.customer, scope: r.scope, sku, quantity });
  }
  if (rows.length === 0) return undefined;
  const sites = await sitesOf(db);
  const bySku = new Map<string, WaitingOrder[]>();
  for (const r of rows) {
    const list = bySku.get(r.sku) ?? [];
    list.push({
      orderId: r.orderId,
      priority: r.priority as Priority,
      placedAt: r.placedAt.getTime(),
      quantity: Number(r.quantity),
      reach: warehousesInScope(sites, r.customer.address, r.scope, configured),
    });
    bySku.set(r.sku, list);
  }
  return { bySku, sites };
}

/** Available units of each SKU per warehouse. */
async function availableOf(db: Db | Tx, skus: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const rows = await db
    .select({ sku: inventoryLevels.sku, warehouseCode: inventoryLevels.warehouseCode, onHand: inventoryLevels.onHand, reserved: inventoryLevels.reserved })
    .from(inventoryLevels)
    .where(inArray(inventoryLevels.sku, [...skus]));
  const bySku = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const levels = bySku.get(r.sku) ?? new Map<string, number>();
    levels.set(r.warehouseCode, Math.max(0, r.onHand - r.reserved));
    bySku.set(r.sku, levels);
  }
  return bySku;
}

/** Tells the back-ordered orders this SKU's available stock within their reach serves, by priority and age; a failed signal is logged, not thrown. */
export async function wakeBackorders(deps: BackorderDeps, sku: string): Promise<string[]> {
  const waiting = (await waitingFor(deps.db, [sku], deps.reach))?.bySku.get(sku) ?? [];
  if (waiting.length === 0) return [];
  const available = (await availableOf(deps.db, [sku])).get(sku) ?? new Map<string, number>();
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

/** Where an order about to reserve may take from, and the reach the waiting orders have. */
export interface QueueScope {
  /** This order's reach (absent: anywhere) and the warehouses its customer agreed to a transfer from. */
  reach?: AllocationReach;
  alsoFrom?: readonly string[];
  /** The configured reach, for waiting orders stored without their own (absent: this order's). */
  queueReach?: AllocationReach;
}

/**
 * For an order about to reserve (a new one, or a back-ordered one trying again): the
 * SKUs it may not take because orders ahead of it in the queue, competing for the same
 * warehouses, wait for those units (their `available` is what is left for it within its
 * reach). Empty when it may go ahead.
 */
export async function queuedShortages(
  tx: Tx,
  order: { id: string; priority: string; createdAt: Date; customer: { address: Destination } },
  lines: readonly { sku: string; quantity: number }[],
  scope: QueueScope = {},
): Promise<Shortage[]> {
  const need = new Map<string, number>();
  for (const l of lines) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
  const skus = [...need.keys()];
  // Nobody waits for these SKUs: there is nothing to leave to anyone (RESERVE's own
  // allocation finds any shortage of stock within reach).
  const queue = await waitingFor(tx, skus, scope.queueReach ?? scope.reach);
  if (!queue) return [];
  const { bySku: waiting, sites } = queue;
  const available = await availableOf(tx, skus);
  const reach = warehousesInScope(sites, order.customer.address, reserveScope(scope.reach, scope.alsoFrom));
  const shortages: Shortage[] = [];
  for (const [sku, requested] of need) {
    const me: WaitingOrder = { orderId: order.id, priority: order.priority as Priority, placedAt: order.createdAt.getTime(), quantity: requested, reach };
    const inReach = reach.reduce((n, code) => n + (available.get(sku)?.get(code) ?? 0), 0);
    const left = Math.max(0, inReach - unitsAhead(waiting.get(sku) ?? [], me));
    if (left < requested) shortages.push({ sku, requested, available: left });
  }
  return shortages;
}
