import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { inventoryLevels, ledgerEntries, orderItems, orders, payments, products, warehouses } from '../src/db/schema';
import type { AllocationReach, Shortage } from '../src/domain/allocation';
import {
  partialSplit,
  stockoutOptions,
  substituteOffers,
  transferOffer,
  type Money,
  type StockoutOption,
  type SubstituteCandidate,
} from '../src/domain/stockout-options';
import { refundJournal } from '../src/domain/settlement';
import { replenishmentEta } from '../src/inventory/replenishment-eta';
import { postJournal } from './ledger';
import { lockOrder } from './order-status';
import { refundedSoFar } from './settlement';

// R1.8: the facts behind a stockout's options (ETA, another region's stock, substitutes,
// what was paid), a substitution written to the order's lines, and the refund a
// cancellation owes. The choice of options is the pure rule in src/domain.
//
// The refund journal (`refund:stockout:{orderId}`), in the order's currency:
//   debit  customer_prepayments (prepaid) or customer_refunds (other methods)
//   credit cash


export const stockoutRefundJournalId = (orderId: string) => `refund:stockout:${orderId}`;

export function createStockoutActivities(db: Db) {
  async function paidNet(tx: Db | Tx, orderId: string): Promise<number> {
    const [row] = await tx
      .select({ amount: sql<string>`coalesce(sum(${payments.amount}), 0)` })
      .from(payments)
      .where(eq(payments.orderId, orderId));
    return Math.max(0, Number(row?.amount ?? 0) - (await refundedSoFar(tx, orderId)));
  }

  return {
    /** The options a stockout offers now, each with its consequence. */
    async stockoutOptions(input: { orderId: string; shortages: Shortage[]; leadTimeMs?: number; reach?: AllocationReach }): Promise<{ options: StockoutOption[] }> {
      const [order] = await db.select().from(orders).where(eq(orders.id, input.orderId));
      if (!order) throw new Error(`order ${input.orderId} is not in the database`);
      const skus = input.shortages.map((s) => s.sku);

      let eta = '';
      for (const sku of skus) {
        const e = await replenishmentEta(db, sku, undefined, { leadTimeMs: input.leadTimeMs });
        if (e.eta > eta) eta = e.eta;
      }

      const stock = (await db.select().from(inventoryLevels).where(inArray(inventoryLevels.sku, skus))).map((l) => ({
        sku: l.sku,
        warehouseCode: l.warehouseCode,
        available: l.onHand - l.reserved,
      }));
      const sites = await db.select().from(warehouses);
      // Beyond RESERVE's reach only: within it, the allocation already counted the stock.
      const transfer = transferOffer(input.shortages, stock, sites, order.customer.address, input.reach ?? 'anywhere');

      const lines = await db.select().from(orderItems).where(eq(orderItems.orderId, input.orderId));
      const partial = partialSplit(
        lines.map(({ line, sku, quantity }) => ({ line, sku, quantity })),
        input.shortages,
      );
      const short = await db.select().from(products).where(inArray(products.sku, skus));
      const pairs = short.flatMap((p) => p.substitutes.map((sku) => ({ forSku: p.sku, sku })));
      const candidates: SubstituteCandidate[] = [];
      if (pairs.length > 0) {
        const subSkus = [...new Set(pairs.map((p) => p.sku))];
        const catalogue = new Map(
          (await db.select().from(products).where(and(inArray(products.sku, subSkus), eq(products.active, true)))).map((p) => [p.sku, p]),
        );
        const levels = await db
          .select({ sku: inventoryLevels.sku, available: sql<number>`coalesce(sum(${inventoryLevels.onHand} - ${inventoryLevels.reserved}), 0)::int` })
          .from(inventoryLevels)
          .where(inArray(inventoryLevels.sku, subSkus))
          .groupBy(inventoryLevels.sku);
        const available = new Map(levels.map((l) => [l.sku, Number(l.available)]));
        for (const pair of pairs) {
          const p = catalogue.get(pair.sku);
          if (p) candidates.push({ ...pair, name: p.name, unitPrice: p.unitPrice, currency: p.currency, available: available.get(p.sku) ?? 0 });
        }
      }
      const substitutes = substituteOffers(
        input.shortages,
        lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, currency: order.currency })),
        candidates,
      );

      const paid: Money = { amount: await paidNet(db, input.orderId), currency: order.currency };
      return { options: stockoutOptions({ shortages: input.shortages, eta, transfer, substitutes, paid, partial }) };
    },

    /** The short SKU's lines become the substitute (name and spec too; the agreed price stays). Repeats change nothing. */
    async substituteItem(input: { orderId: string; sku: string; substituteSku: string }): Promise<{ items: { line: number; sku: string; quantity: number }[] }> {
      return db.transaction(async (tx) => {
        await lockOrder(tx, input.orderId);
        const [sub] = await tx.select().from(products).where(eq(products.sku, input.substituteSku));
        if (!sub) throw new Error(`product ${input.substituteSku} is not in the catalogue`);
        await tx
          .update(orderItems)
          .set({ sku: sub.sku, name: sub.name, spec: sub.spec })
          .where(and(eq(orderItems.orderId, input.orderId), eq(orderItems.sku, input.sku)));
        const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, input.orderId)).orderBy(orderItems.line);
        return { items: items.map(({ line, sku, quantity }) => ({ line, sku, quantity })) };
      });
    },

    /** Pays back what was paid for an order cancelled after a stockout; no journal when nothing was paid. */
    async refundStockout(input: { orderId: string; reason: string }): Promise<Money> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        // Posted by an earlier attempt: answer as it did.
        const [earlier] = await tx
          .select({ amount: ledgerEntries.amount })
          .from(ledgerEntries)
          .where(and(eq(ledgerEntries.journalId, stockoutRefundJournalId(order.id)), eq(ledgerEntries.side, 'debit')));
        if (earlier) return { amount: earlier.amount, currency: order.currency };
        const amount = await paidNet(tx, input.orderId);
        if (amount === 0) return { amount: 0, currency: order.currency };
        await postJournal(tx, order.id, refundJournal(order, stockoutRefundJournalId(order.id), input.reason, amount), 'refund');
        return { amount, currency: order.currency };
      });
    },
  };
}
