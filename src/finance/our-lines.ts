import { and, eq, gte, inArray, isNull, lt } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { ledgerEntries, orders, payments, purchaseOrders, type CounterpartyKind, type LedgerEntryKind } from '../db/schema';
import { purchaseOrderOfJournal } from '../domain/purchasing';
import type { LineKind, StatementLine } from '../domain/reconciliation-lines';

// R6.4: our side of a settlement, in the common line format. The rule:
// - one line per journal (journal_id groups the entries) posted with the counterparty
//   (ledger_entries.counterparty_kind/id) at a time in [periodStart, periodEnd);
// - its kind is the ledger kind, the order's `settlement` journal being its `sale`;
// - its amount is the journal's debit total in settlement currency (settlement_amount,
//   settlement_currency), so both sides are compared in the currency we settle in;
// - its reference is what the counterparty knows the transaction by: the payment's own
//   reference for a payment journal (`payment:{paymentId}`), the purchase order's number
//   (purchase_orders.number, PO-1000001) for a purchase journal (one per receipt), else
//   the order's number (orders.number) for a journal of an order, else the journal id;
// - journals a settlement run posted (adjustments and write-offs carrying settlement_id)
//   are the outcome of reconciling, not a transaction to reconcile, and are left out.

export interface OurLinesQuery {
  counterparty: { kind: CounterpartyKind; id: string };
  periodStart: Date;
  periodEnd: Date;
  /** The agreement's time zone: a line's date is its local calendar day. */
  timeZone: string;
}

const PAYMENT_JOURNAL = /^payment:([0-9a-f-]{36})$/i;

export function lineKindOf(kind: LedgerEntryKind): LineKind {
  return kind === 'settlement' ? 'sale' : kind;
}

export async function ourLines(db: Db | Tx, query: OurLinesQuery): Promise<StatementLine[]> {
  const entries = await db
    .select({
      journalId: ledgerEntries.journalId,
      orderId: ledgerEntries.orderId,
      kind: ledgerEntries.kind,
      side: ledgerEntries.side,
      settlementAmount: ledgerEntries.settlementAmount,
      settlementCurrency: ledgerEntries.settlementCurrency,
      memo: ledgerEntries.memo,
      createdAt: ledgerEntries.createdAt,
    })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.counterpartyKind, query.counterparty.kind),
        eq(ledgerEntries.counterpartyId, query.counterparty.id),
        gte(ledgerEntries.createdAt, query.periodStart),
        lt(ledgerEntries.createdAt, query.periodEnd),
        isNull(ledgerEntries.settlementId),
      ),
    )
    .orderBy(ledgerEntries.id);

  const journals = new Map<string, { orderId: string | null; kind: LedgerEntryKind; amount: number; currency: string; memo: string; at: Date }>();
  for (const e of entries) {
    const journal = journals.get(e.journalId) ?? { orderId: e.orderId, kind: e.kind, amount: 0, currency: e.settlementCurrency, memo: e.memo, at: e.createdAt };
    if (e.side === 'debit') journal.amount += e.settlementAmount;
    journals.set(e.journalId, journal);
  }

  const orderIds = [...new Set([...journals.values()].flatMap((j) => (j.orderId ? [j.orderId] : [])))];
  const paymentIds = [...journals.keys()].flatMap((id) => PAYMENT_JOURNAL.exec(id)?.slice(1, 2) ?? []);
  const purchaseOrderIds = [...new Set([...journals.keys()].flatMap((id) => purchaseOrderOfJournal(id) ?? []))];
  const poNumbers = new Map(
    purchaseOrderIds.length
      ? (await db.select({ id: purchaseOrders.id, number: purchaseOrders.number }).from(purchaseOrders).where(inArray(purchaseOrders.id, purchaseOrderIds))).map((p) => [p.id.toLowerCase(), p.number])
      : [],
  );
  const numbers = new Map(
    orderIds.length ? (await db.select({ id: orders.id, number: orders.number }).from(orders).where(inArray(orders.id, orderIds))).map((o) => [o.id, o.number]) : [],
  );
  const paymentReferences = new Map(
    paymentIds.length
      ? (await db.select({ id: payments.id, reference: payments.reference }).from(payments).where(inArray(payments.id, paymentIds))).map((p) => [p.id.toLowerCase(), p.reference])
      : [],
  );

  const day = new Intl.DateTimeFormat('en-CA', { timeZone: query.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return [...journals].map(([journalId, j]) => {
    const paymentId = PAYMENT_JOURNAL.exec(journalId)?.[1]?.toLowerCase();
    const purchaseOrderId = purchaseOrderOfJournal(journalId);
    const reference =
      (paymentId && paymentReferences.get(paymentId)) ||
      (purchaseOrderId && poNumbers.get(purchaseOrderId)) ||
      (j.orderId && numbers.get(j.orderId)) ||
      journalId;
    return {
      reference,
      kind: lineKindOf(j.kind),
      amount: j.amount,
      currency: j.currency,
      date: day.format(j.at),
      ...(j.orderId ? { orderId: j.orderId } : {}),
      description: j.memo,
    };
  });
}
