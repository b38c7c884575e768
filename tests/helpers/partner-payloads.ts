// Partner payloads for the demo catalogue (src/db/seed.ts, DEMO_SKU_ALIASES): the shapes
// of the README's "Channels and adapters", for the adapters' unit tests and the e2e test.

export function marketplaceOrder(overrides: Record<string, unknown> = {}) {
  return {
    order_id: 'MP-100234',
    currency: 'EUR',
    buyer_id: 'buyer-881',
    buyer_email: 'grace@example.com',
    buyer_phone: '+49 30 7654321',
    ship_to_name: 'Grace Hopper',
    ship_to_street1: 'Friedrichstraße 43',
    ship_to_street2: '',
    ship_to_city: 'Berlin',
    ship_to_state: 'BE',
    ship_to_zip: '10117',
    ship_to_country: 'de',
    shipping_service: 'expedited',
    payment_method: 'marketplace_paid',
    items: [
      { marketplace_sku: 'MKT-OOLONG-TIN', quantity: 2, item_price_gross: '15.35', tax_rate: '19' },
      { marketplace_sku: 'MKT-MUG-SLATE', quantity: 1, item_price_gross: '22.02', tax_rate: 19 },
    ],
    ...overrides,
  };
}

export const deliveryAddress = (street: string, overrides: Record<string, unknown> = {}) => ({
  street,
  postcode: '20095',
  city: 'Hamburg',
  region: 'HH',
  country_code: 'DE',
  ...overrides,
});

export function travelBooking(overrides: Record<string, unknown> = {}) {
  return {
    booking: {
      reference: 'TRV-88213',
      currency: 'EUR',
      departure_date: '2099-06-01',
      service_level: 'standard',
      payment: 'paid_at_booking',
      contact: { email: 'lead@example.com', phone: '+49 40 1234567' },
      passengers: [
        { first_name: 'Ada', last_name: 'Lovelace', lead: true, extras: [{ product_code: 'TEA-OOLONG-100', count: 1, unit_price_cents: 1290 }] },
        { first_name: 'Charles', last_name: 'Babbage', extras: [{ product_code: 'MUG-STONE-350', count: 2, unit_price_cents: 1850 }] },
      ],
      delivery_address: deliveryAddress('Jungfernstieg 7'),
      ...overrides,
    },
  };
}

