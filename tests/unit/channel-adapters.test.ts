import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapPartnerOrder, partnerPath } from '../../src/channels/adapter';
import { grossFromNet } from '../../src/channels/gross-to-net';
import { marketplace } from '../../src/channels/marketplace';
import { CHANNEL_ADAPTERS, channelAdapterFor } from '../../src/channels/registry';
import { travelAgency } from '../../src/channels/travel-agency';
import { CreateOrderBody } from '../../src/api/schemas';
import { orderIdFor } from '../../src/intake/order-identity';
import { deliveryAddress as address, marketplaceOrder, travelBooking } from '../helpers/partner-payloads';

// The two adapters' mappers, pure: a partner payload in, our order draft or the partner's
// own fields at fault out.

const ALIASES = new Map([
  ['MKT-OOLONG-TIN', 'TEA-OOLONG-100'],
  ['MKT-MUG-SLATE', 'MUG-STONE-350'],
]);
const context = { skuAliases: ALIASES };

describe('the registry', () => {
  it('knows each adapter by the name in its URL, and no other', () => {
    expect([...CHANNEL_ADAPTERS.keys()].sort()).toEqual(['marketplace', 'travel-agency']);
    expect(channelAdapterFor('marketplace')).toBe(marketplace);
    expect(channelAdapterFor('nobody')).toBeUndefined();
  });

  it("keeps partners apart: the same order id from two partners of one channel is two orders, and not a direct order's", () => {
    const direct = orderIdFor({ channel: 'partner', externalId: 'B-1' }, undefined, 'k');
    const a = orderIdFor({ channel: 'partner', partner: 'travel-agency', externalId: 'B-1' }, undefined, 'k');
    const b = orderIdFor({ channel: 'partner', partner: 'cruise-line', externalId: 'B-1' }, undefined, 'other');
    expect(new Set([direct, a, b]).size).toBe(3);
    expect(orderIdFor({ channel: 'partner', partner: 'travel-agency', externalId: 'B-1' }, 'any-key', 'another-caller')).toBe(a);
  });

  it('writes paths the way partners write them', () => {
    expect(partnerPath(['items', 2, 'marketplace_sku'])).toBe('items[2].marketplace_sku');
    expect(partnerPath(['booking', 'passengers', 0, 'deliver_to', 'street'])).toBe('booking.passengers[0].deliver_to.street');
    expect(partnerPath([])).toBe('body');
  });
});

describe('marketplace adapter', () => {
  it('maps the flat feed to our draft: aliases to SKUs, gross to net, ship-to to address', () => {
    const mapped = mapPartnerOrder(marketplace, marketplaceOrder(), context);
    expect(mapped).toEqual({
      ok: true,
      draft: {
        externalId: 'MP-100234',
        channel: 'marketplace',
        partner: 'marketplace',
        priority: 'high',
        currency: 'EUR',
        customer: {
          id: 'buyer-881',
          name: 'Grace Hopper',
          email: 'grace@example.com',
          phone: '+49 30 7654321',
          address: { line1: 'Friedrichstraße 43', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
        },
        items: [
          { sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 },
          { sku: 'MUG-STONE-350', quantity: 1, unitPrice: 1850 },
        ],
        settlement: { method: 'prepaid' },
      },
    });
    // What we place is what POST /v1/orders would take.
    if (mapped.ok) expect(CreateOrderBody.safeParse(mapped.draft).success).toBe(true);
  });

  it("names the partner's own fields: an unknown alias, a price with too many decimals, a bad rate, a missing field", () => {
    const order = marketplaceOrder({
      items: [
        { marketplace_sku: 'MKT-OOLONG-TIN', quantity: 1, item_price_gross: '15.35', tax_rate: '19' },
        { marketplace_sku: 'MKT-MUG-SLATE', quantity: 1, item_price_gross: '22.025', tax_rate: '19' },
        { marketplace_sku: 'MKT-NOPE', quantity: 1, item_price_gross: '1.00', tax_rate: '119' },
      ],
    });
    const mapped = mapPartnerOrder(marketplace, order, context);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.errors).toEqual([
      { field: 'items[1].item_price_gross', message: expect.stringMatching(/more than 2 decimal places/) },
      { field: 'items[2].marketplace_sku', message: 'unknown SKU alias "MKT-NOPE"' },
      { field: 'items[2].tax_rate', message: expect.stringMatching(/not a tax rate/) },
    ]);

    const { ship_to_zip: _zip, ...noZip } = marketplaceOrder();
    const missing = mapPartnerOrder(marketplace, { ...noZip, items: [{ marketplace_sku: 'x', quantity: 0, item_price_gross: '1', tax_rate: 0 }] }, context);
    expect(missing.ok ? [] : missing.errors.map((e) => e.field)).toEqual(['ship_to_zip', 'items[0].quantity']);
  });

  it('maps cash on delivery and standard shipping, and leaves out what the feed left empty', () => {
    const mapped = mapPartnerOrder(marketplace, marketplaceOrder({ payment_method: 'cash_on_delivery', shipping_service: 'standard', buyer_id: '', buyer_phone: undefined }), context);
    expect(mapped.ok && mapped.draft).toMatchObject({ priority: 'normal', settlement: { method: 'cash_on_delivery' } });
    expect(mapped.ok && mapped.draft.customer).not.toHaveProperty('id');
    expect(mapped.ok && mapped.draft.customer).not.toHaveProperty('phone');
  });

  it('prices every line at the net a gross quoted from our net price comes from, at any rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 1, max: 50 }), (net, bp, quantity) => {
        const gross = grossFromNet(net, bp);
        const text = `${Math.floor(gross / 100)}.${String(gross % 100).padStart(2, '0')}`;
        const rate = `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
        const mapped = mapPartnerOrder(marketplace, marketplaceOrder({ items: [{ marketplace_sku: 'MKT-OOLONG-TIN', quantity, item_price_gross: text, tax_rate: rate }] }), context);
        expect(mapped.ok && mapped.draft.items).toEqual([{ sku: 'TEA-OOLONG-100', quantity, unitPrice: net }]);
      }),
    );
  });
});

describe('travel agency adapter', () => {
  it('maps the nested booking: lead passenger as customer, contact, extras of every passenger, departure as delivery date', () => {
    const mapped = mapPartnerOrder(travelAgency, travelBooking(), { skuAliases: new Map() });
    expect(mapped).toEqual({
      ok: true,
      draft: {
        externalId: 'TRV-88213',
        channel: 'partner',
        partner: 'travel-agency',
        priority: 'normal',
        currency: 'EUR',
        customer: {
          name: 'Ada Lovelace',
          email: 'lead@example.com',
          phone: '+49 40 1234567',
          address: { line1: 'Jungfernstieg 7', city: 'Hamburg', region: 'HH', postalCode: '20095', country: 'DE' },
        },
        items: [
          { sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1290 },
          { sku: 'MUG-STONE-350', quantity: 2, unitPrice: 1850 },
        ],
        settlement: { method: 'prepaid' },
        requestedDeliveryBy: '2099-06-01',
      },
    });
    if (mapped.ok) expect(CreateOrderBody.safeParse(mapped.draft).success).toBe(true);
  });

  it("takes a passenger's address when the booking has none, and the same address spelt differently as one", () => {
    const booking = travelBooking({ delivery_address: undefined });
    booking.booking.passengers[0] = { ...booking.booking.passengers[0]!, deliver_to: address('Jungfernstieg 7') } as never;
    booking.booking.passengers[1] = { ...booking.booking.passengers[1]!, deliver_to: address('  jungfernstieg   7 ', { city: 'HAMBURG' }) } as never;
    const mapped = mapPartnerOrder(travelAgency, booking, { skuAliases: new Map() });
    expect(mapped.ok && mapped.draft.customer.address.line1).toBe('Jungfernstieg 7');
  });

  it('refuses several delivery addresses in one booking, naming where each differing one is', () => {
    const booking = travelBooking();
    booking.booking.passengers[1] = { ...booking.booking.passengers[1]!, deliver_to: address('Reeperbahn 1') } as never;
    const mapped = mapPartnerOrder(travelAgency, booking, { skuAliases: new Map() });
    expect(mapped).toEqual({
      ok: false,
      errors: [
        {
          field: 'booking.passengers[1].deliver_to',
          message: expect.stringMatching(/one address; this one differs from booking\.delivery_address \(2 different addresses in one booking\)/),
        },
      ],
    });
  });

  it('wants exactly one lead passenger, an address and something to deliver', () => {
    const noLead = travelBooking({ delivery_address: undefined });
    noLead.booking.passengers = noLead.booking.passengers.map((p) => ({ ...p, lead: false, extras: [] }));
    const mapped = mapPartnerOrder(travelAgency, noLead, { skuAliases: new Map() });
    expect(mapped.ok ? [] : mapped.errors).toEqual([
      { field: 'booking.passengers', message: expect.stringMatching(/no lead passenger/) },
      { field: 'booking.delivery_address', message: expect.stringMatching(/no delivery address/) },
      { field: 'booking.passengers', message: expect.stringMatching(/nothing to deliver/) },
    ]);
    const twoLeads = travelBooking();
    twoLeads.booking.passengers = twoLeads.booking.passengers.map((p) => ({ ...p, lead: true }));
    const again = mapPartnerOrder(travelAgency, twoLeads, { skuAliases: new Map() });
    expect(again.ok ? [] : again.errors).toEqual([{ field: 'booking.passengers', message: expect.stringMatching(/2 lead passengers \(passengers\[0\], passengers\[1\]\)/) }]);
  });

  it("names the partner's nested fields when the payload is malformed", () => {
    const booking = travelBooking();
    booking.booking.passengers[1] = { ...booking.booking.passengers[1]!, extras: [{ product_code: 'MUG-STONE-350', count: 1, unit_price_cents: 18.5 }] } as never;
    const mapped = mapPartnerOrder(travelAgency, booking, { skuAliases: new Map() });
    expect(mapped.ok ? [] : mapped.errors.map((e) => e.field)).toEqual(['booking.passengers[1].extras[0].unit_price_cents']);
  });
});
