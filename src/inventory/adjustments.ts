import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { products, warehouses } from '../db/schema';
import { adjust, AdjustmentRefused, type StockLevel } from './stock-ledger';

// Counted corrections (R2.2): a stock count found more or fewer than the books say. One
// adjust movement, at most once per Idempotency-Key, never below what is reserved. A
// correction is bookkeeping, not an arrival: it wakes no back-ordered order (they look
// again on their own recheck); it is held against the safety stock like any movement.

export interface AdjustmentRequest {
  warehouse: string;
  sku: string;
  delta: number;
  reason: string;
}

export type AdjustmentOutcome =
  | { kind: 'adjusted' | 'repeated'; level: StockLevel }
  | { kind: 'refused'; status: 409 | 422; detail: string; errors: { field: string; message: string }[] };

export async function adjustStock(db: Db, a: AdjustmentRequest, source: { caller: string; idempotencyKey?: string }): Promise<AdjustmentOutcome> {
  const [warehouse] = await db.select({ code: warehouses.code }).from(warehouses).where(eq(warehouses.code, a.warehouse));
  const [product] = await db.select({ sku: products.sku }).from(products).where(eq(products.sku, a.sku));
  const unknown = [
    ...(warehouse ? [] : [{ field: 'warehouse', message: `no warehouse ${a.warehouse}` }]),
    ...(product ? [] : [{ field: 'sku', message: `no product ${a.sku}` }]),
  ];
  if (unknown.length > 0) return { kind: 'refused', status: 422, detail: unknown.map((e) => e.message).join('; '), errors: unknown };

  const key = source.idempotencyKey ? `adjust:key:${source.caller}:${source.idempotencyKey}` : `adjust:${randomUUID()}`;
  try {
    return await db.transaction(async (tx): Promise<AdjustmentOutcome> => {
      const result = await adjust(tx, { sku: a.sku, warehouseCode: a.warehouse, delta: a.delta, key, reference: a.reason });
      if (result.recorded) return { kind: 'adjusted', level: result.level };
      const e = result.earlier;
      if (e.sku === a.sku && e.warehouseCode === a.warehouse && e.onHandDelta === a.delta && e.reference === a.reason) return { kind: 'repeated', level: result.level };
      return {
        kind: 'refused',
        status: 422,
        detail: `Idempotency-Key ${source.idempotencyKey} was used for a different adjustment`,
        errors: [{ field: 'header.Idempotency-Key', message: 'already used for a different adjustment' }],
      };
    });
  } catch (err) {
    if (err instanceof AdjustmentRefused) {
      return {
        kind: 'refused',
        status: 409,
        detail: err.message,
        errors: [{ field: 'delta', message: `at most ${err.level.onHand - err.level.reserved} can be taken off: ${err.level.reserved} of ${err.level.onHand} on hand are reserved` }],
      };
    }
    throw err;
  }
}
