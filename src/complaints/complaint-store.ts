import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { complaintResponses, complaints, orders } from '../db/schema';
import { isOverdue, kindOf, minutesBetween, statusAfterResponse, type ComplaintCategory, type ComplaintChannel, type ComplaintStatus } from './rules';

// Complaint tickets in the system of record (R1.10). The API files and answers them here;
// the ticket's workflow only flags it when its deadlines pass (activities/complaints.ts).

type ComplaintRow = typeof complaints.$inferSelect;
type ResponseRow = typeof complaintResponses.$inferSelect;

export interface ComplaintFiling {
  orderId: string | null;
  category: ComplaintCategory;
  channel: ComplaintChannel;
  message: string;
  filedBy: string;
  filedAt: Date;
  responseDueAt: Date;
  idempotencyKey?: string;
}

/** Files a ticket; the same idempotency key files nothing new and returns the first (created false). */
export async function fileComplaint(db: Db, filing: ComplaintFiling): Promise<{ ticket: ComplaintRow; created: boolean }> {
  const [inserted] = await db
    .insert(complaints)
    .values({
      id: randomUUID(),
      kind: kindOf(filing.orderId),
      orderId: filing.orderId,
      category: filing.category,
      channel: filing.channel,
      message: filing.message,
      filedBy: filing.filedBy,
      // The deadline is counted from this same instant.
      createdAt: filing.filedAt,
      responseDueAt: filing.responseDueAt,
      idempotencyKey: filing.idempotencyKey ?? null,
    })
    .onConflictDoNothing({ target: complaints.idempotencyKey })
    .returning();
  if (inserted) return { ticket: inserted, created: true };
  const [existing] = await db.select().from(complaints).where(eq(complaints.idempotencyKey, filing.idempotencyKey!));
  return { ticket: existing!, created: false };
}

/** Takes back a ticket whose timer could not be started: the caller was told it failed. */
export async function withdrawComplaint(db: Db, id: string): Promise<void> {
  await db.delete(complaints).where(and(eq(complaints.id, id), eq(complaints.status, 'open')));
}

export type ResponseOutcome =
  | { kind: 'answered'; ticket: ComplaintRow }
  | { kind: 'missing' }
  | { kind: 'resolved'; ticket: ComplaintRow };

/**
 * Records an operator's answer and moves the ticket on: the first answer to responded,
 * one that resolves to resolved with its time and note. Any answer is the attention an
 * overdue ticket asked for. A resolved ticket takes no more.
 */
export async function respondToComplaint(db: Db, id: string, answer: { message: string; by: string; resolve: boolean }): Promise<ResponseOutcome> {
  return db.transaction(async (tx) => {
    const [ticket] = await tx.select().from(complaints).where(eq(complaints.id, id)).for('update');
    if (!ticket) return { kind: 'missing' };
    const next = statusAfterResponse(ticket.status, answer.resolve);
    if (!next) return { kind: 'resolved', ticket };
    const now = new Date();
    await tx.insert(complaintResponses).values({ complaintId: id, message: answer.message, by: answer.by, resolves: answer.resolve, at: now });
    const [updated] = await tx
      .update(complaints)
      .set({
        status: next,
        respondedAt: ticket.respondedAt ?? now,
        ...(next === 'resolved' ? { resolvedAt: now, resolution: answer.message } : {}),
        needsAttention: false,
        attentionReason: null,
        updatedAt: now,
      })
      .where(eq(complaints.id, id))
      .returning();
    return { kind: 'answered', ticket: updated! };
  });
}

export function complaintJson(c: ComplaintRow, orderNumber: string | null, now = new Date()) {
  return {
    id: c.id,
    kind: c.kind,
    orderId: c.orderId,
    orderNumber,
    category: c.category,
    channel: c.channel,
    message: c.message,
    status: c.status,
    filedBy: c.filedBy,
    responseDueAt: c.responseDueAt.toISOString(),
    overdue: isOverdue(c, now),
    needsAttention: c.needsAttention,
    attentionReason: c.attentionReason,
    resolution: c.resolution,
    createdAt: c.createdAt.toISOString(),
    respondedAt: c.respondedAt?.toISOString() ?? null,
    resolvedAt: c.resolvedAt?.toISOString() ?? null,
    minutesToFirstResponse: minutesBetween(c.createdAt, c.respondedAt),
    minutesToResolution: minutesBetween(c.createdAt, c.resolvedAt),
    workflowId: `complaint-${c.id}`,
  };
}

const responseJson = (r: ResponseRow) => ({ message: r.message, by: r.by, resolves: r.resolves, at: r.at.toISOString() });

/** One ticket with its answers, in order; undefined when there is none. */
export async function findComplaint(db: Db, id: string) {
  const [row] = await db
    .select({ ticket: complaints, orderNumber: orders.number })
    .from(complaints)
    .leftJoin(orders, eq(orders.id, complaints.orderId))
    .where(eq(complaints.id, id));
  if (!row) return undefined;
  const answers = await db.select().from(complaintResponses).where(eq(complaintResponses.complaintId, id)).orderBy(asc(complaintResponses.id));
  return { ...complaintJson(row.ticket, row.orderNumber), responses: answers.map(responseJson) };
}

/** An order's tickets, oldest first, as GET /v1/orders/{id} shows them. */
export async function complaintsOfOrder(db: Db, orderId: string) {
  const rows = await db.select().from(complaints).where(eq(complaints.orderId, orderId)).orderBy(asc(complaints.createdAt), asc(complaints.id));
  const now = new Date();
  return rows.map((c) => {
    const { orderId: _orderId, orderNumber: _orderNumber, ...rest } = complaintJson(c, null, now);
    return rest;
  });
}

export interface ComplaintFilters {
  status?: ComplaintStatus[];
  category?: ComplaintCategory[];
  channel?: ComplaintChannel[];
  kind?: 'complaint' | 'suggestion';
  orderId?: string;
  overdue?: boolean;
  needsAttention?: boolean;
  from?: Date;
  to?: Date;
  limit: number;
  after?: { createdAt: Date; id: string };
}

/** Tickets newest first, keyset-paged on (createdAt, id). */
export async function listComplaints(db: Db, q: ComplaintFilters) {
  const where: SQL[] = [];
  if (q.status) where.push(inArray(complaints.status, q.status));
  if (q.category) where.push(inArray(complaints.category, q.category));
  if (q.channel) where.push(inArray(complaints.channel, q.channel));
  if (q.kind) where.push(eq(complaints.kind, q.kind));
  if (q.orderId) where.push(eq(complaints.orderId, q.orderId));
  if (q.needsAttention !== undefined) where.push(eq(complaints.needsAttention, q.needsAttention));
  if (q.overdue !== undefined) {
    // As isOverdue says: flagged, or still open past its deadline (its timer about to fire).
    const overdue = sql`(${complaints.overdue} or (${complaints.status} = 'open' and ${complaints.responseDueAt} < now()))`;
    where.push(q.overdue ? overdue : sql`not ${overdue}`);
  }
  if (q.from) where.push(gte(complaints.createdAt, q.from));
  if (q.to) where.push(lte(complaints.createdAt, q.to));
  if (q.after) {
    const { createdAt, id } = q.after;
    where.push(or(lt(complaints.createdAt, createdAt), and(eq(complaints.createdAt, createdAt), lt(complaints.id, id)))!);
  }
  const rows = await db
    .select({ ticket: complaints, orderNumber: orders.number })
    .from(complaints)
    .leftJoin(orders, eq(orders.id, complaints.orderId))
    .where(and(...where))
    .orderBy(desc(complaints.createdAt), desc(complaints.id))
    .limit(q.limit + 1);
  return rows;
}
