import type { Tx } from '../src/db/client';
import { ledgerEntries, type LedgerEntryKind } from '../src/db/schema';
import { isBalanced, type Journal } from '../src/domain/settlement';

// The one way a journal reaches the ledger: balanced or not at all, and at most once
// (unique per journal, account and side), so a retried activity posts nothing twice.

export async function postJournal(
  tx: Tx,
  orderId: string,
  journal: Journal,
  kind: LedgerEntryKind,
  incidentId?: string,
): Promise<void> {
  if (!isBalanced(journal)) throw new Error(`journal ${journal.journalId} does not balance`);
  if (journal.lines.length === 0) return;
  await tx
    .insert(ledgerEntries)
    .values(
      journal.lines.map((line) => ({
        journalId: journal.journalId,
        orderId,
        account: line.account,
        side: line.side,
        amount: line.amount,
        currency: journal.currency,
        memo: journal.memo,
        kind,
        incidentId: incidentId ?? null,
      })),
    )
    .onConflictDoNothing();
}
