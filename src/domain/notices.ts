import type { Customer } from './order';
import type { OrderStatus } from './order-status';

// R1.6, R3.2, R4.6: what the customer is told when their order moves. Every status a
// customer can act on or wait for is announced; the two momentary internal steps
// (verifying, settling) are not, so nobody gets two messages in the same second.

export interface NoticeContext {
  orderNumber: string;
  detail?: Record<string, unknown>;
}

export interface Notice {
  subject: string;
  body: string;
}

/** How a customer is told: the channels of the outbox. */
export type NotificationChannel = 'email' | 'sms' | 'phone' | 'webhook';

const SILENT: ReadonlySet<OrderStatus> = new Set(['verifying', 'settling']);

const TEXT: Record<OrderStatus, (n: string, d: Record<string, unknown>) => Notice> = {
  received: (n) => ({ subject: `We have your order ${n}`, body: `Thank you. Order ${n} is being checked.` }),
  verifying: (n) => ({ subject: `Checking order ${n}`, body: `Order ${n} is being checked.` }),
  needs_correction: (n, d) => ({
    subject: `Order ${n} needs a correction`,
    body: `We could not accept order ${n} as it stands: ${reasonsText(d)}. Please correct it so we can ship.`,
  }),
  awaiting_stock_decision: (n) => ({
    subject: `Order ${n}: some items are out of stock`,
    body: `Some items of order ${n} are out of stock. Tell us whether to wait or cancel.`,
  }),
  backordered: (n) => ({ subject: `Order ${n} is on back-order`, body: `Order ${n} will ship as soon as the stock arrives.` }),
  reserved: (n) => ({ subject: `Order ${n} confirmed`, body: `Your items for order ${n} are set aside for you.` }),
  planned: (n, d) => ({
    subject: `Order ${n} ships on ${String(d.shipDate ?? 'its planned date')}`,
    body: `Order ${n} will leave our warehouse on ${String(d.shipDate ?? 'its planned date')} with ${String(d.carrier ?? 'our carrier')}; expected delivery ${String(d.estimatedDelivery ?? 'soon')}.`,
  }),
  awaiting_payment: (n, d) => ({
    subject: `Order ${n} is waiting for your payment`,
    body: `Order ${n} ships once we receive your payment${typeof d.due === 'number' && typeof d.currency === 'string' ? ` of ${d.due} ${d.currency} (minor units)` : ''}.`,
  }),
  dispatched: (n, d) => ({
    subject: `Order ${n} has shipped`,
    body: `Order ${n} is with ${String(d.carrier ?? 'the carrier')}, tracking number ${String(d.trackingNumber ?? '')}.`.trim(),
  }),
  in_transit: (n) => ({ subject: `Order ${n} is on its way`, body: `Order ${n} is in transit.` }),
  out_for_delivery: (n) => ({ subject: `Order ${n} arrives today`, body: `Order ${n} is out for delivery.` }),
  delivery_exception: (n) => ({
    subject: `A problem with the delivery of order ${n}`,
    body: `The carrier reported a problem delivering order ${n}. We are on it and will contact you.`,
  }),
  delivered: (n) => ({
    subject: `Order ${n} was delivered`,
    body: `Order ${n} was delivered. Please check the packaging and quantities against the packing list and sign off.`,
  }),
  signed_off: (n) => ({ subject: `Order ${n} signed for`, body: `Thank you for signing for order ${n}.` }),
  awaiting_feedback: (n) => ({ subject: `How did we do with order ${n}?`, body: `Tell us how order ${n} went: rate us online, by e-mail or phone.` }),
  settling: (n) => ({ subject: `Order ${n} is being settled`, body: `Order ${n} is being settled.` }),
  completed: (n) => ({ subject: `Order ${n} is complete`, body: `Order ${n} is complete. Thank you for your custom.` }),
  cancelled: (n, d) => ({
    subject: `Order ${n} was cancelled`,
    body: `Order ${n} was cancelled${d.reason ? `: ${String(d.reason)}` : ''}. Any payment is refunded.`,
  }),
  refunded: (n, d) => ({
    subject: `Order ${n} was refunded`,
    body: `Order ${n} could not be delivered as ordered${d.reason ? ` (${String(d.reason)})` : ''}; what you paid for it is refunded.`,
  }),
  awaiting_return: (n) => ({
    subject: `Please send order ${n} back`,
    body: `We have agreed to take order ${n} back. Once the goods reach us, what you paid for them is refunded.`,
  }),
};

function reasonsText(detail: Record<string, unknown>): string {
  const reasons = Array.isArray(detail.reasons) ? (detail.reasons as { message?: unknown }[]) : [];
  return reasons.map((r) => String(r.message)).join('; ') || 'details are missing';
}

export function noticeFor(status: OrderStatus, context: NoticeContext): Notice | undefined {
  if (SILENT.has(status)) return undefined;
  return TEXT[status](context.orderNumber, context.detail ?? {});
}

/** Where to reach the customer: e-mail first; SMS when it is all we have or the news is for today. */
export function noticeChannels(customer: Customer, status: OrderStatus): { channel: NotificationChannel; recipient: string }[] {
  const out: { channel: NotificationChannel; recipient: string }[] = [];
  if (customer.email) out.push({ channel: 'email', recipient: customer.email });
  if (customer.phone && (!customer.email || status === 'out_for_delivery')) out.push({ channel: 'sms', recipient: customer.phone });
  return out;
}
