// Complaints and suggestions (R1.10): what a ticket may be about, how it came in, and
// how an answer moves it. Pure: the API, the activities and the tests share these.

export const COMPLAINT_CATEGORIES = ['product_quality', 'delivery', 'service', 'billing', 'suggestion', 'other'] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

export const COMPLAINT_CHANNELS = ['phone', 'online', 'email', 'in_person'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];

export const COMPLAINT_STATUSES = ['open', 'responded', 'resolved'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

/** Filed against an order it is a complaint; against none, a suggestion. */
export const kindOf = (orderId: string | null | undefined): 'complaint' | 'suggestion' => (orderId ? 'complaint' : 'suggestion');

/** How far along a ticket is: a late signal never moves it back. */
export const statusRank = (status: ComplaintStatus): number => COMPLAINT_STATUSES.indexOf(status);

/**
 * The status after an operator's answer: the first answer moves open → responded, one
 * that resolves moves it to resolved. A resolved ticket takes no more answers (undefined).
 */
export function statusAfterResponse(current: ComplaintStatus, resolve: boolean): ComplaintStatus | undefined {
  if (current === 'resolved') return undefined;
  return resolve ? 'resolved' : 'responded';
}

/** Minutes between two times to two decimals, for the satisfaction metrics; null until the second happens. */
export function minutesBetween(from: Date, to: Date | null | undefined): number | null {
  if (!to) return null;
  return Math.round((to.getTime() - from.getTime()) / 600) / 100;
}

/** Unanswered past its deadline: flagged by its workflow, or about to be. */
export function isOverdue(ticket: { status: ComplaintStatus; overdue: boolean; responseDueAt: Date }, now: Date): boolean {
  return ticket.overdue || (ticket.status === 'open' && ticket.responseDueAt.getTime() < now.getTime());
}

/** Where operator notices go in the notifications outbox. */
export const OPERATORS = { channel: 'email', recipient: 'operators' } as const;

export function overdueNotice(t: { id: string; kind: string; category: string; orderNumber?: string | null; responseDueAt: Date }) {
  const about = t.orderNumber ? ` on order ${t.orderNumber}` : '';
  return {
    subject: `Overdue ${t.kind}${about}: no response yet`,
    body: `The ${t.category} ${t.kind} ${t.id}${about} was due a response by ${t.responseDueAt.toISOString()} and has none. Please respond: POST /v1/complaints/${t.id}/responses.`,
  };
}

export function escalationNotice(t: { id: string; kind: string; status: string; orderNumber?: string | null }) {
  const about = t.orderNumber ? ` on order ${t.orderNumber}` : '';
  return {
    subject: `Unresolved ${t.kind}${about}: escalated`,
    body: `The ${t.kind} ${t.id}${about} is still ${t.status} after the escalation window. It will not be chased again: please resolve it.`,
  };
}
