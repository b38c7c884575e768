import type { Tx } from '../src/db/client';
import { ledgerEntries, type LedgerEntryKind } from '../src/db/schema';
import { convertParts, formatRate } from '../src/domain/fx';
import { isBalanced, type Journal, type JournalLine } from '../src/domain/settlement';
import { orderParty, settlementTerms, type Counterparty } from '../src/finance/settlement-terms';

// The one way a journal reaches the ledger: balanced or not at all, and at most once
// (unique per journal, account and side), so a retried activity posts nothing twice.
// Each line is also stated in the counterparty's settlement currency at the rate in
// force now (R6.3), converted per side so the journal balances there too.

export interface PostingOptions {
  incidentId?: string;
  /** Whom the journal is settled with; the order's customer (or partner) when absent. */
  counterparty?: Counterparty;
  /** The settlement run that decided it (adjustments, write-offs). */
  settlementId?: string;
  /** When the money moved; now when absent. Picks the rate in force. */
  at?: Date;
}

export async function postJournal(
  tx: Tx,
  orderId: string | null,
  journal: Journal,
  kind: LedgerEntryKind,
  options: PostingOptions | string = {},
): Promise<void> {
  const opts: PostingOptions = typeof options === 'string' ? { incidentId: options } : options;
  if (!isBalanced(journal)) throw new Error(`journal ${journal.journalId} does not balance`);
  // One entry per account and side is all the ledger keeps (its unique key): lines that
  // share them are added together, or all but one would be dropped and the journal
  // would not balance.
  const lines = mergedLines(journal.lines);
  if (lines.length === 0) return;
  const party = opts.counterparty ? { counterparty: opts.counterparty } : orderId ? await orderParty(tx, orderId) : undefined;
  if (!party) throw new Error(`journal ${journal.journalId} names no counterparty`);
  const { counterparty } = party;
  const at = opts.at ?? new Date();
  const terms = await settlementTerms(tx, counterparty, journal.currency, at, 'agreement' in party ? party : undefined);
  const converted = new Map<number, number>();
  for (const side of ['debit', 'credit'] as const) {
    const indexes = lines.flatMap((l, i) => (l.side === side ? [i] : []));
    const parts = convertParts(indexes.map((i) => lines[i]!.amount), journal.currency, terms.settlementCurrency, terms.rate);
    indexes.forEach((i, k) => converted.set(i, parts[k]!));
  }
  await tx
    .insert(ledgerEntries)
    .values(
      lines.map((line, i) => ({
        journalId: journal.journalId,
        orderId,
        account: line.account,
        side: line.side,
        amount: line.amount,
        currency: journal.currency,
        memo: journal.memo,
        kind,
        incidentId: opts.incidentId ?? null,
        settlementAmount: converted.get(i)!,
        settlementCurrency: terms.settlementCurrency,
        fxRate: formatRate(terms.rate),
        fxRateId: terms.rateId,
        counterpartyKind: counterparty.kind,
        counterpartyId: counterparty.id,
        agreementId: terms.agreementId,
        settlementId: opts.settlementId ?? null,
        createdAt: at,
      })),
    )
    .onConflictDoNothing();
}

function mergedLines(lines: readonly JournalLine[]): JournalLine[] {
  const merged = new Map<string, JournalLine>();
  for (const line of lines) {
    const key = `${line.side}\u0000${line.account}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, amount: seen.amount + line.amount } : { ...line });
  }
  return [...merged.values()];
}
