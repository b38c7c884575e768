import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../src/db/client';
import { notifications, orderItems, reservations, shipments } from '../src/db/schema';
import { minorDigits, multiply, sum } from '../src/domain/money';
import { noticeChannels } from '../src/domain/notices';
import type { OrderRow } from './order-status';

// What the delivery-exception activities share: an order's shipments, the goods each
// one carries, what the customer paid for them, and a notice to the customer.

export type ShipmentRow = typeof shipments.$inferSelect;
export type ReservationRow = typeof reservations.$inferSelect;

/** The order's shipments among `ids`, by sequence, locked for the transaction (ids of other orders are ignored). */
export async function shipmentsOfOrder(tx: Tx, orderId: string, ids: readonly string[]): Promise<ShipmentRow[]> {
  if (ids.length === 0) return [];
  return tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.orderId, orderId), inArray(shipments.id, [...new Set(ids.map((id) => id.toLowerCase()))])))
    .orderBy(asc(shipments.sequence))
    .for('update');
}

/**
 * The goods a shipment carries: its fulfilment's reservation rows at its warehouse (one
 * per order line), whatever became of them (held, shipped, or released when the
 * shipment was voided before pickup).
 */
export async function goodsOf(tx: Tx, orderId: string, shipment: Pick<ShipmentRow, 'fulfilment' | 'warehouseCode'>): Promise<ReservationRow[]> {
  return tx
    .select()
    .from(reservations)
    .where(
      and(
        eq(reservations.orderId, orderId),
        eq(reservations.fulfilment, shipment.fulfilment),
        eq(reservations.warehouseCode, shipment.warehouseCode),
      ),
    )
    .orderBy(asc(reservations.line));
}

/** What the customer paid for these goods: Σ unit price × quantity, in minor units. */
export async function paidFor(tx: Tx, orderId: string, goods: readonly Pick<ReservationRow, 'line' | 'quantity'>[]): Promise<number> {
  if (goods.length === 0) return 0;
  const prices = new Map((await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId))).map((i) => [i.line, i.unitPrice]));
  return sum(goods.map((g) => multiply(prices.get(g.line) ?? 0, g.quantity)));
}

/**
 * A customer notice about the delivery (not a status change) into the outbox, once per
 * `key`: a retried activity writes it once.
 */
export async function noticeCustomer(
  tx: Tx,
  order: OrderRow,
  notice: { key: string; template: string; subject: string; body: string },
): Promise<void> {
  const rows = noticeChannels(order.customer, 'delivery_exception').map((to) => ({
    orderId: order.id,
    channel: to.channel,
    recipient: to.recipient,
    template: notice.template,
    subject: notice.subject,
    body: notice.body,
    dedupeKey: `${notice.key}:${to.channel}`,
  }));
  if (rows.length > 0) await tx.insert(notifications).values(rows).onConflictDoNothing();
}

/** Minor units as the customer reads them: 1290 EUR → "12.90 EUR". */
export function moneyText(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}
