// What integrators can subscribe to, read off the order's status changes (order_events).
// Payloads name the order and where it is, never who it is for: no name, e-mail, phone,
// address or free-text reason travels to a third party's server.

export const WEBHOOK_EVENT_TYPES = [
  'order.status_changed',
  'order.delivered',
  'order.completed',
  'order.cancelled',
  'order.refunded',
  'incident.opened',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One row of order_events with its order's number. */
export interface OrderEventRow {
  id: number;
  orderId: string;
  orderNumber: string;
  version: number;
  status: string;
  stage: string;
  detail: Record<string, unknown>;
  at: Date;
}

export interface WebhookEvent {
  type: WebhookEventType;
  /** The Standard Webhooks body: `{ type, timestamp, data }`. */
  body: { type: WebhookEventType; timestamp: string; data: Record<string, unknown> };
}

const ON_STATUS: Partial<Record<string, WebhookEventType>> = {
  delivered: 'order.delivered',
  completed: 'order.completed',
  cancelled: 'order.cancelled',
  refunded: 'order.refunded',
};

export function webhookEventsFor(e: OrderEventRow): WebhookEvent[] {
  const timestamp = e.at.toISOString();
  const order = { orderId: e.orderId, orderNumber: e.orderNumber, status: e.status, stage: e.stage, version: e.version, at: timestamp };
  const make = (type: WebhookEventType, data: Record<string, unknown>): WebhookEvent => ({ type, body: { type, timestamp, data } });
  const out = [make('order.status_changed', order)];
  const special = ON_STATUS[e.status];
  if (special) out.push(make(special, order));
  // The workflow writes the incident's id and kind (a fixed word) beside the status it opens.
  if (e.status === 'delivery_exception' && typeof e.detail.incidentId === 'string') {
    const kind = typeof e.detail.kind === 'string' ? e.detail.kind : undefined;
    out.push(make('incident.opened', { incidentId: e.detail.incidentId, kind, orderId: e.orderId, orderNumber: e.orderNumber, at: timestamp }));
  }
  return out;
}
