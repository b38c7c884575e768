import { multiply } from './money';
import type { Journal } from './settlement';

// Purchasing in the ledger: goods received against a purchase order are owed to the
// supplier from that moment (not when the order is placed, nor when the invoice comes).
// One journal per receipt, so a repeated receipt posts nothing new.

export interface PurchaseReceipt {
  purchaseOrderId: string;
  /** The purchase order's number (PO-1000001): what the supplier's statement quotes. */
  purchaseOrderNumber: string;
  /** The receipt's own identity (the stock movement's key): one journal per receipt. */
  receiptKey: string;
  supplier: string;
  sku: string;
  quantity: number;
  /** Purchase price per unit, minor units of `currency`. */
  unitCost: number;
  currency: string;
}

const JOURNAL_PREFIX = 'purchase:';

export const purchaseJournalId = (r: Pick<PurchaseReceipt, 'purchaseOrderId' | 'receiptKey'>) => `${JOURNAL_PREFIX}${r.purchaseOrderId}:${r.receiptKey}`;

/** The purchase order a purchase journal belongs to, from its id; undefined for any other journal. */
export function purchaseOrderOfJournal(journalId: string): string | undefined {
  return /^purchase:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):/i.exec(journalId)?.[1]?.toLowerCase();
}

/** What one receipt costs: quantity × unit cost, exact in minor units (a MoneyError otherwise). */
export function purchaseAmount(r: Pick<PurchaseReceipt, 'quantity' | 'unitCost'>): number {
  return multiply(r.unitCost, r.quantity);
}

/** Inventory in, owed to the supplier until its settlement run pays: debit inventory, credit supplier_payable. */
export function purchaseJournal(r: PurchaseReceipt): Journal {
  const amount = purchaseAmount(r);
  return {
    journalId: purchaseJournalId(r),
    memo: `${r.purchaseOrderNumber}: ${r.quantity} × ${r.sku} received from ${r.supplier}`.slice(0, 500),
    currency: r.currency,
    lines:
      amount > 0
        ? [
            { account: 'inventory', side: 'debit', amount },
            { account: 'supplier_payable', side: 'credit', amount },
          ]
        : [],
  };
}
