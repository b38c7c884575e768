import type { SettlementMethod } from './order-status';

// SETTLE (R6.1): the journal an order posts when it is done. Double entry, so every
// journal balances; which accounts depends on how the customer pays.

export interface JournalLine {
  account: string;
  side: 'debit' | 'credit';
  amount: number;
}

export interface Journal {
  journalId: string;
  memo: string;
  currency: string;
  lines: JournalLine[];
}

const DEBIT_ACCOUNT: Record<SettlementMethod, string> = {
  // The customer paid up front: the prepayment we held becomes revenue.
  prepaid: 'customer_prepayments',
  // The carrier collected cash at the door and owes it to us.
  cash_on_delivery: 'cod_receivable',
  // The customer pays over time: a receivable, collected by later settlement runs.
  instalments: 'instalment_receivable',
};

/**
 * The sale: what the customer owes for the order (its total less refunds) leaves the
 * account of the settlement method and becomes revenue — the goods as `revenue`, what we
 * charged for shipping as `shipping_revenue`. Refunds are of goods, so shipping comes
 * first out of what is left, and goods take the rest.
 */
export function settlementJournal(order: {
  id: string;
  number: string;
  /** What is settled: the order's total less what was refunded. */
  totalAmount: number;
  /** The shipping charged in that total (0, or absent, for none). */
  shippingAmount?: number;
  currency: string;
  settlementMethod: SettlementMethod;
}): Journal {
  const journalId = `order-settlement:${order.id}`;
  const memo = `Order ${order.number} settled (${order.settlementMethod})`;
  if (order.totalAmount === 0) return { journalId, memo, currency: order.currency, lines: [] };
  const shipping = Math.min(Math.max(0, order.shippingAmount ?? 0), order.totalAmount);
  const goods = order.totalAmount - shipping;
  return {
    journalId,
    memo,
    currency: order.currency,
    lines: [
      { account: DEBIT_ACCOUNT[order.settlementMethod], side: 'debit', amount: order.totalAmount },
      ...(goods > 0 ? [{ account: 'revenue', side: 'credit' as const, amount: goods }] : []),
      ...(shipping > 0 ? [{ account: 'shipping_revenue', side: 'credit' as const, amount: shipping }] : []),
    ],
  };
}

/**
 * What a carrier charges us for one shipment, owed to it until its settlement run pays:
 * an expense against the shipping we charged the customer. One journal per shipment.
 */
export function carrierChargeJournal(shipment: {
  shipmentId: string;
  orderNumber: string;
  carrier: string;
  amount: number;
  currency: string;
}): Journal {
  return {
    journalId: `carrier-charge:${shipment.shipmentId}`,
    memo: `Order ${shipment.orderNumber}: ${shipment.carrier} shipping charge`,
    currency: shipment.currency,
    lines:
      shipment.amount > 0
        ? [
            { account: 'shipping_expense', side: 'debit', amount: shipment.amount },
            { account: 'carrier_payable', side: 'credit', amount: shipment.amount },
          ]
        : [],
  };
}

export function isBalanced(journal: Journal): boolean {
  const total = (side: JournalLine['side']) =>
    journal.lines.filter((l) => l.side === side).reduce((n, l) => n + l.amount, 0);
  return total('debit') === total('credit');
}

/** What a refund pays back out of: the prepayment we hold, or a refund owed on the others. */
const REFUND_DEBIT: Record<SettlementMethod, string> = {
  prepaid: 'customer_prepayments',
  cash_on_delivery: 'customer_refunds',
  instalments: 'customer_refunds',
};

/** The one shape of a refund: the customer's money goes back out of cash. */
export function refundJournal(
  order: { number: string; currency: string; settlementMethod: string },
  journalId: string,
  reason: string,
  amount: number,
): Journal {
  return {
    journalId,
    memo: `Order ${order.number}: refund (${reason})`.slice(0, 500),
    currency: order.currency,
    lines: [
      { account: REFUND_DEBIT[order.settlementMethod as SettlementMethod] ?? 'customer_refunds', side: 'debit', amount },
      { account: 'cash', side: 'credit', amount },
    ],
  };
}
