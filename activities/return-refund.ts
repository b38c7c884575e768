import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../src/db/client';
import { instalments, ledgerEntries, payments } from '../src/db/schema';
import { isCollected } from '../src/domain/collection';
import { allocatePayments, forgiveInstalments } from '../src/domain/instalments';
import { postJournal } from './ledger';
import type { OrderRow } from './order-status';
import { refundedSoFar } from './settlement';

// A RETURN on an order paid after delivery (cash on delivery, instalments): the refund
// follows what the customer actually paid. Of the returned goods' value, cash goes back
// only up to what was paid (less what was refunded before); the rest was never paid and
// is no longer owed — its receivable is cancelled (journal `return-unpaid:{incidentId}`,
// kind `adjustment`):
//   debit  customer_refunds                         the sale taken back
//   credit instalment_receivable / cod_receivable   no longer owed
// and for instalments the unpaid ones are cancelled, the last first (forgiveInstalments),
// so the collection workflow, told the same amount, stops dunning them.

const RECEIVABLE: Record<string, string> = { instalments: 'instalment_receivable', cash_on_delivery: 'cod_receivable' };

export const returnUnpaidJournalId = (incidentId: string) => `return-unpaid:${incidentId}`;

async function sumOf(tx: Tx, where: ReturnType<typeof and>): Promise<number> {
  const [row] = await tx.select({ n: sql<string>`coalesce(sum(${ledgerEntries.amount}), 0)` }).from(ledgerEntries).where(where);
  return Number(row?.n ?? 0);
}

/** What the customer paid for the order: instalment payments, or the cash the carrier took at the door (or remitted). */
async function paidByCustomer(tx: Tx, order: OrderRow): Promise<number> {
  const mine = (kind: 'payment' | 'cod_collected' | 'cod_remitted') =>
    sumOf(tx, and(eq(ledgerEntries.orderId, order.id), eq(ledgerEntries.kind, kind), eq(ledgerEntries.side, 'debit'), eq(ledgerEntries.currency, order.currency)));
  if (order.settlementMethod === 'cash_on_delivery') return Math.max(await mine('cod_collected'), await mine('cod_remitted'));
  return mine('payment');
}

/** The receivable's balance for the order: still owed. */
async function owed(tx: Tx, order: OrderRow, account: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<string>`coalesce(sum(case when ${ledgerEntries.side} = 'debit' then ${ledgerEntries.amount} else -${ledgerEntries.amount} end), 0)` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, order.id), eq(ledgerEntries.account, account), eq(ledgerEntries.currency, order.currency)));
  return Math.max(0, Number(row?.n ?? 0));
}

/**
 * Splits a return's value into the cash to pay back and what is forgiven (posted and, for
 * instalments, taken off the schedule here). Prepaid orders: all of it is cash. Call once
 * per incident, before the refund journal is posted (its debit would count as refunded).
 */
export async function splitReturnRefund(tx: Tx, order: OrderRow, incidentId: string, value: number): Promise<{ cash: number; forgiven: number }> {
  const account = RECEIVABLE[order.settlementMethod];
  if (!isCollected(order.settlementMethod) || !account || value <= 0) return { cash: value, forgiven: 0 };
  const cash = Math.min(value, Math.max(0, (await paidByCustomer(tx, order)) - (await refundedSoFar(tx, order.id))));
  const forgiven = Math.min(value - cash, await owed(tx, order, account));
  if (forgiven <= 0) return { cash, forgiven: 0 };
  await postJournal(
    tx,
    order.id,
    {
      journalId: returnUnpaidJournalId(incidentId),
      memo: `Order ${order.number}: returned goods never paid for, no longer owed`.slice(0, 500),
      currency: order.currency,
      lines: [
        { account: 'customer_refunds', side: 'debit', amount: forgiven },
        { account, side: 'credit', amount: forgiven },
      ],
    },
    'adjustment',
    incidentId,
  );
  if (order.settlementMethod === 'instalments') await forgiveOnSchedule(tx, order, forgiven);
  return { cash, forgiven };
}

/** The forgiven amount off the unpaid instalments as recorded: reduced, or cancelled. */
async function forgiveOnSchedule(tx: Tx, order: OrderRow, forgiven: number): Promise<void> {
  const schedule = await tx.select().from(instalments).where(eq(instalments.orderId, order.id)).orderBy(asc(instalments.number));
  const open = schedule.filter((i) => i.status !== 'cancelled');
  const paid = await tx.select().from(payments).where(and(eq(payments.orderId, order.id), eq(payments.currency, order.currency))).orderBy(asc(payments.receivedAt));
  const { received } = allocatePayments(
    open,
    paid.map((p) => ({ paymentId: p.id, amount: p.amount, ...(p.instalmentNumber !== null ? { instalmentNumber: p.instalmentNumber } : {}) })),
  );
  const { amounts, cancelled } = forgiveInstalments(open, received, forgiven);
  const now = new Date();
  for (const i of open) {
    const amount = amounts.get(i.number)!;
    if (amount === i.amount) continue;
    const status = cancelled.includes(i.number) ? 'cancelled' : amount <= (received.get(i.number) ?? 0) ? 'paid' : i.status;
    // A cancelled instalment keeps its amount on record: it is its status that says it is not owed.
    await tx
      .update(instalments)
      .set({ ...(status === 'cancelled' ? {} : { amount }), status, ...(status === 'paid' ? { paidAt: now } : {}), updatedAt: now })
      .where(and(eq(instalments.orderId, order.id), eq(instalments.number, i.number)));
  }
}

/** What was forgiven on a return before (a retried refund answers it again). */
export async function forgivenBefore(tx: Tx, incidentId: string): Promise<number> {
  return sumOf(tx, and(eq(ledgerEntries.journalId, returnUnpaidJournalId(incidentId)), eq(ledgerEntries.side, 'debit')));
}

/**
 * Of a forgiven amount, what the order's collection no longer expects: all of it for
 * instalments; for COD only when the carrier reported collecting nothing (the collection
 * then expects the total) — cash the carrier did collect is still owed by it.
 */
export async function collectionShare(tx: Tx, order: OrderRow, forgiven: number): Promise<number> {
  if (forgiven <= 0 || order.settlementMethod === 'instalments') return Math.max(0, forgiven);
  if (order.settlementMethod !== 'cash_on_delivery') return 0;
  const reported = await sumOf(tx, and(eq(ledgerEntries.orderId, order.id), eq(ledgerEntries.kind, 'cod_collected'), eq(ledgerEntries.side, 'debit')));
  return reported > 0 ? 0 : forgiven;
}
