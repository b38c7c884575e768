import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { products, warehouses } from '../db/schema';
import { wakeBackorders, type BackorderDeps } from './back-orders';
import { receive, type StockLevel } from './stock-ledger';

// Goods received into a warehouse (R2.1): one receipt movement in the stock ledger,
// at most once per delivery-note line, then the orders waiting for the SKU are woken.
// Answers in outcomes, not HTTP, so a purchase order's or a transfer's arrival
// (issue 9) can receive the same way.

export interface Receipt {
  warehouse: string;
  sku: string;
  quantity: number;
  /** The delivery note or purchase order it arrived against. */
  reference?: string;
}

export interface ReceiptSource {
  /** Who recorded it (the caller's API key id): an Idempotency-Key is the caller's own. */
  caller: string;
  idempotencyKey?: string;
}

export type ReceiptOutcome =
  | { kind: 'received'; level: StockLevel }
  /** The same receipt again: nothing changed. */
  | { kind: 'repeated'; level: StockLevel }
  | { kind: 'refused'; refusal: ReceiptRefusal };

export type ReceiptRefusal =
  | { reason: 'unknown'; errors: { field: 'warehouse' | 'sku'; message: string }[] }
  /** The Idempotency-Key was used for a different receipt. */
  | { reason: 'idempotency-key-reused'; key: string }
  /** This reference was already received for the SKU at the warehouse, with another quantity. */
  | { reason: 'reference-reused'; reference: string; sku: string; warehouse: string };

/** One delivery-note line is received once: per key (per caller), else per warehouse, SKU and reference. */
export function receiptKey(receipt: Receipt, source: ReceiptSource): string {
  if (source.idempotencyKey) return `receipt:key:${source.caller}:${source.idempotencyKey}`;
  if (receipt.reference) return `receipt:ref:${receipt.warehouse}:${receipt.sku}:${receipt.reference}`;
  return `receipt:${randomUUID()}`;
}

/** Done in the receipt's own transaction when it is recorded (not on a repeat): both or neither. */
export type WithReceipt = (tx: Tx, receiptKey: string) => Promise<void>;

export async function receiveGoods(deps: BackorderDeps, receipt: Receipt, source: ReceiptSource, withReceipt?: WithReceipt): Promise<ReceiptOutcome> {
  const { db } = deps;
  const refusal = await unknownGoods(db, receipt);
  if (refusal) return { kind: 'refused', refusal };

  const key = receiptKey(receipt, source);
  const outcome = await db.transaction(async (tx): Promise<ReceiptOutcome> => {
    const result = await receive(tx, {
      sku: receipt.sku,
      warehouseCode: receipt.warehouse,
      quantity: receipt.quantity,
      reference: receipt.reference ?? null,
      key,
    });
    if (result.recorded) {
      await withReceipt?.(tx, key);
      return { kind: 'received', level: result.level };
    }
    const { earlier } = result;
    const same =
      earlier.sku === receipt.sku &&
      earlier.warehouseCode === receipt.warehouse &&
      earlier.onHandDelta === receipt.quantity &&
      earlier.reference === (receipt.reference ?? null);
    if (same) return { kind: 'repeated', level: result.level };
    return {
      kind: 'refused',
      refusal: source.idempotencyKey
        ? { reason: 'idempotency-key-reused', key: source.idempotencyKey }
        : { reason: 'reference-reused', reference: receipt.reference!, sku: receipt.sku, warehouse: receipt.warehouse },
    };
  });
  // After the commit: a woken order must find the stock there.
  if (outcome.kind === 'received') await wakeBackorders(deps, receipt.sku);
  return outcome;
}

async function unknownGoods(db: Db, receipt: Receipt): Promise<ReceiptRefusal | undefined> {
  const [warehouse] = await db.select({ code: warehouses.code }).from(warehouses).where(eq(warehouses.code, receipt.warehouse));
  const [product] = await db.select({ sku: products.sku }).from(products).where(eq(products.sku, receipt.sku));
  const errors = [
    ...(warehouse ? [] : [{ field: 'warehouse' as const, message: `no warehouse ${receipt.warehouse}` }]),
    ...(product ? [] : [{ field: 'sku' as const, message: `no product ${receipt.sku}` }]),
  ];
  return errors.length > 0 ? { reason: 'unknown', errors } : undefined;
}
