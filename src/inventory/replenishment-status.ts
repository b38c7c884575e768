import { and, asc, eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { purchaseOrders, stockTransfers } from '../db/schema';
import type { Inbound } from '../domain/replenishment';

// What is on its way to a warehouse: open purchase orders and transfers in transit. The
// replenishment plans around it (nothing ordered twice), and a stockout's `wait` option
// quotes its ETA.

/** Open purchase orders and transfers in transit of the SKU, to the warehouse (or anywhere), earliest first. */
export async function inboundOf(db: Db | Tx, sku: string, warehouse?: string): Promise<(Inbound & { warehouse: string })[]> {
  const pos = await db
    .select()
    .from(purchaseOrders)
    .where(and(eq(purchaseOrders.sku, sku), eq(purchaseOrders.status, 'open'), warehouse ? eq(purchaseOrders.warehouseCode, warehouse) : undefined))
    .orderBy(asc(purchaseOrders.expectedAt));
  const transfers = await db
    .select()
    .from(stockTransfers)
    .where(and(eq(stockTransfers.sku, sku), eq(stockTransfers.status, 'in_transit'), warehouse ? eq(stockTransfers.toWarehouse, warehouse) : undefined))
    .orderBy(asc(stockTransfers.expectedAt));
  return [
    ...pos.map((p) => ({ kind: 'purchase_order' as const, id: p.id, quantity: p.quantity, expectedAt: p.expectedAt.toISOString(), warehouse: p.warehouseCode })),
    ...transfers.map((t) => ({ kind: 'transfer' as const, id: t.id, quantity: t.quantity, expectedAt: t.expectedAt.toISOString(), warehouse: t.toWarehouse })),
  ].sort((a, b) => a.expectedAt.localeCompare(b.expectedAt));
}

export interface ReplenishmentEta {
  kind: Inbound['kind'];
  id: string;
  warehouse: string;
  quantity: number;
  expectedAt: Date;
}

/** The expected arrival of the earliest open purchase order or transfer of the SKU (to the warehouse, if named), or null. */
export async function openReplenishmentEta(db: Db | Tx, sku: string, warehouse?: string): Promise<ReplenishmentEta | null> {
  const [first] = await inboundOf(db, sku, warehouse);
  return first ? { kind: first.kind, id: first.id, warehouse: first.warehouse, quantity: first.quantity, expectedAt: new Date(first.expectedAt) } : null;
}
