import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { ledgerEntries, shipments } from '../src/db/schema';
import type { SettlementMethod } from '../src/domain/order-status';
import { carrierChargeJournal, settlementJournal } from '../src/domain/settlement';
import { paymentsFor } from '../src/finance/payments';
import type { PaymentsReceived } from '../workflows/order/activities';
import { postJournal } from './ledger';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// SETTLE (R6.1): the order's journals go into the ledger exactly once (unique per
// journal, account and side), in the same transaction as the order's last status.
// What was refunded (refund journals, activities/incidents.ts) is not revenue: the
// settlement posts the total less the refunds, and nothing when all of it went back.
// The sale credits the goods to `revenue` and the shipping we charged to
// `shipping_revenue`; what each carrier charges us for a shipment it carried is owed to
// it (`carrier_charge`, journal per shipment, settled with the carrier).

/** What the order has paid back so far: the debits of its refund journals (one per journal). */
export async function refundedSoFar(tx: Tx | Db, orderId: string): Promise<number> {
  const [row] = await tx
    .select({ amount: sql<string>`coalesce(sum(${ledgerEntries.amount}), 0)` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, orderId), eq(ledgerEntries.kind, 'refund'), eq(ledgerEntries.side, 'debit')));
  return Number(row?.amount ?? 0);
}

/** The carrier charges of an order: every shipment a carrier booked and did not void. */
export async function postCarrierCharges(tx: Tx, order: { id: string; number: string }): Promise<void> {
  const carried = await tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.orderId, order.id), isNotNull(shipments.bookedAt)))
    .orderBy(shipments.sequence);
  for (const s of carried) {
    if (s.closedAs === 'voided') continue;
    const journal = carrierChargeJournal({ shipmentId: s.id, orderNumber: order.number, carrier: s.carrier, amount: s.costAmount, currency: s.costCurrency });
    await postJournal(tx, order.id, journal, 'carrier_charge', { counterparty: { kind: 'carrier', id: s.carrier } });
  }
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
          shippingAmount: order.shippingAmount,
          currency: order.currency,
          settlementMethod: order.settlementMethod as SettlementMethod,
        });
        await postJournal(tx, order.id, journal, 'settlement');
        await postCarrierCharges(tx, order);
        await applyTransitions(tx, order, input.transitions);
        return { journalId: journal.journalId };
      });
    },

    /** R6.1: what a prepaid order has been paid so far, against its total. */
    async paymentsReceived(input: { orderId: string }): Promise<PaymentsReceived> {
      return paymentsFor(db, input.orderId);
    },
  };
}
