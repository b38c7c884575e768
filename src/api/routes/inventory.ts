import type { Client } from '@temporalio/client';
import { and, asc, eq, gt, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inventoryLevels, stockMovements } from '../../db/schema';
import type { AllocationReach } from '../../domain/allocation';
import { receiveAgainstPurchaseOrder } from '../../inventory/purchase-orders';
import { receiveGoods, type ReceiptRefusal } from '../../inventory/receipts';
import { decodeCursor, pageOf } from '../keyset';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { InventoryQuery, MovementsQuery, ReceiptBody } from '../schemas';

// Stock figures (R2.1) and goods received into a warehouse. What a receipt does (the
// ledger movement, at most once, and waking back-ordered orders) is src/inventory/receipts.ts;
// this file parses and renders.

type LevelRow = typeof inventoryLevels.$inferSelect;

const levelJson = (l: LevelRow) => ({
  sku: l.sku,
  warehouse: l.warehouseCode,
  onHand: l.onHand,
  reserved: l.reserved,
  available: l.onHand - l.reserved,
  safetyThreshold: l.safetyThreshold,
  updatedAt: l.updatedAt.toISOString(),
});

type MovementRow = typeof stockMovements.$inferSelect;

const movementJson = (m: MovementRow) => ({
  id: m.id,
  sku: m.sku,
  warehouse: m.warehouseCode,
  kind: m.kind,
  // Units moved: the figure's own change, or the units a write-off carries.
  quantity: m.quantity ?? Math.abs(m.onHandDelta !== 0 ? m.onHandDelta : m.reservedDelta),
  onHandDelta: m.onHandDelta,
  reservedDelta: m.reservedDelta,
  orderId: m.orderId,
  reference: m.reference,
  createdAt: m.createdAt.toISOString(),
});

export function inventoryRoutes(deps: { db: Db; client: Client; log: (message: string) => void; /** ORDERFLOW_ALLOCATION_REACH: a receipt wakes the orders that can take it. */ reach?: AllocationReach }) {
  const { db } = deps;

  return [
    route({
      method: 'post',
      path: '/v1/inventory/receipts',
      tag: 'inventory',
      summary: 'Goods received into a warehouse (at most once per Idempotency-Key); against a purchase order, also a `purchase` journal owed to its supplier',
      access: ['operator'],
      body: ReceiptBody,
      idempotent: true,
      responses: {
        201: 'received; the new stock figure',
        200: 'the same receipt again',
        409: "against a purchase order whose supplier settles in another currency with no exchange rate in force (names purchaseOrderId)",
        422: 'unknown warehouse or SKU, or not what the purchase order (purchaseOrderId) is for',
      },
      async handler({ req, res, body, caller }) {
        const source = { caller: caller!.keyId, idempotencyKey: req.get('idempotency-key') };
        const { purchaseOrderId, ...receipt } = body;
        const outcome = purchaseOrderId
          ? await receiveAgainstPurchaseOrder(deps, { ...receipt, purchaseOrderId }, source)
          : await receiveGoods(deps, receipt, source);
        if (outcome.kind === 'mismatch') {
          throw new HttpProblem(422, 'Invalid request', outcome.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: outcome.errors });
        }
        if (outcome.kind === 'no_rate') {
          throw new HttpProblem(409, 'Conflict', outcome.message, { errors: [{ field: 'purchaseOrderId', message: outcome.message }] });
        }
        if (outcome.kind === 'refused') throw refusalProblem(outcome.refusal);
        res.status(outcome.kind === 'received' ? 201 : 200).json(levelJson(outcome.level));
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory',
      tag: 'inventory',
      summary: 'Stock figures per SKU and warehouse, live (R2.1)',
      access: ['integrator', 'operator', 'finance'],
      query: InventoryQuery,
      responses: { 200: '{ data: [{ sku, warehouse, onHand, reserved, available }], nextCursor }' },
      async handler({ res, query }) {
        const where: SQL[] = [];
        if (query.sku) where.push(eq(inventoryLevels.sku, query.sku));
        if (query.warehouse) where.push(eq(inventoryLevels.warehouseCode, query.warehouse));
        if (query.cursor) {
          const [sku, warehouse] = decodeCursor(query.cursor, 2) as [string, string];
          where.push(or(gt(inventoryLevels.sku, sku), and(eq(inventoryLevels.sku, sku), gt(inventoryLevels.warehouseCode, warehouse)))!);
        }
        const rows = await db
          .select()
          .from(inventoryLevels)
          .where(and(...where))
          .orderBy(asc(inventoryLevels.sku), asc(inventoryLevels.warehouseCode))
          .limit(query.limit + 1);
        res.json(pageOf(rows, query.limit, (l) => [l.sku, l.warehouseCode], levelJson));
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/movements',
      tag: 'inventory',
      summary: 'The stock ledger: every movement, oldest first (R2.2)',
      access: ['integrator', 'operator', 'finance'],
      query: MovementsQuery,
      responses: { 200: '{ data: [{ id, sku, warehouse, kind, quantity, onHandDelta, reservedDelta, orderId, reference, createdAt }], nextCursor }' },
      async handler({ res, query }) {
        const where: SQL[] = [];
        if (query.sku) where.push(eq(stockMovements.sku, query.sku));
        if (query.warehouse) where.push(eq(stockMovements.warehouseCode, query.warehouse));
        if (query.orderId) where.push(eq(stockMovements.orderId, query.orderId));
        if (query.kind) where.push(eq(stockMovements.kind, query.kind));
        if (query.cursor) {
          const [after] = decodeCursor(query.cursor, 1) as [string];
          if (!/^\d{1,18}$/.test(after)) throw new HttpProblem(422, 'Invalid request', 'cursor is not one this API gave', { errors: [{ field: 'query.cursor', message: 'not a cursor this API gave' }] });
          where.push(gt(stockMovements.id, Number(after)));
        }
        const rows = await db
          .select()
          .from(stockMovements)
          .where(and(...where))
          .orderBy(asc(stockMovements.id))
          .limit(query.limit + 1);
        res.json(pageOf(rows, query.limit, (m) => [String(m.id)], movementJson));
      },
    }),
  ];
}

/** Why a receipt was refused, in HTTP terms. */
function refusalProblem(refusal: ReceiptRefusal): HttpProblem {
  switch (refusal.reason) {
    case 'unknown':
      return new HttpProblem(422, 'Invalid request', refusal.errors.map((e) => e.message).join('; '), { errors: refusal.errors });
    case 'idempotency-key-reused':
      return new HttpProblem(422, 'Idempotency-Key reused', `Idempotency-Key ${refusal.key} was used for a different receipt`, {
        errors: [{ field: 'header.Idempotency-Key', message: 'already used for a different receipt' }],
      });
    case 'reference-reused':
      return new HttpProblem(409, 'Conflict', `reference ${refusal.reference} was already received for ${refusal.sku} at ${refusal.warehouse} with another quantity`, {
        errors: [{ field: 'reference', message: 'already received with another quantity' }],
      });
  }
}
