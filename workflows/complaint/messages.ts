import { defineQuery, defineSignal } from '@temporalio/workflow';

// Messages of the complaint workflow (R1.10). Names are in histories: never rename one.

export const COMPLAINT_WORKFLOW_TYPE = 'complaintWorkflow';
export const complaintWorkflowId = (complaintId: string) => `complaint-${complaintId}`;

export type ComplaintTicketStatus = 'open' | 'responded' | 'resolved';

export interface ComplaintWorkflowInput {
  complaintId: string;
  /** When a first response is due (ISO 8601); the deadline itself is stored on the ticket. */
  responseDueAt: string;
  /** After the deadline or the first response, how long the ticket may stay unresolved before a last escalation (ms, scaled). */
  escalationWindowMs: number;
}

/** An operator answered (POST /v1/complaints/{id}/responses): the ticket's status as it now is. */
export const complaintAnswered = defineSignal<[{ status: ComplaintTicketStatus }]>('complaintAnswered');

export interface ComplaintView {
  complaintId: string;
  status: ComplaintTicketStatus;
  overdue: boolean;
  escalated: boolean;
}
export const complaintView = defineQuery<ComplaintView>('view');
