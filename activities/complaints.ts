import { ApplicationFailure } from '@temporalio/common';
import { and, eq, ne } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { complaints, notifications, orders } from '../src/db/schema';
import { OPERATORS, escalationNotice, overdueNotice } from '../src/complaints/rules';
import type { ComplaintActivities } from '../workflows/complaint/activities';

// What the complaint workflow writes when its timers run out (R1.10): the ticket's flags
// and an operator notice in the outbox, in one transaction. Each is conditional on the
// ticket as it now stands and the notice has a dedupe key, so a retry writes nothing twice
// and an answer recorded just before the timer fired wins.

function complaintMissing(id: string) {
  return ApplicationFailure.create({ type: 'ComplaintMissing', message: `complaint ${id} is not in the database`, nonRetryable: true });
}

export function createComplaintActivities(db: Db) {
  /** The ticket, locked for the rest of the transaction, with its order's number. */
  async function lockTicket(tx: Tx, id: string) {
    const [row] = await tx
      .select({ ticket: complaints, orderNumber: orders.number })
      .from(complaints)
      .leftJoin(orders, eq(orders.id, complaints.orderId))
      .where(eq(complaints.id, id))
      .for('update', { of: complaints });
    if (!row) throw complaintMissing(id);
    return row;
  }

  return {
    async markComplaintOverdue({ complaintId }) {
      return db.transaction(async (tx) => {
        const { ticket, orderNumber } = await lockTicket(tx, complaintId);
        if (ticket.status !== 'open') return { status: ticket.status, flagged: false };
        const notice = overdueNotice({ ...ticket, orderNumber });
        await tx
          .update(complaints)
          .set({ overdue: true, needsAttention: true, attentionReason: `no response by ${ticket.responseDueAt.toISOString()}`, updatedAt: new Date() })
          .where(and(eq(complaints.id, complaintId), eq(complaints.status, 'open')));
        await tx
          .insert(notifications)
          .values({ orderId: ticket.orderId, ...OPERATORS, template: 'complaint_overdue', ...notice, dedupeKey: `complaint:${complaintId}:overdue` })
          .onConflictDoNothing();
        return { status: ticket.status, flagged: true };
      });
    },

    async escalateComplaint({ complaintId }) {
      return db.transaction(async (tx) => {
        const { ticket, orderNumber } = await lockTicket(tx, complaintId);
        if (ticket.status === 'resolved') return { status: ticket.status, escalated: false };
        const notice = escalationNotice({ ...ticket, orderNumber });
        await tx
          .update(complaints)
          .set({ needsAttention: true, attentionReason: `still ${ticket.status} after the escalation window`, updatedAt: new Date() })
          .where(and(eq(complaints.id, complaintId), ne(complaints.status, 'resolved')));
        await tx
          .insert(notifications)
          .values({ orderId: ticket.orderId, ...OPERATORS, template: 'complaint_escalated', ...notice, dedupeKey: `complaint:${complaintId}:escalated` })
          .onConflictDoNothing();
        return { status: ticket.status, escalated: true };
      });
    },
  } satisfies ComplaintActivities;
}
