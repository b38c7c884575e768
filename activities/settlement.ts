import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { ledgerEntries } from '../src/db/schema';
import type { SettlementMethod } from '../src/domain/order-status';
import { settlementJournal } from '../src/domain/settlement';
import { postJournal } from './ledger';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// SETTLE (R6.1): the order's journal goes into the ledger exactly once (unique per
// journal, account and side), in the same transaction as the order's last status.
// What was refunded (refund journals, activities/incidents.ts) is not revenue: the
// settlement posts the total less the refunds, and nothing when all of it went back.

/** What the order has paid back so far: the debits of its refund journals (one per journal). */
export async function refundedSoFar(tx: Tx | Db, orderId: string): Promise<number> {
  const [row] = await tx
    .select({ amount: sql<string>`coalesce(sum(${ledgerEntries.amount}), 0)` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, orderId), eq(ledgerEntries.kind, 'refund'), eq(ledgerEntries.side, 'debit')));
  return Number(row?.amount ?? 0);
}

export function createSettlementActivities(db: Db) {
  return {
    async settleOrder(input: { orderId: string; transitions: Transition[] }): Promise<{ journalId: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const refunded = await refundedSoFar(tx, order.id);
        const journal = settlementJournal({
          id: order.id,
          number: order.number,
          totalAmount: Math.max(0, order.totalAmount - refunded),
          currency: order.currency,
          settlementMethod: order.settlementMethod as SettlementMethod,
        });
        await postJournal(tx, order.id, journal, 'settlement');
        await applyTransitions(tx, order, input.transitions);
        return { journalId: journal.journalId };
      });
    },
  };
}
