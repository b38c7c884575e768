import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inventoryLevels, products, warehouses } from '../db/schema';
import { reviewThreshold } from './alerts';
import type { StockLevel } from './stock-ledger';

// Safety stock and reorder quantity per SKU and warehouse (R2.2). Setting a threshold is
// held against the level at once: a safety stock above what is available opens the
// shortage alert (and so the replenishment) as a movement below it would.

export interface ThresholdRequest {
  sku: string;
  /** One warehouse; none: every warehouse that stocks the SKU. */
  warehouse?: string;
  safetyStock: number;
  reorderQuantity?: number | null;
}

export type ThresholdOutcome = { kind: 'set'; levels: StockLevel[] } | { kind: 'refused'; errors: { field: string; message: string }[] };

export async function setThreshold(db: Db, r: ThresholdRequest): Promise<ThresholdOutcome> {
  const [product] = await db.select({ sku: products.sku }).from(products).where(eq(products.sku, r.sku));
  if (!product) return { kind: 'refused', errors: [{ field: 'path.sku', message: `no product ${r.sku}` }] };
  if (r.warehouse) {
    const [warehouse] = await db.select({ code: warehouses.code }).from(warehouses).where(eq(warehouses.code, r.warehouse));
    if (!warehouse) return { kind: 'refused', errors: [{ field: 'warehouse', message: `no warehouse ${r.warehouse}` }] };
  }
  const levels = await db.transaction(async (tx) => {
    // A threshold for a warehouse that has never held the SKU starts its level at zero
    // (the ledger's sum there is zero too).
    if (r.warehouse) await tx.insert(inventoryLevels).values({ sku: r.sku, warehouseCode: r.warehouse }).onConflictDoNothing();
    const set = await tx
      .update(inventoryLevels)
      .set({ safetyThreshold: r.safetyStock, ...(r.reorderQuantity !== undefined ? { reorderQuantity: r.reorderQuantity } : {}), updatedAt: new Date() })
      .where(and(eq(inventoryLevels.sku, r.sku), r.warehouse ? eq(inventoryLevels.warehouseCode, r.warehouse) : undefined))
      .returning();
    for (const level of [...set].sort((a, b) => a.warehouseCode.localeCompare(b.warehouseCode))) await reviewThreshold(tx, level.sku, level.warehouseCode);
    return set;
  });
  if (levels.length === 0) return { kind: 'refused', errors: [{ field: 'warehouse', message: `${r.sku} is stocked nowhere yet: name the warehouse` }] };
  return { kind: 'set', levels };
}
