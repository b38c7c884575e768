import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderDraft } from '../../src/domain/order';
import { verifyCustomer } from '../../src/domain/verification';

// Failure messages travel further than the order: into the workflow's failure (Temporal's
// history and UI), logs, notices. They name the field at fault and never quote what the
// customer wrote in it.

// Distinctive text with a letter or digit in it, so "not quoted" means something.
const value = fc.string({ minLength: 6, maxLength: 30 }).filter((s) => /[\p{L}\d]{3}/u.test(s) && s.trim().length >= 6);

const customer = fc.record({
  name: value,
  email: fc.option(value, { nil: undefined }),
  phone: fc.option(value, { nil: undefined }),
  address: fc.record({ line1: value, city: value, region: value, postalCode: value, country: fc.constantFrom('DE', 'NL', 'GB', 'US', 'BE') }),
});

describe('verification failure messages', () => {
  it('never contain a customer value, whatever is wrong with it', () => {
    fc.assert(
      fc.property(customer, (c) => {
        const reasons = verifyCustomer(c as OrderDraft['customer']);
        const personal = [c.name, c.email, c.phone, c.address.line1, c.address.city, c.address.region, c.address.postalCode]
          .filter((v): v is string => v !== undefined)
          .map((v) => v.trim())
          // Shorter, a value could be a piece of the message's own words by chance.
          .filter((v) => v.length >= 6);
        for (const reason of reasons) {
          for (const v of personal) expect(reason.message.toLowerCase(), `${reason.code} quotes a customer value`).not.toContain(v.toLowerCase());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('name the field for a bad e-mail, phone and postal code', () => {
    const reasons = verifyCustomer({
      name: 'Zebulon Quarrington',
      email: 'zebulon-at-example',
      phone: '55-0199',
      address: { line1: 'Quittenweg 77', city: 'Berlin', region: 'BE', postalCode: '99X-42', country: 'DE' },
    });
    expect(reasons.map((r) => [r.code, r.field, r.message])).toEqual([
      ['postal_code_invalid', 'customer.address.postalCode', 'the postal code does not fit DE'],
      ['email_invalid', 'customer.email', 'the e-mail address is not valid'],
      ['phone_invalid', 'customer.phone', 'the phone number is not valid'],
    ]);
  });
});
