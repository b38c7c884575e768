// The words users see for where an order is. One list, shared by the database, the
// workflow, the API and the search attributes operators filter on in the Temporal UI.

export const ORDER_STAGES = [
  'verify',
  'reserve',
  'plan',
  'dispatch',
  'track',
  'sign_off',
  'feedback',
  'settle',
] as const;
export type OrderStage = (typeof ORDER_STAGES)[number];

export const ORDER_STATUSES = [
  'received',
  'verifying',
  'needs_correction',
  'awaiting_stock_decision',
  'backordered',
  'reserved',
  'planned',
  // R6.1: a prepaid order waits before DISPATCH until what was paid covers its total.
  'awaiting_payment',
  'dispatched',
  'in_transit',
  'out_for_delivery',
  'delivery_exception',
  'delivered',
  'signed_off',
  'awaiting_feedback',
  'settling',
  'completed',
  'cancelled',
  'refunded',
  // Finance decided a return (settlement aftercare): the goods are on their way back to us.
  'awaiting_return',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The stage an order is in while it shows a status. */
export const STAGE_OF_STATUS: Record<OrderStatus, OrderStage> = {
  received: 'verify',
  verifying: 'verify',
  needs_correction: 'verify',
  awaiting_stock_decision: 'reserve',
  backordered: 'reserve',
  reserved: 'reserve',
  planned: 'plan',
  awaiting_payment: 'dispatch',
  dispatched: 'dispatch',
  in_transit: 'track',
  out_for_delivery: 'track',
  delivery_exception: 'track',
  delivered: 'track',
  signed_off: 'sign_off',
  awaiting_feedback: 'feedback',
  settling: 'settle',
  completed: 'settle',
  cancelled: 'settle',
  // Nothing was kept: every line came back, was lost or damaged, and was paid back.
  refunded: 'settle',
  awaiting_return: 'settle',
};

export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['completed', 'cancelled', 'refunded']);

export const SETTLEMENT_METHODS = ['prepaid', 'cash_on_delivery', 'instalments'] as const;
export type SettlementMethod = (typeof SETTLEMENT_METHODS)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CHANNELS = [
  'web',
  'mobile_app',
  'marketplace',
  'store',
  'sales_rep',
  'phone',
  'partner',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Online, offline or third-party: the three kinds of channel the process names (R1.1). */
export const CHANNEL_KIND: Record<Channel, 'online' | 'offline' | 'third_party'> = {
  web: 'online',
  mobile_app: 'online',
  marketplace: 'online',
  store: 'offline',
  sales_rep: 'offline',
  phone: 'offline',
  partner: 'third_party',
};
