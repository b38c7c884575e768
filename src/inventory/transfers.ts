import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { products, stockTransfers, warehouses, type StockTransferStatus } from '../db/schema';
import { wakeBackorders, type BackorderDeps } from './back-orders';
import { tellReplenishment } from './replenishment-starter';
import { receive, StockShortage, transferOut } from './stock-ledger';

// Stock moved between two of our warehouses (R2.3): out of the one now (transfer_out,
// only from what is available), into the other when it is received there (transfer_in,
// which wakes the orders waiting for the SKU, like any receipt). At most once per key.

export type StockTransfer = typeof stockTransfers.$inferSelect;

export interface TransferRequest {
  sku: string;
  from: string;
  to: string;
  quantity: number;
  /** When it is expected at `to`. */
  expectedAt: Date;
  /** Names this transfer alone: a repeat with the same key is the same transfer. */
  key: string;
  alertId?: string | null;
}

export type TransferOutcome =
  | { kind: 'started'; transfer: StockTransfer }
  | { kind: 'repeated'; transfer: StockTransfer }
  | { kind: 'refused'; status: 409 | 422; errors: { field: string; message: string }[] };

export async function startTransfer(db: Db, request: TransferRequest): Promise<TransferOutcome> {
  const errors = await unknownParts(db, request);
  if (errors.length > 0) return { kind: 'refused', status: 422, errors };
  try {
    return await db.transaction(async (tx): Promise<TransferOutcome> => {
      const [created] = await tx
        .insert(stockTransfers)
        .values({
          sku: request.sku,
          fromWarehouse: request.from,
          toWarehouse: request.to,
          quantity: request.quantity,
          expectedAt: request.expectedAt,
          alertId: request.alertId ?? null,
          idempotencyKey: request.key,
        })
        .onConflictDoNothing()
        .returning();
      if (!created) {
        const [earlier] = await tx.select().from(stockTransfers).where(eq(stockTransfers.idempotencyKey, request.key));
        const same = earlier && earlier.sku === request.sku && earlier.fromWarehouse === request.from && earlier.toWarehouse === request.to && earlier.quantity === request.quantity;
        if (!same) return { kind: 'refused', status: 422, errors: [{ field: 'header.Idempotency-Key', message: 'already used for a different transfer' }] };
        return { kind: 'repeated', transfer: earlier };
      }
      await transferOut(tx, [
        { sku: request.sku, warehouseCode: request.from, quantity: request.quantity, key: `transfer_out:${created.id}`, reference: `transfer:${created.id}` },
      ]);
      return { kind: 'started', transfer: created };
    });
  } catch (err) {
    if (err instanceof StockShortage) {
      return {
        kind: 'refused',
        status: 409,
        errors: [{ field: 'quantity', message: `${request.from} has fewer than ${request.quantity} ${request.sku} available` }],
      };
    }
    throw err;
  }
}

async function unknownParts(db: Db, r: Pick<TransferRequest, 'sku' | 'from' | 'to'>) {
  const known = new Set((await db.select({ code: warehouses.code }).from(warehouses).where(inArray(warehouses.code, [r.from, r.to]))).map((w) => w.code));
  const [product] = await db.select({ sku: products.sku }).from(products).where(eq(products.sku, r.sku));
  const errors: { field: string; message: string }[] = [];
  if (!product) errors.push({ field: 'sku', message: `no product ${r.sku}` });
  if (!known.has(r.from)) errors.push({ field: 'from', message: `no warehouse ${r.from}` });
  if (!known.has(r.to)) errors.push({ field: 'to', message: `no warehouse ${r.to}` });
  if (r.from === r.to) errors.push({ field: 'to', message: 'a transfer goes to another warehouse' });
  return errors;
}

export type TransferReceiptOutcome =
  | { kind: 'received' | 'repeated'; transfer: StockTransfer }
  | { kind: 'unknown' };

/** The transfer arrives at its destination: transfer_in once, then the waiting orders and the replenishment are told. */
export async function receiveTransfer(deps: BackorderDeps, id: string): Promise<TransferReceiptOutcome> {
  const outcome = await deps.db.transaction(async (tx): Promise<TransferReceiptOutcome> => {
    const [transfer] = await tx.select().from(stockTransfers).where(eq(stockTransfers.id, id)).for('update');
    if (!transfer) return { kind: 'unknown' };
    if (transfer.status === 'received') return { kind: 'repeated', transfer };
    await receive(
      tx,
      { sku: transfer.sku, warehouseCode: transfer.toWarehouse, quantity: transfer.quantity, key: `transfer_in:${transfer.id}`, reference: `transfer:${transfer.id}` },
      'transfer_in',
    );
    const [received] = await tx
      .update(stockTransfers)
      .set({ status: 'received', receivedAt: new Date() })
      .where(eq(stockTransfers.id, id))
      .returning();
    return { kind: 'received', transfer: received! };
  });
  if (outcome.kind === 'received') {
    // After the commit: a woken order must find the stock there.
    await wakeBackorders(deps, outcome.transfer.sku);
    await tellReplenishment(deps, outcome.transfer.sku, outcome.transfer.toWarehouse, { kind: 'transfer', id });
  }
  return outcome;
}

export async function transferById(db: Db, id: string): Promise<StockTransfer | undefined> {
  const [t] = await db.select().from(stockTransfers).where(eq(stockTransfers.id, id));
  return t;
}

export async function listTransfers(db: Db, filter: { sku?: string; to?: string; status?: StockTransferStatus; limit: number }): Promise<StockTransfer[]> {
  const where: SQL[] = [];
  if (filter.sku) where.push(eq(stockTransfers.sku, filter.sku));
  if (filter.to) where.push(eq(stockTransfers.toWarehouse, filter.to));
  if (filter.status) where.push(eq(stockTransfers.status, filter.status));
  return db
    .select()
    .from(stockTransfers)
    .where(and(...where))
    .orderBy(desc(stockTransfers.createdAt))
    .limit(filter.limit);
}
