import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { postJournal } from '../../activities/ledger';
import type { Db, Tx } from '../db/client';
import { orders, payments, shipments } from '../db/schema';
import type { SettlementMethod } from '../domain/order-status';
import type { PaymentMethod, PaymentNotice } from '../domain/payments';
import type { Journal } from '../domain/settlement';
import { orderCounterparty, type Counterparty } from './settlement-terms';

// R6.1: money received for an order, recorded once per payer's reference. The payment row
// and its ledger journal are written in one transaction; the order's workflow (and its
// collection workflow) hear of it afterwards, so they only learn what is already recorded.
//
//   payment       debit cash / credit customer_prepayments (prepaid)
//                                 or instalment_receivable (instalments)
//   cod_remitted  debit cash / credit carrier_cod_receivable, settled with the carrier

export interface PaymentRequest {
  orderId: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  method: PaymentMethod;
  reference: string;
  instalmentNumber?: number;
  /** The carrier remitting cash it collected (method cod_remittance). */
  carrier?: string;
}

export type PaymentRow = typeof payments.$inferSelect;

export interface PaymentRefusal {
  status: 403 | 409 | 422;
  field: string;
  message: string;
}

export type PaymentOutcome =
  | { kind: 'recorded'; payment: PaymentRow }
  | { kind: 'repeat'; payment: PaymentRow }
  | { kind: 'refused'; refusal: PaymentRefusal };

/** Only a carrier's cash remittance may come with a carrier key. */
export const CARRIER_METHOD: PaymentMethod = 'cod_remittance';

const refused = (status: PaymentRefusal['status'], field: string, message: string): PaymentOutcome => ({ kind: 'refused', refusal: { status, field, message } });

export async function recordPayment(db: Db, request: PaymentRequest, caller: { role: string }): Promise<PaymentOutcome> {
  if (caller.role === 'carrier' && request.method !== CARRIER_METHOD) {
    return refused(403, 'method', `a carrier may only remit cash it collected (${CARRIER_METHOD})`);
  }
  if (request.method === CARRIER_METHOD && !request.carrier) return refused(422, 'carrier', `required with ${CARRIER_METHOD}: the carrier remitting the cash`);
  if (request.method !== CARRIER_METHOD && request.carrier) return refused(422, 'carrier', `only with ${CARRIER_METHOD}`);

  return db.transaction(async (tx) => {
    const before = await byReference(tx, request.reference);
    if (before) return sameOrConflict(before, request);

    const [order] = await tx.select().from(orders).where(eq(orders.id, request.orderId)).for('share');
    if (!order) return refused(422, 'orderId', `no order ${request.orderId}`);
    if (request.currency !== order.currency) return refused(422, 'currency', `the order is in ${order.currency}`);
    const method = order.settlementMethod as SettlementMethod;
    if (request.method === CARRIER_METHOD && method !== 'cash_on_delivery') {
      return refused(422, 'method', `${CARRIER_METHOD} is for cash-on-delivery orders; this one is ${method}`);
    }
    if (request.method !== CARRIER_METHOD && method === 'cash_on_delivery') {
      return refused(422, 'method', `a cash-on-delivery order is paid through its carrier (${CARRIER_METHOD})`);
    }
    if (request.instalmentNumber !== undefined && method !== 'instalments') return refused(422, 'instalmentNumber', `only for instalment orders; this one is ${method}`);

    let payer: Counterparty;
    if (request.method === CARRIER_METHOD) {
      const carriers = await tx.selectDistinct({ carrier: shipments.carrier }).from(shipments).where(eq(shipments.orderId, order.id));
      if (!carriers.some((c) => c.carrier === request.carrier)) {
        const known = carriers.map((c) => c.carrier).join(', ') || 'none yet';
        return refused(422, 'carrier', `${request.carrier} does not carry this order (its carriers: ${known})`);
      }
      payer = { kind: 'carrier', id: request.carrier! };
    } else {
      payer = await orderCounterparty(tx, order.id);
    }

    // Milliseconds, so the list's cursor names the row exactly.
    const now = new Date();
    const [inserted] = await tx
      .insert(payments)
      .values({
        id: randomUUID(),
        orderId: order.id,
        amount: request.amount,
        currency: request.currency,
        method: request.method,
        reference: request.reference,
        payerKind: payer.kind,
        payerId: payer.id,
        instalmentNumber: request.instalmentNumber ?? null,
        receivedAt: now,
        createdAt: now,
      })
      .onConflictDoNothing({ target: payments.reference })
      .returning();
    // Another request with this reference got there first (and committed): compare with it.
    if (!inserted) return sameOrConflict((await byReference(tx, request.reference))!, request);

    const cod = request.method === CARRIER_METHOD;
    await postJournal(tx, order.id, paymentJournal(inserted, method, order.number), cod ? 'cod_remitted' : 'payment', {
      counterparty: payer,
      at: now,
    });
    return { kind: 'recorded', payment: inserted };
  });
}

/** The journal a payment posts: cash in, against what the payer owed (or had paid ahead). */
export function paymentJournal(payment: PaymentRow, settlementMethod: SettlementMethod, orderNumber: string): Journal {
  const credit =
    payment.method === CARRIER_METHOD ? 'carrier_cod_receivable' : settlementMethod === 'instalments' ? 'instalment_receivable' : 'customer_prepayments';
  return {
    journalId: `payment:${payment.id}`,
    memo: `Order ${orderNumber}: ${payment.method} payment ${payment.reference}`.slice(0, 500),
    currency: payment.currency,
    lines: [
      { account: 'cash', side: 'debit', amount: payment.amount },
      { account: credit, side: 'credit', amount: payment.amount },
    ],
  };
}

async function byReference(tx: Tx, reference: string): Promise<PaymentRow | undefined> {
  const [row] = await tx.select().from(payments).where(eq(payments.reference, reference));
  return row;
}

/** A reference seen before: the same payment again, or another one under a used reference. */
function sameOrConflict(row: PaymentRow, request: PaymentRequest): PaymentOutcome {
  const same =
    row.orderId === request.orderId &&
    row.amount === request.amount &&
    row.currency === request.currency &&
    row.method === request.method &&
    (row.instalmentNumber ?? undefined) === request.instalmentNumber &&
    (request.method !== CARRIER_METHOD || row.payerId === request.carrier);
  if (same) return { kind: 'repeat', payment: row };
  return refused(409, 'reference', `reference ${request.reference} was already used for another payment (${row.id})`);
}

/** What the order's workflows are told. */
export function paymentNotice(row: PaymentRow): PaymentNotice {
  return {
    paymentId: row.id,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    method: row.method as PaymentMethod,
    payerKind: row.payerKind,
    payerId: row.payerId,
    ...(row.instalmentNumber !== null ? { instalmentNumber: row.instalmentNumber } : {}),
  };
}

/** The payments recorded for an order (each once) and the total they are to cover. */
export async function paymentsFor(db: Db | Tx, orderId: string) {
  const [order] = await db.select({ total: orders.totalAmount, currency: orders.currency }).from(orders).where(eq(orders.id, orderId));
  if (!order) throw new Error(`no order ${orderId}`);
  const rows = await db
    .select({ paymentId: payments.id, amount: payments.amount })
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.currency, order.currency)))
    .orderBy(payments.createdAt);
  return { total: order.total, currency: order.currency, payments: rows };
}

/** True once any money was received for the order: its price no longer changes. */
export async function hasPayments(db: Db | Tx, orderId: string): Promise<boolean> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(payments).where(eq(payments.orderId, orderId));
  return (row?.n ?? 0) > 0;
}
