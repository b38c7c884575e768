import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderSearchFields } from '../../src/domain/order';
import { fingerprint, orderIdFor } from '../../src/intake/order-identity';

describe('order identity', () => {
  it('maps an externalId to one order per channel, whoever sends it and with whatever key', () => {
    const web = orderIdFor({ channel: 'web', externalId: 'A-1' }, 'k1', 'caller-a');
    expect(orderIdFor({ channel: 'web', externalId: 'A-1' }, 'k2', 'caller-b')).toBe(web);
    expect(orderIdFor({ channel: 'marketplace', externalId: 'A-1' }, 'k1', 'caller-a')).not.toBe(web);
  });

  it('maps an Idempotency-Key to one order per caller, and no key to a new order each time', () => {
    expect(orderIdFor({ channel: 'web' }, 'k', 'a')).toBe(orderIdFor({ channel: 'web' }, 'k', 'a'));
    expect(orderIdFor({ channel: 'web' }, 'k', 'a')).not.toBe(orderIdFor({ channel: 'web' }, 'k', 'b'));
    expect(orderIdFor({ channel: 'web' }, undefined, 'a')).not.toBe(orderIdFor({ channel: 'web' }, undefined, 'a'));
  });

  it('fingerprints content, not key order or absent fields', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(fingerprint({ ...reversed, absent: undefined })).toBe(fingerprint(value));
      }),
    );
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });
});

describe('order search facts', () => {
  it('come from the customer and the order as stated', () => {
    const customer = { name: 'Ada', email: 'Ada@Example.com', address: { line1: 'x', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } };
    expect(orderSearchFields({ channel: 'web', priority: 'urgent', customer })).toEqual({ customerId: 'ada@example.com', channel: 'web', priority: 'urgent', region: 'BE' });
  });
});
