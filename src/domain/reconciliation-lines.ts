// R6.5: the one line format both parties' records are normalised into before matching
// (documented in the README). Amounts are integer minor units; `reference` is the key
// both sides share: the order number, the payment's reference, or the purchase order's number.

export const LINE_KINDS = ['sale', 'payment', 'refund', 'compensation', 'cod_collected', 'cod_remitted', 'carrier_charge', 'adjustment', 'write_off', 'purchase'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export interface StatementLine {
  /** What both sides call the transaction: an order number (OF-1000001), a payment reference, or a purchase order number (PO-1000001). */
  reference: string;
  kind: LineKind;
  /** Minor units, positive: the direction is in `kind`. */
  amount: number;
  currency: string;
  /** ISO date (YYYY-MM-DD) the transaction happened. */
  date: string;
  /** Our order id when we know it (our side always does). */
  orderId?: string;
  description?: string;
}

export const DISCREPANCY_KINDS = ['missing_theirs', 'missing_ours', 'amount_differs', 'currency_differs', 'duplicate'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

export const RESOLUTION_ACTIONS = ['adjust', 'reship', 'return', 'write_off'] as const;
export type ResolutionAction = (typeof RESOLUTION_ACTIONS)[number];

export interface DiscrepancyResolution {
  action: ResolutionAction;
  /** Minor units of the settlement currency: the adjustment or write-off; the difference when absent. */
  amount?: number;
  note: string;
  decidedBy: string;
}
