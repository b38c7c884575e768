import type { ComplaintTicketStatus } from './messages';

// The complaint workflow's activities (orders task queue), as contracts; the
// implementations live in activities/complaints.ts and satisfy these. Both read the
// ticket as the database has it, so an answer whose signal was lost still counts.

export interface ComplaintActivities {
  /** Flags the ticket overdue + needs attention and queues an operator notice, once, if it is still open. */
  markComplaintOverdue(input: { complaintId: string }): Promise<{ status: ComplaintTicketStatus; flagged: boolean }>;
  /** Flags the ticket needs attention and queues a last operator notice, once, unless it is resolved. */
  escalateComplaint(input: { complaintId: string }): Promise<{ status: ComplaintTicketStatus; escalated: boolean }>;
}
