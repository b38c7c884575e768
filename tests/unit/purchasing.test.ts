import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoneyError } from '../../src/domain/money';
import { purchaseAmount, purchaseJournal, purchaseJournalId, purchaseOrderOfJournal, type PurchaseReceipt } from '../../src/domain/purchasing';
import { isBalanced } from '../../src/domain/settlement';

// A receipt against a purchase order is one balanced journal owed to the supplier, named
// by the receipt so it is posted once, and traceable back to its purchase order.

const receipt = fc.record({
  purchaseOrderId: fc.uuid(),
  purchaseOrderNumber: fc.integer({ min: 1_000_001, max: 9_999_999 }).map((n) => `PO-${n}`),
  receiptKey: fc.string({ minLength: 1, maxLength: 80 }).map((k) => `receipt:ref:BER-1:SKU:${k}`),
  supplier: fc.string({ minLength: 1, maxLength: 40 }),
  sku: fc.string({ minLength: 1, maxLength: 20 }),
  quantity: fc.integer({ min: 1, max: 100_000 }),
  unitCost: fc.integer({ min: 0, max: 10_000_000 }),
  currency: fc.constantFrom('EUR', 'GBP', 'JPY'),
}) satisfies fc.Arbitrary<PurchaseReceipt>;

describe('purchaseJournal', () => {
  it('balances, debits inventory and credits the supplier payable by quantity × unit cost exactly', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        const journal = purchaseJournal(r);
        expect(isBalanced(journal)).toBe(true);
        expect(journal.currency).toBe(r.currency);
        const amount = r.quantity * r.unitCost;
        expect(journal.lines).toEqual(
          amount === 0
            ? []
            : [
                { account: 'inventory', side: 'debit', amount },
                { account: 'supplier_payable', side: 'credit', amount },
              ],
        );
      }),
    );
  });

  it('is named by the receipt: the same receipt the same journal, another receipt another, each leading back to its purchase order', () => {
    fc.assert(
      fc.property(receipt, fc.string({ minLength: 1, maxLength: 20 }), (r, other) => {
        const id = purchaseJournal(r).journalId;
        expect(purchaseJournal({ ...r }).journalId).toBe(id);
        expect(purchaseJournalId({ ...r, receiptKey: `${r.receiptKey}${other}` })).not.toBe(id);
        expect(purchaseOrderOfJournal(id)).toBe(r.purchaseOrderId.toLowerCase());
      }),
    );
    expect(purchaseOrderOfJournal('payment:7b0d2a5e-5f3c-4c1e-9a43-0a8f5f0f6c11')).toBeUndefined();
    expect(purchaseOrderOfJournal('order-settlement:7b0d2a5e-5f3c-4c1e-9a43-0a8f5f0f6c11')).toBeUndefined();
  });

  it('refuses an amount that is not a whole, safe number of minor units', () => {
    expect(purchaseAmount({ quantity: 3, unitCost: 1_250 })).toBe(3_750);
    expect(() => purchaseAmount({ quantity: 2, unitCost: 0.5 })).toThrow(MoneyError);
    expect(() => purchaseAmount({ quantity: 2 ** 30, unitCost: 2 ** 30 })).toThrow(MoneyError);
  });
});
