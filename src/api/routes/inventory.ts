import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inventoryLevels, orders, products, stockMovements, warehouses } from '../../db/schema';
import { stockAvailable } from '../../../workflows/order/messages';
import type { OrderCommands } from '../order-commands';
import { decodeCursor, pageOf } from '../keyset';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { InventoryQuery, ReceiptBody } from '../schemas';

// Stock figures (R2.1) and goods received into a warehouse. A receipt is one movement
// in the append-only ledger plus the new figure, written together and at most once per
// Idempotency-Key; back-ordered orders waiting for the SKU are told at once.

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

export function inventoryRoutes(deps: { db: Db; commands: OrderCommands; log: (message: string) => void }) {
  const { db, commands } = deps;

  async function wakeBackorders(sku: string): Promise<void> {
    const waiting = await db
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.status, 'backordered'), sql`exists (select 1 from order_items i where i.order_id = ${orders.id} and i.sku = ${sku})`));
    await Promise.allSettled(
      waiting.map((o) =>
        commands
          .handle(o.id)
          .signal(stockAvailable, { skus: [sku] })
          .catch((err: unknown) => deps.log(`could not tell order ${o.id} that ${sku} arrived: ${String(err)}`)),
      ),
    );
  }

  return [
    route({
      method: 'post',
      path: '/v1/inventory/receipts',
      tag: 'inventory',
      summary: 'Goods received into a warehouse (at most once per Idempotency-Key)',
      access: ['operator'],
      body: ReceiptBody,
      idempotent: true,
      responses: { 201: 'received; the new stock figure', 200: 'the same receipt again', 422: 'unknown warehouse or SKU' },
      async handler({ req, res, body, caller }) {
        const key = req.get('idempotency-key');
        // One delivery-note line is received once: per key (per caller), or per warehouse,
        // SKU and reference when there is no key.
        const movementKey = key
          ? `receipt:key:${caller!.keyId}:${key}`
          : body.reference
            ? `receipt:ref:${body.warehouse}:${body.sku}:${body.reference}`
            : `receipt:${randomUUID()}`;
        const [warehouse] = await db.select().from(warehouses).where(eq(warehouses.code, body.warehouse));
        const [product] = await db.select().from(products).where(eq(products.sku, body.sku));
        const errors = [
          ...(warehouse ? [] : [{ field: 'warehouse', message: `no warehouse ${body.warehouse}` }]),
          ...(product ? [] : [{ field: 'sku', message: `no product ${body.sku}` }]),
        ];
        if (errors.length > 0) throw new HttpProblem(422, 'Invalid request', errors.map((e) => e.message).join('; '), { errors });

        const { level, repeated } = await db.transaction(async (tx) => {
          const inserted = await tx
            .insert(stockMovements)
            .values({
              sku: body.sku,
              warehouseCode: body.warehouse,
              kind: 'receipt',
              onHandDelta: body.quantity,
              reservedDelta: 0,
              reference: body.reference ?? null,
              idempotencyKey: movementKey,
            })
            .onConflictDoNothing()
            .returning({ id: stockMovements.id });
          if (inserted.length === 0) {
            const [earlier] = await tx.select().from(stockMovements).where(eq(stockMovements.idempotencyKey, movementKey));
            const same =
              earlier &&
              earlier.sku === body.sku &&
              earlier.warehouseCode === body.warehouse &&
              earlier.onHandDelta === body.quantity &&
              earlier.reference === (body.reference ?? null);
            if (!same) {
              throw key
                ? new HttpProblem(422, 'Idempotency-Key reused', `Idempotency-Key ${key} was used for a different receipt`, {
                    errors: [{ field: 'header.Idempotency-Key', message: 'already used for a different receipt' }],
                  })
                : new HttpProblem(409, 'Conflict', `reference ${body.reference} was already received for ${body.sku} at ${body.warehouse} with another quantity`, {
                    errors: [{ field: 'reference', message: 'already received with another quantity' }],
                  });
            }
            const [existing] = await tx
              .select()
              .from(inventoryLevels)
              .where(and(eq(inventoryLevels.sku, body.sku), eq(inventoryLevels.warehouseCode, body.warehouse)));
            return { level: existing!, repeated: true };
          }
          const [row] = await tx
            .insert(inventoryLevels)
            .values({ sku: body.sku, warehouseCode: body.warehouse, onHand: body.quantity })
            .onConflictDoUpdate({
              target: [inventoryLevels.sku, inventoryLevels.warehouseCode],
              set: { onHand: sql`${inventoryLevels.onHand} + ${body.quantity}`, updatedAt: new Date() },
            })
            .returning();
          return { level: row!, repeated: false };
        });
        if (!repeated) await wakeBackorders(body.sku);
        res.status(repeated ? 200 : 201).json(levelJson(level));
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
  ];
}
