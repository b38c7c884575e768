import type { Channel, Priority, SettlementMethod } from './order-status';

// The order as an integrator states it: the input of the order workflow and of
// verification. Amounts are minor units in the order's currency.

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export interface Customer {
  /** The integrator's own customer reference, when it has one. */
  id?: string;
  name: string;
  email?: string;
  phone?: string;
  address: Address;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
  /** When the integrator states them, they must match the catalogue (R1.3). */
  name?: string;
  spec?: string;
}

export interface OrderDraft {
  externalId?: string;
  channel: Channel;
  /** For third-party orders, the partner platform it came from. */
  partner?: string;
  priority: Priority;
  currency: string;
  customer: Customer;
  items: OrderLine[];
  /** `instalments`: how many, for an instalment order (else the configured count). */
  settlement: { method: SettlementMethod; instalments?: number };
  requestedDeliveryBy?: string;
}

/** Who the order is for, as operators filter it: the integrator's id, else e-mail, else phone. */
export function customerKey(customer: Customer): string {
  return customer.id ?? customer.email?.toLowerCase() ?? customer.phone ?? customer.name;
}

/** What operators filter orders by (the order's search attributes), as the draft states it. */
export function orderSearchFields(draft: Pick<OrderDraft, 'customer' | 'channel' | 'priority'>) {
  return {
    customerId: customerKey(draft.customer),
    channel: draft.channel,
    priority: draft.priority,
    region: draft.customer.address.region,
  };
}
