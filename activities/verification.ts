import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { orderItems, orders, products } from '../src/db/schema';
import { BusinessFailure } from '../src/domain/failures';
import { multiply, sum } from '../src/domain/money';
import { customerKey, type OrderDraft } from '../src/domain/order';
import { verifyOrder as verifyDraft, type CatalogueEntry, type VerificationResult } from '../src/domain/verification';
import type { OrderActivities } from '../workflows/order/activities';
import { businessFailure } from './failures';
import { applyTransitions, lockOrder } from './order-status';

/** The contract's input (workflows/order/activities.ts): one definition for both sides. */
export type VerifyOrderInput = Parameters<OrderActivities['verifyOrder']>[0];

export interface VerifyOrderResult {
  number: string;
  verification: VerificationResult;
}

function orderValues(draft: OrderDraft) {
  const subtotal = sum(draft.items.map((i) => multiply(i.unitPrice, i.quantity)));
  return {
    customer: draft.customer,
    customerId: customerKey(draft.customer),
    region: draft.customer.address.region,
    subtotalAmount: subtotal,
    totalAmount: subtotal,
  };
}

function itemRows(orderId: string, draft: OrderDraft) {
  return draft.items.map((item, index) => ({
    orderId,
    line: index + 1,
    sku: item.sku,
    name: item.name ?? null,
    spec: item.spec ?? null,
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    lineTotal: multiply(item.unitPrice, item.quantity),
  }));
}

export function createVerificationActivities(db: Db) {
  return {
    /**
     * VERIFY: records the order as received (once), then checks customer and items
     * against the catalogue (R1.2, R1.3). A failed check is recorded with its reasons
     * and raised as OrderVerificationFailed.
     */
    async verifyOrder(input: VerifyOrderInput): Promise<VerifyOrderResult> {
      const { draft } = input;
      const skus = [...new Set(draft.items.map((i) => i.sku))];
      const catalogue = new Map<string, CatalogueEntry>(
        (await db.select().from(products).where(inArray(products.sku, skus))).map((p) => [p.sku, p]),
      );
      const verification = verifyDraft(draft, catalogue, new Date());

      const number = await db.transaction(async (tx) => {
        await tx
          .insert(orders)
          .values({
            id: input.orderId,
            externalId: draft.externalId ?? null,
            channel: draft.channel,
            partner: draft.partner ?? null,
            priority: draft.priority,
            currency: draft.currency,
            settlementMethod: draft.settlement.method,
            requestedDeliveryBy: draft.requestedDeliveryBy ? new Date(draft.requestedDeliveryBy) : null,
            status: 'received',
            stage: 'verify',
            stateVersion: 0,
            workflowId: input.workflowId,
            requestFingerprint: input.fingerprint,
            ...(input.number ? { number: input.number } : {}),
            ...orderValues(draft),
          })
          .onConflictDoNothing({ target: orders.id });
        let order = await lockOrder(tx, input.orderId);
        const hasItems = (await tx.select({ line: orderItems.line }).from(orderItems).where(eq(orderItems.orderId, input.orderId)).limit(1)).length > 0;
        if (input.correction && order.status === 'needs_correction') {
          await tx.delete(orderItems).where(eq(orderItems.orderId, input.orderId));
          await tx.update(orders).set({ ...orderValues(draft), updatedAt: new Date() }).where(eq(orders.id, input.orderId));
          await tx.insert(orderItems).values(itemRows(input.orderId, draft));
          order = await lockOrder(tx, input.orderId);
        } else if (!hasItems) {
          await tx.insert(orderItems).values(itemRows(input.orderId, draft));
        }
        await tx.update(orders).set({ verification }).where(eq(orders.id, input.orderId));
        await applyTransitions(tx, order, input.transitions);
        return order.number;
      });

      if (!verification.ok) {
        throw businessFailure(
          BusinessFailure.OrderVerificationFailed,
          `order cannot be accepted: ${verification.reasons.map((r) => r.message).join('; ')}`,
          { number, reasons: verification.reasons },
        );
      }
      return { number, verification };
    },
  };
}
