import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComplaintActivities } from '../../activities/complaints';
import { fileComplaint, respondToComplaint } from '../../src/complaints/complaint-store';
import type { Db } from '../../src/db/client';
import { complaints, notifications } from '../../src/db/schema';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// The complaint workflow's activities on a real database: what they flag, that a retry
// queues no second notice, and that an answer recorded first wins over the timer.

let testDb: TestDatabase;
let db: Db;
let acts: ReturnType<typeof createComplaintActivities>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db;
  acts = createComplaintActivities(db);
}, 90_000);

afterAll(() => testDb?.drop());

async function suggestion() {
  const filedAt = new Date();
  const { ticket } = await fileComplaint(db, {
    orderId: null,
    category: 'suggestion',
    channel: 'online',
    message: 'More tea',
    filedBy: 'integrator',
    filedAt,
    responseDueAt: filedAt,
  });
  return ticket.id;
}

const ticket = async (id: string) => (await db.select().from(complaints).where(eq(complaints.id, id)))[0]!;
const notices = (id: string) => db.select().from(notifications).where(like(notifications.dedupeKey, `complaint:${id}:%`));

describe('complaint activities', () => {
  it('flags an unanswered ticket overdue once, however often it is retried', async () => {
    const id = await suggestion();
    expect(await acts.markComplaintOverdue({ complaintId: id })).toEqual({ status: 'open', flagged: true });
    expect(await acts.markComplaintOverdue({ complaintId: id })).toEqual({ status: 'open', flagged: true });
    expect(await ticket(id)).toMatchObject({ overdue: true, needsAttention: true, status: 'open' });
    const queued = await notices(id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ orderId: null, recipient: 'operators', template: 'complaint_overdue', status: 'pending' });
  });

  it('leaves a ticket answered before the timer fired alone, and escalates only what is not resolved', async () => {
    const id = await suggestion();
    await respondToComplaint(db, id, { message: 'Noted', by: 'Olga', resolve: false });
    expect(await acts.markComplaintOverdue({ complaintId: id })).toEqual({ status: 'responded', flagged: false });
    expect(await ticket(id)).toMatchObject({ overdue: false, needsAttention: false });
    expect(await notices(id)).toHaveLength(0);

    expect(await acts.escalateComplaint({ complaintId: id })).toEqual({ status: 'responded', escalated: true });
    expect(await acts.escalateComplaint({ complaintId: id })).toEqual({ status: 'responded', escalated: true });
    expect(await ticket(id)).toMatchObject({ needsAttention: true, attentionReason: 'still responded after the escalation window' });
    expect((await notices(id)).map((n) => n.template)).toEqual(['complaint_escalated']);

    await respondToComplaint(db, id, { message: 'Done', by: 'Olga', resolve: true });
    expect(await acts.escalateComplaint({ complaintId: id })).toEqual({ status: 'resolved', escalated: false });
    expect(await ticket(id)).toMatchObject({ status: 'resolved', needsAttention: false });
  });

  it('a ticket that is not there is a non-retryable failure', async () => {
    const err = await acts.markComplaintOverdue({ complaintId: randomUUID() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });
});
