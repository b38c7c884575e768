import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSignOff, type SignOffProof } from '../../src/domain/sign-off';

// SIGN-OFF (R5.2, R5.3): intact goods, the right quantities, and a credential that proves
// who signs for which order.

const order = { id: '5f0c2a9e-0000-4000-8000-000000000001', number: 'OF-1001', externalId: 'shop-77' };

const proof = (overrides: Partial<SignOffProof> = {}): SignOffProof => ({
  recipientName: 'Anna Schmidt',
  credential: { type: 'order_number', value: 'OF-1001' },
  packagingIntact: true,
  quantitiesMatch: true,
  ...overrides,
});
const byOrderNumber = (value: string) => proof({ credential: { type: 'order_number', value } });
const byIdDocument = (value: string) => proof({ credential: { type: 'id_document', value } });

describe('checkSignOff', () => {
  it('accepts the order number, the order id or the external id, without regard to case or surrounding spaces', () => {
    for (const value of ['OF-1001', 'of-1001', '  OF-1001 ', order.id, order.id.toUpperCase(), 'SHOP-77']) {
      expect(checkSignOff(byOrderNumber(value), order), value).toMatchObject({ ok: true });
    }
  });

  it('rejects an order number that belongs to no part of this order', () => {
    for (const value of ['OF-1002', 'OF-100', '', 'undefined']) {
      expect(checkSignOff(byOrderNumber(value), order), value).toMatchObject({ ok: false, code: 'credential_invalid' });
    }
    expect(checkSignOff(byOrderNumber('OF-1001'), { id: order.id })).toMatchObject({ ok: false, code: 'credential_invalid' });
  });

  it('accepts an identity document number with at least five letters or digits', () => {
    for (const value of ['AB123', 'l01x69t2c', 'C01X 00T47', '12345']) {
      expect(checkSignOff(byIdDocument(value), order), value).toMatchObject({ ok: true });
    }
    for (const value of ['AB12', '', '    ', 'AB#12', 'ÄÖÜ12']) {
      expect(checkSignOff(byIdDocument(value), order), value).toMatchObject({ ok: false, code: 'credential_invalid' });
    }
  });

  // Dashes are allowed between the characters but do not count towards the five.
  it('rejects an identity document number with fewer than five letters or digits, however many dashes ("-----", "AB-1-")', () => {
    expect(checkSignOff(byIdDocument('-----'), order)).toMatchObject({ ok: false, code: 'credential_invalid' });
    expect(checkSignOff(byIdDocument('AB-1-'), order)).toMatchObject({ ok: false, code: 'credential_invalid' });
  });

  it('needs the name of the person signing', () => {
    for (const recipientName of ['', ' ', 'A', ' B ']) {
      expect(checkSignOff(proof({ recipientName }), order)).toMatchObject({ ok: false, code: 'recipient_missing' });
    }
    expect(checkSignOff(proof({ recipientName: 'Jo' }), order)).toMatchObject({ ok: true });
  });

  it('refuses to sign off damaged packaging or wrong quantities, and says which', () => {
    const damaged = checkSignOff(proof({ packagingIntact: false }), order);
    expect(damaged).toMatchObject({ ok: false, code: 'goods_not_accepted', message: expect.stringContaining('packaging is damaged') });
    const short = checkSignOff(proof({ quantitiesMatch: false }), order);
    expect(short).toMatchObject({ ok: false, code: 'goods_not_accepted', message: expect.stringContaining('quantities do not match') });
    const both = checkSignOff(proof({ packagingIntact: false, quantitiesMatch: false }), order);
    expect(both).toMatchObject({ ok: false, code: 'goods_not_accepted', message: expect.stringMatching(/damaged and .*quantities/) });
  });

  it('keeps only the type and the last four characters of the credential', () => {
    expect(checkSignOff(byIdDocument('C01X 00T47'), order)).toEqual({ ok: true, credentialHint: 'id_document:…0T47' });
    expect(checkSignOff(byOrderNumber('OF-1001'), order)).toEqual({ ok: true, credentialHint: 'order_number:…1001' });
  });

  it('never keeps more than the last four characters of any accepted credential', () => {
    const idChars = fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZabcxyz0123456789- '.split(''));
    const idValue = fc.array(idChars, { minLength: 5, maxLength: 30 }).map((cs) => cs.join(''));
    const orderNumber = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(
        fc.oneof(
          idValue.map((value) => ({ proof: byIdDocument(value), order })),
          orderNumber.map((value) => ({ proof: byOrderNumber(value), order: { id: order.id, number: value.trim() } })),
        ),
        ({ proof: p, order: o }) => {
          const result = checkSignOff(p, o);
          if (!result.ok) return;
          const prefix = `${p.credential.type}:…`;
          expect(result.credentialHint.startsWith(prefix)).toBe(true);
          const kept = result.credentialHint.slice(prefix.length);
          expect(kept.length).toBeLessThanOrEqual(4);
          expect(p.credential.value.replace(/\s/g, '').endsWith(kept)).toBe(true);
        },
      ),
    );
  });
});
