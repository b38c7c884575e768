import { customerKey, type OrderDraft } from './order';
import type { Channel, Priority } from './order-status';

// What operators filter orders by in the Temporal UI that the order's own details
// decide (status, stage and carrier are the workflow's to set). Pure, so the workflow
// can recompute it after a correction and intake can set it at start.

export interface OrderSearchFacts {
  customerId: string;
  channel: Channel;
  priority: Priority;
  region: string;
}

export function orderSearchFacts(draft: Pick<OrderDraft, 'customer' | 'channel' | 'priority'>): OrderSearchFacts {
  return {
    customerId: customerKey(draft.customer),
    channel: draft.channel,
    priority: draft.priority,
    region: draft.customer.address.region,
  };
}
