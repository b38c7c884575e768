import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import type { CarrierTrackingEvent } from '../src/carriers/carrier-gateway';
import type { Db, Tx } from '../src/db/client';
import { instalments, ledgerEntries, notifications, orders, payments, shipments } from '../src/db/schema';
import { formatMoney } from '../src/domain/money';
import { PAYMENT_METHODS, type PaymentMethod, type PaymentNotice } from '../src/domain/payments';
import { storableText } from '../src/domain/safe-text';
import { instalmentDueAt, splitInstalments } from '../src/domain/instalments';
import type { CollectionActivities, OpenedInstalment } from '../workflows/collection/activities';
import type { InstalmentStatus } from '../workflows/collection/messages';
import { noticeCustomer } from './delivery-goods';
import { postJournal } from './ledger';
import { lockOrder, type OrderRow } from './order-status';

// R6.1 collection: cash on delivery and instalments after SETTLE. The carrier's delivered
// event reports the cash it collected (posted here, once per shipment, from recordTracking);
// the collection workflow (workflows/collection/) reads what is owed and paid, writes the
// instalment schedule, duns, reminds and flags through these activities.

type ShipmentRow = typeof shipments.$inferSelect;

/**
 * The cash a carrier collected at the door becomes its debt to us: the receivable moves
 * from the customer to the carrier (`cod_collected`, journal `cod-collected:{shipment}`,
 * once). Called inside recordTracking's transaction with the events it is recording.
 */
export async function postCodCollected(
  tx: Tx,
  order: Pick<OrderRow, 'id' | 'number' | 'settlementMethod'>,
  events: readonly CarrierTrackingEvent[],
  mine: readonly Pick<ShipmentRow, 'id' | 'carrier' | 'trackingNumber'>[],
): Promise<number> {
  if (order.settlementMethod !== 'cash_on_delivery') return 0;
  let posted = 0;
  for (const event of events) {
    const cod = event.status === 'delivered' ? event.codCollected : undefined;
    if (!cod || !(cod.amount > 0)) continue;
    const shipment = mine.find((s) => s.carrier === event.carrier && (s.id === event.reference.toLowerCase() || s.trackingNumber === event.trackingNumber));
    if (!shipment) continue;
    await postJournal(
      tx,
      order.id,
      {
        journalId: `cod-collected:${shipment.id}`,
        memo: `Order ${order.number}: ${formatMoney(cod)} collected at the door by ${event.carrier}`,
        currency: cod.currency,
        lines: [
          { account: 'carrier_cod_receivable', side: 'debit', amount: cod.amount },
          { account: 'cod_receivable', side: 'credit', amount: cod.amount },
        ],
      },
      'cod_collected',
      { counterparty: { kind: 'carrier', id: event.carrier }, at: new Date(event.occurredAt) },
    );
    posted++;
  }
  return posted;
}

function toNotice(row: typeof payments.$inferSelect): PaymentNotice {
  return {
    paymentId: row.id,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    method: ((PAYMENT_METHODS as readonly string[]).includes(row.method) ? row.method : 'bank_transfer') as PaymentMethod,
    payerKind: row.payerKind as PaymentNotice['payerKind'],
    payerId: row.payerId,
    ...(row.instalmentNumber !== null ? { instalmentNumber: row.instalmentNumber } : {}),
  };
}

function toOpened(row: typeof instalments.$inferSelect): OpenedInstalment {
  return { number: row.number, amount: row.amount, dueAt: row.dueAt.toISOString(), status: row.status as InstalmentStatus, dunningNotices: row.dunningNotices };
}

export function createCollectionActivities(db: Db) {
  return {
    async openCollection(input) {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const paid = await tx.select().from(payments).where(eq(payments.orderId, order.id)).orderBy(asc(payments.receivedAt), asc(payments.createdAt));
        if (input.method === 'cash_on_delivery') {
          const collected = await tx
            .select()
            .from(ledgerEntries)
            .where(and(eq(ledgerEntries.orderId, order.id), eq(ledgerEntries.kind, 'cod_collected'), eq(ledgerEntries.side, 'debit')));
          const inCurrency = collected.filter((e) => e.currency === order.currency);
          // Nothing reported (a carrier that did not say): the order's total is owed.
          const expected = inCurrency.length > 0 ? inCurrency.reduce((n, e) => n + e.amount, 0) : order.totalAmount;
          const carrier =
            collected[0]?.counterpartyId ??
            (await tx.select({ carrier: shipments.carrier }).from(shipments).where(eq(shipments.orderId, order.id)).orderBy(asc(shipments.sequence)))[0]?.carrier;
          return { currency: order.currency, expected, ...(carrier ? { carrier } : {}), instalments: [], payments: paid.map(toNotice) };
        }
        const startedAt = Date.parse(input.startedAt);
        const amounts = splitInstalments(order.totalAmount, input.instalmentCount);
        if (amounts.length > 0) {
          await tx
            .insert(instalments)
            .values(
              amounts.map((amount, i) => ({
                orderId: order.id,
                number: i + 1,
                amount,
                currency: order.currency,
                dueAt: new Date(instalmentDueAt(startedAt, input.instalmentIntervalMs, i + 1)),
              })),
            )
            .onConflictDoNothing();
        }
        const schedule = await tx.select().from(instalments).where(eq(instalments.orderId, order.id)).orderBy(asc(instalments.number));
        return { currency: order.currency, expected: order.totalAmount, instalments: schedule.map(toOpened), payments: paid.map(toNotice) };
      });
    },

    async recordInstalmentsPaid(input) {
      if (input.numbers.length === 0) return;
      const now = new Date();
      await db
        .update(instalments)
        .set({ status: 'paid', paidAt: now, updatedAt: now })
        .where(and(eq(instalments.orderId, input.orderId), inArray(instalments.number, input.numbers), ne(instalments.status, 'paid')));
    },

    async dunInstalment(input) {
      await db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const [row] = await tx
          .select()
          .from(instalments)
          .where(and(eq(instalments.orderId, order.id), eq(instalments.number, input.number)));
        // Paid, or cancelled by a return: nothing to dun.
        if (!row || row.status === 'paid' || row.status === 'cancelled') return;
        await tx
          .update(instalments)
          .set({ status: 'overdue', dunningNotices: Math.max(row.dunningNotices, input.notice), updatedAt: new Date() })
          .where(and(eq(instalments.orderId, order.id), eq(instalments.number, input.number)));
        const amount = formatMoney({ amount: row.amount, currency: row.currency });
        const due = row.dueAt.toISOString().slice(0, 10);
        await noticeCustomer(tx, order, {
          key: `dunning:${order.id}:${input.number}:${input.notice}`,
          template: input.notice === 1 ? 'instalment_overdue' : 'instalment_overdue_second',
          subject: input.notice === 1 ? `Order ${order.number}: instalment ${input.number} is overdue` : `Order ${order.number}: second reminder, instalment ${input.number}`,
          body:
            input.notice === 1
              ? `Instalment ${input.number} of order ${order.number} (${amount}) was due on ${due}. Please pay it at your earliest convenience.`
              : `We have still not received instalment ${input.number} of order ${order.number} (${amount}, due ${due}). Please pay it now; otherwise our team will contact you.`,
        });
      });
    },

    async remindCodRemittance(input) {
      const [order] = await db.select({ id: orders.id, number: orders.number }).from(orders).where(eq(orders.id, input.orderId));
      if (!order) return;
      const carrier = input.carrier ?? 'the carrier';
      // To the carrier's account desk; operators see it in the outbox with the order.
      await db
        .insert(notifications)
        .values({
          orderId: order.id,
          channel: 'webhook',
          recipient: `carrier:${storableText(carrier)}`,
          template: 'cod_remittance_reminder',
          subject: `Order ${order.number}: cash on delivery not yet remitted`,
          body: `${carrier} collected ${formatMoney({ amount: input.amount, currency: input.currency })} for order ${order.number} at delivery; it was due to be remitted by ${input.dueAt}. Please remit it now.`,
          dedupeKey: `cod-reminder:${order.id}`,
        })
        .onConflictDoNothing();
    },

    async recordCollectionAttention(input) {
      const reason = input.reason !== undefined ? storableText(input.reason) : null;
      await db.update(orders).set({ needsAttention: input.needsAttention, attentionReason: reason, updatedAt: new Date() }).where(eq(orders.id, input.orderId));
    },
  } satisfies CollectionActivities;
}
