import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { postJournal } from '../../activities/ledger';
import type { Db, Tx } from '../db/client';
import { products, purchaseOrders, type PurchaseOrderStatus } from '../db/schema';
import { purchaseJournal } from '../domain/purchasing';
import type { PurchaseTerms } from '../domain/replenishment';
import { FxRateMissing } from '../finance/settlement-terms';
import type { BackorderDeps } from './back-orders';
import { receiveGoods, type Receipt, type ReceiptOutcome, type ReceiptSource } from './receipts';
import { tellReplenishment } from './replenishment-starter';

// Purchase orders to a product's supplier (R2.3, R2.6), placed by the replenishment
// workflow and received through the normal receipt path (POST /v1/inventory/receipts
// with purchaseOrderId): the receipt movement, the waiting orders woken, and then the
// order marked received and its replenishment told. A receipt is also what we owe the
// supplier: a `purchase` journal at the order's unit cost, in the receipt's transaction.

export type PurchaseOrder = typeof purchaseOrders.$inferSelect;

export interface PurchaseOrderRequest extends PurchaseTerms {
  key: string;
  sku: string;
  warehouse: string;
  expectedAt: Date;
  alertId?: string | null;
}

/** Places it once per key, at the product's purchase price (unit cost) now; a repeat returns the one placed. */
export async function placePurchaseOrder(db: Db, r: PurchaseOrderRequest): Promise<PurchaseOrder> {
  const [product] = await db.select({ unitCost: products.unitCost }).from(products).where(eq(products.sku, r.sku));
  if (!product) throw new Error(`no product ${r.sku} to order`);
  const [placed] = await db
    .insert(purchaseOrders)
    .values({
      sku: r.sku,
      warehouseCode: r.warehouse,
      quantity: r.quantity,
      supplier: r.supplier,
      unitCost: product.unitCost,
      leadTimeDays: r.leadTimeDays,
      expedited: r.expedited,
      expediteCost: r.expediteCost,
      currency: r.currency,
      expectedAt: r.expectedAt,
      alertId: r.alertId ?? null,
      idempotencyKey: r.key,
    })
    .onConflictDoNothing()
    .returning();
  if (placed) return placed;
  const [earlier] = await db.select().from(purchaseOrders).where(eq(purchaseOrders.idempotencyKey, r.key));
  return earlier!;
}

export async function purchaseOrderById(db: Db, id: string): Promise<PurchaseOrder | undefined> {
  const [po] = await db.select().from(purchaseOrders).where(eq(purchaseOrders.id, id));
  return po;
}

export type PurchaseOrderReceiptOutcome =
  | ReceiptOutcome
  | { kind: 'mismatch'; errors: { field: string; message: string }[] }
  /** The supplier settles in another currency and finance has posted no rate: nothing received. */
  | { kind: 'no_rate'; message: string };

/** Goods received against a purchase order: its SKU and warehouse, the receipt path, then the order closed. */
export async function receiveAgainstPurchaseOrder(
  deps: BackorderDeps,
  receipt: Receipt & { purchaseOrderId: string },
  source: ReceiptSource,
): Promise<PurchaseOrderReceiptOutcome> {
  const po = await purchaseOrderById(deps.db, receipt.purchaseOrderId);
  if (!po) return { kind: 'mismatch', errors: [{ field: 'purchaseOrderId', message: `no purchase order ${receipt.purchaseOrderId}` }] };
  const errors = [
    ...(po.sku === receipt.sku ? [] : [{ field: 'sku', message: `purchase order ${po.id} is for ${po.sku}` }]),
    ...(po.warehouseCode === receipt.warehouse ? [] : [{ field: 'warehouse', message: `purchase order ${po.id} is for ${po.warehouseCode}` }]),
  ];
  if (errors.length > 0) return { kind: 'mismatch', errors };
  const owed = async (tx: Tx, receiptKey: string) => {
    const journal = purchaseJournal({
      purchaseOrderId: po.id,
      purchaseOrderNumber: po.number,
      receiptKey,
      supplier: po.supplier,
      sku: po.sku,
      quantity: receipt.quantity,
      unitCost: po.unitCost,
      currency: po.currency,
    });
    await postJournal(tx, null, journal, 'purchase', { counterparty: { kind: 'supplier', id: po.supplier } });
  };
  let outcome: ReceiptOutcome;
  try {
    outcome = await receiveGoods(deps, { ...receipt, reference: receipt.reference ?? `po:${po.id}` }, source, owed);
  } catch (err) {
    if (err instanceof FxRateMissing) return { kind: 'no_rate', message: err.message };
    throw err;
  }
  if (outcome.kind === 'received' || outcome.kind === 'repeated') {
    const [closed] = await deps.db
      .update(purchaseOrders)
      .set({ status: 'received', receivedAt: sql`now()` })
      .where(and(eq(purchaseOrders.id, po.id), eq(purchaseOrders.status, 'open')))
      .returning({ id: purchaseOrders.id });
    if (closed) await tellReplenishment(deps, po.sku, po.warehouseCode, { kind: 'purchase_order', id: po.id });
  }
  return outcome;
}

export async function listPurchaseOrders(
  db: Db,
  filter: { sku?: string; warehouse?: string; status?: PurchaseOrderStatus; limit: number },
): Promise<PurchaseOrder[]> {
  const where: SQL[] = [];
  if (filter.sku) where.push(eq(purchaseOrders.sku, filter.sku));
  if (filter.warehouse) where.push(eq(purchaseOrders.warehouseCode, filter.warehouse));
  if (filter.status) where.push(eq(purchaseOrders.status, filter.status));
  return db
    .select()
    .from(purchaseOrders)
    .where(and(...where))
    .orderBy(desc(purchaseOrders.createdAt))
    .limit(filter.limit);
}
