import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComplaintActivities } from '../../workflows/complaint/activities';
import { complaintAnswered, complaintView, complaintWorkflowId, type ComplaintTicketStatus, type ComplaintWorkflowInput } from '../../workflows/complaint/messages';
import { waitFor } from '../helpers/wait-for';
import { startTestWorker, type TestWorker } from '../helpers/workflow-worker';

// The complaint workflow alone: the real Temporal server and workflow code, with the
// ticket activities replaced by an in-memory table of tickets that records its calls.
// What the e2e test cannot arrange: an answer whose signal never arrived.

const LONG_MS = 60_000;

class FakeTickets {
  readonly status = new Map<string, ComplaintTicketStatus>();
  readonly calls: { name: keyof ComplaintActivities; complaintId: string }[] = [];

  activities(): ComplaintActivities {
    return {
      markComplaintOverdue: async ({ complaintId }) => {
        this.calls.push({ name: 'markComplaintOverdue', complaintId });
        const status = this.status.get(complaintId) ?? 'open';
        return { status, flagged: status === 'open' };
      },
      escalateComplaint: async ({ complaintId }) => {
        this.calls.push({ name: 'escalateComplaint', complaintId });
        const status = this.status.get(complaintId) ?? 'open';
        return { status, escalated: status !== 'resolved' };
      },
    };
  }

  callsOf(complaintId: string) {
    return this.calls.filter((c) => c.complaintId === complaintId).map((c) => c.name);
  }
}

describe('complaint workflow', () => {
  const fake = new FakeTickets();
  let testWorker: TestWorker;
  let client: Client;
  let taskQueue: string;

  beforeAll(async () => {
    testWorker = await startTestWorker('complaint', fake.activities());
    ({ client, taskQueue } = testWorker);
  });
  afterAll(() => testWorker?.stop());

  const start = (complaintId: string, dueInMs: number, escalationWindowMs: number) => {
    const input: ComplaintWorkflowInput = { complaintId, responseDueAt: new Date(Date.now() + dueInMs).toISOString(), escalationWindowMs };
    return client.workflow.start('complaintWorkflow', { workflowId: complaintWorkflowId(complaintId), taskQueue, args: [input] });
  };

  it('answered and resolved in time: nothing is flagged and it ends', async () => {
    const id = randomUUID();
    const handle = await start(id, LONG_MS, LONG_MS);
    await handle.signal(complaintAnswered, { status: 'responded' });
    await waitFor(async () => (await handle.query(complaintView)).status === 'responded', { message: 'responded' });
    // A late, stale signal never moves it back.
    await handle.signal(complaintAnswered, { status: 'resolved' });
    await handle.signal(complaintAnswered, { status: 'responded' });
    expect(await handle.result()).toEqual({ complaintId: id, status: 'resolved', overdue: false, escalated: false });
    expect(fake.callsOf(id)).toEqual([]);
  });

  it('an answer the workflow was never told of is read from the ticket: not flagged overdue, and resolved ends it', async () => {
    const id = randomUUID();
    fake.status.set(id, 'resolved');
    const handle = await start(id, 10, LONG_MS);
    expect(await handle.result()).toEqual({ complaintId: id, status: 'resolved', overdue: false, escalated: false });
    expect(fake.callsOf(id)).toEqual(['markComplaintOverdue']);
  });

  it('unanswered: flagged overdue once, then escalated once after the window, then it ends', async () => {
    const id = randomUUID();
    const handle = await start(id, 10, 10);
    expect(await handle.result()).toEqual({ complaintId: id, status: 'open', overdue: true, escalated: true });
    expect(fake.callsOf(id)).toEqual(['markComplaintOverdue', 'escalateComplaint']);
  });
});
