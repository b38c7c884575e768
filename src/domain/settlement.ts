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

export function settlementJournal(order: {
  id: string;
  number: string;
  totalAmount: number;
  currency: string;
  settlementMethod: SettlementMethod;
}): Journal {
  const journalId = `order-settlement:${order.id}`;
  const memo = `Order ${order.number} settled (${order.settlementMethod})`;
  if (order.totalAmount === 0) return { journalId, memo, currency: order.currency, lines: [] };
  return {
    journalId,
    memo,
    currency: order.currency,
    lines: [
      { account: DEBIT_ACCOUNT[order.settlementMethod], side: 'debit', amount: order.totalAmount },
      { account: 'revenue', side: 'credit', amount: order.totalAmount },
    ],
  };
}

export function isBalanced(journal: Journal): boolean {
  const total = (side: JournalLine['side']) =>
    journal.lines.filter((l) => l.side === side).reduce((n, l) => n + l.amount, 0);
  return total('debit') === total('credit');
}
