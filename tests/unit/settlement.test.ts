import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SETTLEMENT_METHODS, type SettlementMethod } from '../../src/domain/order-status';
import { carrierChargeJournal, isBalanced, settlementJournal, type Journal } from '../../src/domain/settlement';

// SETTLE (R6.1): one balanced double-entry journal per order, accounts by settlement method.

const order = (settlementMethod: SettlementMethod, totalAmount = 4_080) => ({
  id: 'a3f1c9de-0000-4000-8000-000000000042',
  number: 'OF-1042',
  totalAmount,
  currency: 'EUR',
  settlementMethod,
});

const sideTotal = (j: Journal, side: 'debit' | 'credit') => j.lines.filter((l) => l.side === side).reduce((n, l) => n + l.amount, 0);

describe('settlementJournal', () => {
  it('debits the account of the settlement method and credits revenue', () => {
    const expected: Record<SettlementMethod, string> = {
      prepaid: 'customer_prepayments',
      cash_on_delivery: 'cod_receivable',
      instalments: 'instalment_receivable',
    };
    for (const method of SETTLEMENT_METHODS) {
      expect(settlementJournal(order(method)).lines).toEqual([
        { account: expected[method], side: 'debit', amount: 4_080 },
        { account: 'revenue', side: 'credit', amount: 4_080 },
      ]);
    }
  });

  it('is balanced for every method and any whole non-negative total', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETTLEMENT_METHODS), fc.maxSafeNat(), (method, total) => {
        const journal = settlementJournal(order(method, total));
        expect(isBalanced(journal)).toBe(true);
        expect(sideTotal(journal, 'debit')).toBe(total);
        expect(sideTotal(journal, 'credit')).toBe(total);
        expect(journal.currency).toBe('EUR');
      }),
    );
  });

  it('posts no lines for a zero total', () => {
    for (const method of SETTLEMENT_METHODS) expect(settlementJournal(order(method, 0)).lines).toEqual([]);
  });

  it('has one journal id per order, whatever the amount or method, so a retry posts nothing twice', () => {
    const a = settlementJournal(order('prepaid', 100));
    const b = settlementJournal(order('instalments', 999));
    expect(a.journalId).toBe('order-settlement:a3f1c9de-0000-4000-8000-000000000042');
    expect(b.journalId).toBe(a.journalId);
    expect(settlementJournal({ ...order('prepaid'), id: 'other' }).journalId).not.toBe(a.journalId);
    expect(a.memo).toContain('OF-1042');
    expect(a.memo).toContain('prepaid');
  });
});

describe('isBalanced', () => {
  it('tells a balanced journal from an unbalanced one', () => {
    const journal: Journal = { journalId: 'j', memo: 'm', currency: 'EUR', lines: [] };
    expect(isBalanced(journal)).toBe(true);
    expect(isBalanced({ ...journal, lines: [{ account: 'cash', side: 'debit', amount: 5 }] })).toBe(false);
    expect(
      isBalanced({
        ...journal,
        lines: [
          { account: 'cash', side: 'debit', amount: 5 },
          { account: 'revenue', side: 'credit', amount: 3 },
          { account: 'tax', side: 'credit', amount: 2 },
        ],
      }),
    ).toBe(true);
  });
});

describe('settlementJournal with shipping (R6.1)', () => {
  it('credits the goods to revenue and the shipping charged to shipping_revenue', () => {
    expect(settlementJournal({ ...order('prepaid', 4_080 + 590), shippingAmount: 590 }).lines).toEqual([
      { account: 'customer_prepayments', side: 'debit', amount: 4_670 },
      { account: 'revenue', side: 'credit', amount: 4_080 },
      { account: 'shipping_revenue', side: 'credit', amount: 590 },
    ]);
  });

  it('never credits more shipping than is settled, and never a zero line', () => {
    expect(settlementJournal({ ...order('cash_on_delivery', 300), shippingAmount: 590 }).lines).toEqual([
      { account: 'cod_receivable', side: 'debit', amount: 300 },
      { account: 'shipping_revenue', side: 'credit', amount: 300 },
    ]);
    expect(settlementJournal({ ...order('instalments', 300), shippingAmount: 0 }).lines.map((l) => l.account)).toEqual(['instalment_receivable', 'revenue']);
  });

  it('splits any settled total into goods and shipping that add up to it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETTLEMENT_METHODS), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), (method, total, shipping) => {
        const journal = settlementJournal({ ...order(method, total), shippingAmount: shipping });
        expect(isBalanced(journal)).toBe(true);
        expect(sideTotal(journal, 'debit')).toBe(total);
        const credit = (account: string) => journal.lines.filter((l) => l.account === account).reduce((n, l) => n + l.amount, 0);
        expect(credit('shipping_revenue')).toBe(Math.min(shipping, total));
        expect(credit('revenue') + credit('shipping_revenue')).toBe(total);
        expect(journal.lines.every((l) => l.amount > 0)).toBe(true);
      }),
    );
  });
});

describe('carrierChargeJournal', () => {
  it('owes the carrier what it charged for one shipment, once per shipment', () => {
    const journal = carrierChargeJournal({ shipmentId: 's-1', orderNumber: 'OF-1042', carrier: 'dhl', amount: 650, currency: 'EUR' });
    expect(journal).toMatchObject({ journalId: 'carrier-charge:s-1', currency: 'EUR' });
    expect(journal.lines).toEqual([
      { account: 'shipping_expense', side: 'debit', amount: 650 },
      { account: 'carrier_payable', side: 'credit', amount: 650 },
    ]);
    expect(journal.memo).toContain('OF-1042');
    expect(carrierChargeJournal({ shipmentId: 's-1', orderNumber: 'OF-1042', carrier: 'dhl', amount: 0, currency: 'EUR' }).lines).toEqual([]);
  });
});
