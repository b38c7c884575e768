import { and, eq, lt } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { notifications, orderEvents, orders } from '../src/db/schema';
import { noticeChannels, noticeFor } from '../src/domain/notices';
import { STAGE_OF_STATUS } from '../src/domain/order-status';
import { storableText } from '../src/domain/safe-text';
import type { Transition } from '../src/domain/transition';
import { orderMissing } from './failures';

// Writing an order's status. The workflow numbers every status change (its state
// version); each write says which number it is, so a retried activity writes nothing
// twice and a late one never moves the order backwards. The customer's notice for each
// change goes into the outbox in the same transaction (R1.5, R1.6).

export type { Transition };

export type OrderRow = typeof orders.$inferSelect;

/** Locks the order row for the rest of the transaction: one writer per order at a time. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!row) throw orderMissing(orderId);
  return row;
}

export async function applyTransitions(tx: Tx, order: OrderRow, transitions: readonly Transition[]): Promise<void> {
  if (transitions.length === 0) return;
  for (const t of transitions) {
    const inserted = await tx
      .insert(orderEvents)
      .values({ orderId: order.id, version: t.version, status: t.status, stage: STAGE_OF_STATUS[t.status], detail: t.detail ?? {} })
      .onConflictDoNothing()
      .returning({ id: orderEvents.id });
    if (inserted.length === 0) continue;
    const notice = noticeFor(t.status, { orderNumber: order.number, detail: t.detail });
    if (!notice) continue;
    const rows = noticeChannels(order.customer, t.status).map((to) => ({
      orderId: order.id,
      channel: to.channel,
      recipient: to.recipient,
      template: t.status,
      subject: notice.subject,
      body: notice.body,
      dedupeKey: `order:${order.id}:v${t.version}:${t.status}:${to.channel}`,
    }));
    if (rows.length > 0) await tx.insert(notifications).values(rows).onConflictDoNothing();
  }
  const last = transitions.reduce((a, b) => (b.version > a.version ? b : a));
  await tx
    .update(orders)
    .set({ status: last.status, stage: STAGE_OF_STATUS[last.status], stateVersion: last.version, updatedAt: new Date() })
    .where(and(eq(orders.id, order.id), lt(orders.stateVersion, last.version)));
}

export function createStatusActivities(db: Db) {
  return {
    /** A status change with nothing else to write (needs_correction, cancelled, …). */
    async recordStatus(input: { orderId: string; transitions: Transition[] }): Promise<void> {
      await db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        await applyTransitions(tx, order, input.transitions);
      });
    },

    /**
     * Raises or clears the flag that tells operators an order needs a human. A reason
     * sent with the flag down is a note (a refused operator action); clearing the flag
     * without one clears the reason too.
     */
    async recordAttention(input: { orderId: string; needsAttention: boolean; reason?: string }): Promise<void> {
      // The reason often quotes a failure, which may quote text Postgres refuses (a NUL
      // from a carrier): the flag must be recorded all the same.
      const reason = input.reason !== undefined ? storableText(input.reason) : null;
      await db
        .update(orders)
        .set({ needsAttention: input.needsAttention, attentionReason: reason, updatedAt: new Date() })
        .where(eq(orders.id, input.orderId));
    },
  };
}
