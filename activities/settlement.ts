import type { Db } from '../src/db/client';
import { ledgerEntries } from '../src/db/schema';
import type { SettlementMethod } from '../src/domain/order-status';
import { isBalanced, settlementJournal } from '../src/domain/settlement';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// SETTLE (R6.1): the order's journal goes into the ledger exactly once (unique per
// journal, account and side), in the same transaction as the order's last status.

export function createSettlementActivities(db: Db) {
  return {
    async settleOrder(input: { orderId: string; transitions: Transition[] }): Promise<{ journalId: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const journal = settlementJournal({
          id: order.id,
          number: order.number,
          totalAmount: order.totalAmount,
          currency: order.currency,
          settlementMethod: order.settlementMethod as SettlementMethod,
        });
        if (!isBalanced(journal)) throw new Error(`journal ${journal.journalId} does not balance`);
        if (journal.lines.length > 0) {
          await tx
            .insert(ledgerEntries)
            .values(
              journal.lines.map((line) => ({
                journalId: journal.journalId,
                orderId: order.id,
                account: line.account,
                side: line.side,
                amount: line.amount,
                currency: journal.currency,
                memo: journal.memo,
              })),
            )
            .onConflictDoNothing();
        }
        await applyTransitions(tx, order, input.transitions);
        return { journalId: journal.journalId };
      });
    },
  };
}
