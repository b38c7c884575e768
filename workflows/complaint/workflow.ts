import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { NeedsAttentionKey } from '../../src/temporal/search-attributes';
import type { ComplaintActivities } from './activities';
import { complaintAnswered, complaintView, type ComplaintTicketStatus, type ComplaintView, type ComplaintWorkflowInput } from './messages';

// One complaint's durable timer (R1.10), under the id complaint-{id}: wait for the first
// response until the deadline, else flag the ticket overdue for an operator; then wait
// for it to be resolved, and if it is not within the escalation window, escalate once
// more and end. Nothing waits forever. The ticket itself is written by the API.

const tickets = proxyActivities<ComplaintActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const RANK: Record<ComplaintTicketStatus, number> = { open: 0, responded: 1, resolved: 2 };

export async function complaintWorkflow(input: ComplaintWorkflowInput): Promise<ComplaintView> {
  const view: ComplaintView = { complaintId: input.complaintId, status: 'open', overdue: false, escalated: false };
  // Signals and the database may say it in either order: only ever move forward.
  const advance = (status: ComplaintTicketStatus) => {
    if (RANK[status] > RANK[view.status]) view.status = status;
  };
  setHandler(complaintAnswered, ({ status }) => advance(status));
  setHandler(complaintView, () => view);
  let flagged = false;
  /** NeedsAttention in the Temporal UI too, where operators filter for it. */
  const flagInTemporal = (on: boolean) => {
    if (on === flagged) return;
    flagged = on;
    upsertSearchAttributes([{ key: NeedsAttentionKey, value: on }]);
  };

  const dueIn = Date.parse(input.responseDueAt) - Date.now();
  const answered = view.status !== 'open' || (dueIn > 0 && (await condition(() => view.status !== 'open', dueIn, { summary: 'response deadline' })));
  if (!answered) {
    const marked = await tickets.markComplaintOverdue({ complaintId: input.complaintId });
    advance(marked.status);
    if (marked.flagged) {
      view.overdue = true;
      flagInTemporal(true);
    }
  }

  const escalateAt = Date.now() + input.escalationWindowMs;
  while (view.status !== 'resolved') {
    // An operator's answer is the attention the flag asked for (the API clears the ticket's flag too).
    if (view.status === 'responded') flagInTemporal(false);
    const before = view.status;
    const left = escalateAt - Date.now();
    if (left > 0 && (await condition(() => view.status !== before, left, { summary: 'escalation window' }))) continue;
    const escalated = await tickets.escalateComplaint({ complaintId: input.complaintId });
    advance(escalated.status);
    view.escalated = escalated.escalated;
    if (escalated.escalated) flagInTemporal(true);
    break;
  }
  if (view.status === 'resolved') flagInTemporal(false);
  return view;
}
