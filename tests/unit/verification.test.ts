import { describe, expect, it } from 'vitest';
import type { OrderDraft } from '../../src/domain/order';
import {
  postalCodeFits,
  verifyCustomer,
  verifyItems,
  verifyOrder,
  type CatalogueEntry,
  type VerificationReason,
} from '../../src/domain/verification';

// VERIFY (R1.2, R1.3): a valid order passes; each fault gives its own code on its own field.

const NOW = new Date('2025-03-10T09:00:00Z');

const catalogue: ReadonlyMap<string, CatalogueEntry> = new Map(
  [
    { sku: 'MUG-1', name: 'Blue Mug', spec: '350 ml', unitPrice: 1290, currency: 'EUR', active: true },
    { sku: 'TEE-M', name: 'Logo Tee', spec: 'M / black', unitPrice: 2500, currency: 'EUR', active: true },
    { sku: 'OLD-1', name: 'Old Mug', spec: '250 ml', unitPrice: 500, currency: 'EUR', active: false },
    { sku: 'YEN-1', name: 'Tea Bowl', spec: 'small', unitPrice: 3000, currency: 'JPY', active: true },
  ].map((e) => [e.sku, e] as const),
);

function validOrder(): OrderDraft {
  return {
    externalId: 'shop-1001',
    channel: 'web',
    priority: 'normal',
    currency: 'EUR',
    customer: {
      name: 'Anna Schmidt',
      email: 'anna@example.com',
      phone: '+49 30 1234567',
      address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'Berlin', postalCode: '10117', country: 'DE' },
    },
    items: [
      { sku: 'MUG-1', quantity: 2, unitPrice: 1290, name: 'Blue Mug', spec: '350 ml' },
      { sku: 'TEE-M', quantity: 1, unitPrice: 2500 },
    ],
    settlement: { method: 'prepaid' },
    requestedDeliveryBy: '2025-03-20',
  };
}

type Customer = OrderDraft['customer'];
const customer = (change: (c: Customer) => void): Customer => {
  const c = structuredClone(validOrder().customer);
  change(c);
  return c;
};
const codes = (reasons: VerificationReason[]) => reasons.map((r) => `${r.code} ${r.field}`);

describe('verifyOrder', () => {
  it('passes a complete, catalogue-conform order with a future delivery date', () => {
    expect(verifyOrder(validOrder(), catalogue, NOW)).toEqual({ ok: true, reasons: [] });
  });

  it('passes an order without a requested delivery date', () => {
    const order = validOrder();
    delete order.requestedDeliveryBy;
    expect(verifyOrder(order, catalogue, NOW).ok).toBe(true);
  });

  it('rejects a requested delivery date in the past', () => {
    const order = { ...validOrder(), requestedDeliveryBy: '2025-03-01' };
    const result = verifyOrder(order, catalogue, NOW);
    expect(result.ok).toBe(false);
    expect(codes(result.reasons)).toEqual(['delivery_date_past requestedDeliveryBy']);
  });

  it('gathers customer and item faults in one answer, each with a message', () => {
    const order = validOrder();
    order.customer.address.city = ' ';
    order.items[1]!.unitPrice = 1;
    const result = verifyOrder(order, catalogue, NOW);
    expect(result.ok).toBe(false);
    expect(codes(result.reasons)).toEqual(['address_incomplete customer.address.city', 'price_mismatch items.1.unitPrice']);
    expect(result.reasons.every((r) => r.message.length > 0)).toBe(true);
  });

  it('collapses the same fault on the same field into one reason', () => {
    const order = { ...validOrder(), currency: 'USD' };
    const result = verifyOrder(order, catalogue, NOW);
    // Both lines are priced in EUR: one currency reason, not two.
    expect(codes(result.reasons)).toEqual(['currency_mismatch currency']);
  });

  it('keeps the same fault on different lines apart', () => {
    const order = validOrder();
    order.items[0]!.unitPrice = 1;
    order.items[1]!.unitPrice = 1;
    expect(codes(verifyOrder(order, catalogue, NOW).reasons)).toEqual([
      'price_mismatch items.0.unitPrice',
      'price_mismatch items.1.unitPrice',
    ]);
  });
});

describe('verifyCustomer', () => {
  it('accepts the valid customer', () => {
    expect(verifyCustomer(validOrder().customer)).toEqual([]);
  });

  it('needs a recipient name of at least two characters with a letter in it', () => {
    for (const name of ['', ' ', 'A', ' 1 ', '42', '--']) {
      expect(codes(verifyCustomer(customer((c) => (c.name = name))))).toEqual(['customer_name_missing customer.name']);
    }
    expect(verifyCustomer(customer((c) => (c.name = '李雷')))).toEqual([]);
  });

  it('names each missing address part by its field', () => {
    for (const field of ['line1', 'city', 'region', 'country'] as const) {
      expect(codes(verifyCustomer(customer((c) => (c.address[field] = '  '))))).toEqual([`address_incomplete customer.address.${field}`]);
    }
    // A blank postal code is incomplete, not also malformed.
    expect(codes(verifyCustomer(customer((c) => (c.address.postalCode = ''))))).toEqual([
      'address_incomplete customer.address.postalCode',
    ]);
  });

  it('rejects a postal code that does not fit the country', () => {
    const reasons = verifyCustomer(customer((c) => (c.address.postalCode = '1011')));
    expect(codes(reasons)).toEqual(['postal_code_invalid customer.address.postalCode']);
    expect(reasons[0]!.message).toContain('DE');
  });

  it('needs an e-mail address or a phone number, and either one is enough', () => {
    expect(codes(verifyCustomer(customer((c) => ((c.email = undefined), (c.phone = undefined)))))).toEqual([
      'contact_missing customer',
    ]);
    expect(codes(verifyCustomer(customer((c) => ((c.email = '  '), (c.phone = '')))))).toEqual(['contact_missing customer']);
    expect(verifyCustomer(customer((c) => (c.email = undefined)))).toEqual([]);
    expect(verifyCustomer(customer((c) => (c.phone = undefined)))).toEqual([]);
  });

  it('rejects an e-mail address that is not one', () => {
    for (const email of ['anna', 'anna@example', 'anna@@example.com', 'anna smith@example.com', 'anna@example.c', '@example.com']) {
      expect(codes(verifyCustomer(customer((c) => (c.email = email))))).toEqual(['email_invalid customer.email']);
    }
    for (const email of ['a@b.co', ' anna.schmidt+orders@mail.example.de ']) {
      expect(verifyCustomer(customer((c) => (c.email = email)))).toEqual([]);
    }
  });

  it('rejects a phone number that is not one: 7 to 15 digits with common separators', () => {
    for (const phone of ['12345', '123456', 'call me', '+49 30 ABC4567', '1234567890123456', '+49/30/1234567']) {
      expect(codes(verifyCustomer(customer((c) => (c.phone = phone))))).toEqual(['phone_invalid customer.phone']);
    }
    for (const phone of ['1234567', '+1 (555) 123-4567', '030.123.4567', '123456789012345']) {
      expect(verifyCustomer(customer((c) => (c.phone = phone)))).toEqual([]);
    }
  });
});

describe('postalCodeFits', () => {
  const cases: [country: string, fits: string[], misfits: string[]][] = [
    ['DE', ['10117', ' 80331 '], ['1011', '101170', 'D-10117', 'ABCDE']],
    ['US', ['94105', '94105-1234'], ['9410', '94105-12', '94105 1234', 'ABCDE']],
    ['GB', ['SW1A 1AA', 'sw1a1aa', 'M1 1AE', 'EC1A 1BB', 'B33 8TH'], ['SW1A', '1AA SW1', 'SW1A 1A', 'S 1AA']],
    ['NL', ['1012 AB', '1012AB', '1012 ab'], ['101 AB', '1012 A', '1012-AB', 'AB 1012']],
    ['CN', ['100000', '200120'], ['10000', '1000000', '10000A']],
  ];
  for (const [country, fits, misfits] of cases) {
    it(`knows the shape of a ${country} postal code`, () => {
      for (const code of fits) expect(postalCodeFits(country, code), `${country} ${code}`).toBe(true);
      for (const code of misfits) expect(postalCodeFits(country, code), `${country} ${code}`).toBe(false);
    });
  }

  it('matches the country code without regard to case', () => {
    expect(postalCodeFits('de', '10117')).toBe(true);
    expect(postalCodeFits('gb', 'SW1A 1AA')).toBe(true);
    expect(postalCodeFits('de', 'SW1A 1AA')).toBe(false);
  });

  it('accepts something plausible for countries it has no shape for', () => {
    expect(postalCodeFits('BR', '01310-100')).toBe(true);
    expect(postalCodeFits('BR', 'A')).toBe(false);
    expect(postalCodeFits('BR', '!!!!!')).toBe(false);
    expect(postalCodeFits('BR', '12345678901')).toBe(false);
  });
});

describe('verifyItems', () => {
  const items = (lines: OrderDraft['items'], currency = 'EUR') => verifyItems({ items: lines, currency }, catalogue);

  it('passes lines that match the catalogue', () => {
    expect(items(validOrder().items)).toEqual([]);
  });

  it('rejects a SKU the catalogue does not know, and checks nothing else on that line', () => {
    expect(codes(items([validOrder().items[0]!, { sku: 'NOPE', quantity: 1, unitPrice: 1, name: 'x', spec: 'y' }]))).toEqual([
      'unknown_sku items.1.sku',
    ]);
  });

  it('rejects a product that is no longer sold', () => {
    expect(codes(items([{ sku: 'OLD-1', quantity: 1, unitPrice: 500 }]))).toEqual(['inactive_sku items.0.sku']);
  });

  it('rejects a unit price that differs from the catalogue, naming the line', () => {
    const reasons = items([validOrder().items[0]!, { sku: 'TEE-M', quantity: 1, unitPrice: 2499 }]);
    expect(codes(reasons)).toEqual(['price_mismatch items.1.unitPrice']);
    expect(reasons[0]!.message).toContain('2500');
  });

  it('rejects a line sold in another currency than the order, instead of comparing prices', () => {
    expect(codes(items([{ sku: 'YEN-1', quantity: 1, unitPrice: 1 }]))).toEqual(['currency_mismatch currency']);
    expect(items([{ sku: 'YEN-1', quantity: 1, unitPrice: 3000 }], 'JPY')).toEqual([]);
  });

  it('rejects a stated name or spec that differs from the catalogue', () => {
    expect(codes(items([{ sku: 'MUG-1', quantity: 1, unitPrice: 1290, name: 'Red Mug', spec: '500 ml' }]))).toEqual([
      'name_mismatch items.0.name',
      'spec_mismatch items.0.spec',
    ]);
  });

  it('matches name and spec without regard to case or surrounding spaces', () => {
    expect(items([{ sku: 'MUG-1', quantity: 1, unitPrice: 1290, name: '  blue MUG ', spec: '350 ML' }])).toEqual([]);
  });
});
