import { describe, expect, it } from 'vitest';
import { contactMatches, NO_CONTACTS } from '../../src/api/order-contact';
import { TokenBuckets } from '../../src/api/rate-limit';

// The public look-up's proof of ownership, and the token buckets that slow guessing.

const ON_ORDER = { email: 'Ada@Example.com', phone: '+49 30 1234567' };

describe('contactMatches', () => {
  it('takes the e-mail trimmed and in any case', () => {
    expect(contactMatches(ON_ORDER, 'ada@example.com')).toBe(true);
    expect(contactMatches(ON_ORDER, '  ADA@EXAMPLE.COM ')).toBe(true);
    expect(contactMatches(ON_ORDER, 'ada@example.org')).toBe(false);
  });

  it('takes the phone by its digits, with or without the country code', () => {
    for (const phone of ['+49 30 1234567', '+4930-123-4567', '0049 30 1234567', '030 1234567', '30 1234567']) {
      expect(contactMatches(ON_ORDER, phone), phone).toBe(true);
    }
  });

  it('refuses another number, another country, too few digits, and nothing at all', () => {
    for (const wrong of ['+49 30 1234568', '+48 30 1234567', '1234567'.slice(0, 5), '', 'Ada Lovelace']) {
      expect(contactMatches(ON_ORDER, wrong), wrong).toBe(false);
    }
  });

  it('compares a national number on the order with an international one given', () => {
    expect(contactMatches({ phone: '030 1234567' }, '+49 30 1234567')).toBe(true);
    expect(contactMatches({ phone: '030 1234567' }, '+49 30 7654321')).toBe(false);
  });

  it('an order without the kind of contact given never matches it', () => {
    expect(contactMatches({ phone: '+49 30 1234567' }, 'ada@example.com')).toBe(false);
    expect(contactMatches({ email: 'ada@example.com' }, '+49 30 1234567')).toBe(false);
    expect(contactMatches({}, '\0none-stored')).toBe(false);
    expect(contactMatches(NO_CONTACTS, 'ada@example.com')).toBe(false);
  });
});

describe('TokenBuckets', () => {
  it('lets a burst of capacity through, then says when the next token is earned', () => {
    const buckets = new TokenBuckets({ capacity: 5, perMs: 60_000 });
    for (let i = 0; i < 5; i++) expect(buckets.take('a', 1_000)).toEqual({ ok: true });
    expect(buckets.take('a', 1_000)).toEqual({ ok: false, retryAfterMs: 12_000 });
    expect(buckets.take('b', 1_000)).toEqual({ ok: true });
    expect(buckets.take('a', 13_000)).toEqual({ ok: true });
    expect(buckets.take('a', 13_000).ok).toBe(false);
  });
});
