import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { inventoryLevels, orderItems, orders, products, purchaseOrders, stockTransfers } from '../src/db/schema';
import { chooseReplenishment, type Inbound } from '../src/domain/replenishment';
import { flagAlert, openAlertOf } from '../src/inventory/alerts';
import { placePurchaseOrder } from '../src/inventory/purchase-orders';
import { inboundOf } from '../src/inventory/replenishment-status';
import { startTransfer } from '../src/inventory/transfers';
import { TRANSFER_SHORT, type ReplenishmentActivities } from '../workflows/replenishment/activities';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

// The replenishment workflow's activities (orders task queue): read the figures and
// choose, carry out a transfer or a purchase order once per key, check an arrival, and
// flag an operator. Business rules are in src/domain/replenishment.ts.

export function createReplenishmentActivities(db: Db): ReplenishmentActivities {
  return {
    async planReplenishment({ sku, warehouse }) {
      const levels = await db.select().from(inventoryLevels).where(eq(inventoryLevels.sku, sku));
      const here = levels.find((l) => l.warehouseCode === warehouse);
      const [product] = await db.select().from(products).where(eq(products.sku, sku));
      const [waiting] = await db
        .select({ units: sql<number>`coalesce(sum(${orderItems.quantity}), 0)::int` })
        .from(orderItems)
        .innerJoin(orders, eq(orders.id, orderItems.orderId))
        .where(and(eq(orders.status, 'backordered'), eq(orderItems.sku, sku)));
      return chooseReplenishment({
        available: here ? here.onHand - here.reserved : 0,
        safetyStock: here?.safetyThreshold ?? 0,
        reorderQuantity: here?.reorderQuantity ?? null,
        waitingDemand: waiting?.units ?? 0,
        inbound: await inboundOf(db, sku, warehouse),
        others: levels
          .filter((l) => l.warehouseCode !== warehouse)
          .map((l) => ({ warehouse: l.warehouseCode, available: l.onHand - l.reserved, safetyStock: l.safetyThreshold })),
        supply:
          product?.supplier && product.leadTimeDays !== null
            ? {
                supplier: product.supplier,
                leadTimeDays: product.leadTimeDays,
                expediteLeadTimeDays: product.expediteLeadTimeDays,
                expediteCost: product.expediteCost,
                currency: product.currency,
              }
            : null,
      });
    },

    async startTransfer({ key, sku, from, to, quantity, leadMs }) {
      const alert = await openAlertOf(db, sku, to);
      const outcome = await startTransfer(db, { key: `replenishment:${key}`, sku, from, to, quantity, expectedAt: new Date(Date.now() + leadMs), alertId: alert?.id });
      if (outcome.kind === 'refused') {
        throw ApplicationFailure.create({
          type: TRANSFER_SHORT,
          message: outcome.errors.map((e) => e.message).join('; '),
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const t = outcome.transfer;
      return { kind: 'transfer', id: t.id, quantity: t.quantity, expectedAt: t.expectedAt.toISOString() } satisfies Inbound;
    },

    async placePurchaseOrder(input) {
      const alert = await openAlertOf(db, input.sku, input.warehouse);
      const po = await placePurchaseOrder(db, {
        ...input,
        key: `replenishment:${input.key}`,
        expectedAt: new Date(Date.now() + input.leadTimeDays * input.dayMs),
        alertId: alert?.id,
      });
      return { kind: 'purchase_order', id: po.id, quantity: po.quantity, expectedAt: po.expectedAt.toISOString() } satisfies Inbound;
    },

    async inboundArrived({ kind, id }) {
      if (kind === 'transfer') {
        const [t] = await db.select({ id: stockTransfers.id }).from(stockTransfers).where(and(eq(stockTransfers.id, id), ne(stockTransfers.status, 'in_transit')));
        return Boolean(t);
      }
      const [po] = await db.select({ id: purchaseOrders.id }).from(purchaseOrders).where(and(eq(purchaseOrders.id, id), ne(purchaseOrders.status, 'open')));
      return Boolean(po);
    },

    async flagReplenishment({ sku, warehouse, reason, key, inbound }) {
      if (inbound?.kind === 'purchase_order') {
        await db.update(purchaseOrders).set({ flaggedAt: sql`coalesce(${purchaseOrders.flaggedAt}, now())` }).where(inArray(purchaseOrders.id, [inbound.id]));
      }
      await flagAlert(db, { sku, warehouseCode: warehouse, reason, key });
    },
  };
}
