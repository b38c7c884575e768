// R6.1: money received for an order, as the order's workflow hears of it. The payment
// row and its `payment` ledger journal are written before the signal is sent, so the
// workflow only learns what is already recorded.

export const PAYMENT_METHODS = ['card', 'bank_transfer', 'cash', 'wallet', 'cod_remittance'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface PaymentNotice {
  paymentId: string;
  reference: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  method: PaymentMethod;
  /** The customer (prepaid, instalments) or the carrier remitting cash collected (COD). */
  payerKind: 'customer' | 'partner' | 'carrier' | 'supplier';
  payerId: string;
  /** Which instalment it pays, when the payer said so. */
  instalmentNumber?: number;
}
