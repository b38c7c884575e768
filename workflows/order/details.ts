import type { OrderStatus } from '../../src/domain/order-status';
import type { OrderState } from './state';

// What the Temporal UI shows as the order's current details: in business words, what
// the order waits for now. When it needs an operator, the operator desk says so instead
// (workflows/kit/operator.ts). Never a customer's name, contact or address.

const WAITS_FOR: Record<OrderStatus, string> = {
  received: 'Received: about to be checked.',
  verifying: 'Being checked: customer, address and items against the catalogue.',
  needs_correction: 'Waits for the customer to correct it (POST /v1/orders/{id}/corrections) within the correction window; otherwise it is cancelled.',
  awaiting_stock_decision: 'Out of stock: waits for the customer to choose (wait, transfer, substitute, partial or cancel).',
  backordered: 'Backordered: waits for stock to arrive.',
  reserved: 'Stock reserved: a carrier and route are being planned.',
  planned: 'Planned: waits for its dispatch time.',
  awaiting_payment: 'Waits for payment to cover the order total before dispatch.',
  dispatched: 'Dispatched: waits for the carrier to pick it up.',
  in_transit: 'In transit with the carrier: waits for delivery.',
  out_for_delivery: 'Out for delivery: waits for the carrier to deliver it.',
  delivery_exception: 'A delivery problem is being resolved (see the order\'s incidents).',
  delivered: 'Delivered: waits for the customer to sign it off.',
  signed_off: 'Signed off.',
  awaiting_feedback: 'Waits for the customer\'s feedback.',
  settling: 'Being settled with the carrier and finance.',
  completed: 'Completed.',
  cancelled: 'Cancelled.',
  refunded: 'Refunded: nothing was kept.',
  awaiting_return: 'Waits for the goods finance agreed to take back (POST /v1/orders/{id}/returns/received), until the return window closes.',
};

export function orderDetails(state: Pick<OrderState, 'number' | 'status'>): string {
  return `**${state.number ?? 'New order'} · ${state.status}**\n\n${WAITS_FOR[state.status]}`;
}
