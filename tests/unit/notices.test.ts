import { describe, expect, it } from 'vitest';
import type { Customer } from '../../src/domain/order';
import { noticeChannels, noticeFor } from '../../src/domain/notices';
import { ORDER_STATUSES } from '../../src/domain/order-status';

// R1.6, R3.2, R4.6: every status a customer can act on or wait for is announced.

const address = { line1: 'Unter den Linden 1', city: 'Berlin', region: 'Berlin', postalCode: '10117', country: 'DE' };
const customer = (contact: { email?: string; phone?: string }): Customer => ({ name: 'Anna Schmidt', address, ...contact });

describe('noticeFor', () => {
  it('announces every status except the two momentary ones, verifying and settling', () => {
    for (const status of ORDER_STATUSES) {
      const notice = noticeFor(status, { orderNumber: 'OF-1001' });
      if (status === 'verifying' || status === 'settling') {
        expect(notice, status).toBeUndefined();
      } else {
        expect(notice, status).toBeDefined();
        expect(notice!.subject, status).toContain('OF-1001');
        expect(notice!.body.length, status).toBeGreaterThan(0);
      }
    }
  });

  it('lists what must be corrected', () => {
    const notice = noticeFor('needs_correction', {
      orderNumber: 'OF-1001',
      detail: {
        reasons: [
          { code: 'postal_code_invalid', field: 'customer.address.postalCode', message: '"1011" is not a postal code of DE' },
          { code: 'price_mismatch', field: 'items.1.unitPrice', message: 'TEE-M costs 2500 minor units, the order says 1' },
        ],
      },
    });
    expect(notice!.body).toContain('"1011" is not a postal code of DE');
    expect(notice!.body).toContain('TEE-M costs 2500 minor units, the order says 1');
    expect(noticeFor('needs_correction', { orderNumber: 'OF-1001' })!.body).toContain('details are missing');
  });

  it('tells the ship date, carrier and expected delivery of a planned order', () => {
    const notice = noticeFor('planned', {
      orderNumber: 'OF-1001',
      detail: { shipDate: '2025-03-12', carrier: 'SWS Express', estimatedDelivery: '2025-03-14' },
    });
    expect(notice!.subject).toContain('2025-03-12');
    expect(notice!.body).toContain('2025-03-12');
    expect(notice!.body).toContain('SWS Express');
    expect(notice!.body).toContain('2025-03-14');
  });

  it('gives the tracking number of a dispatched order and the reason of a cancellation', () => {
    expect(noticeFor('dispatched', { orderNumber: 'OF-1', detail: { carrier: 'SWS', trackingNumber: 'SWS123' } })!.body).toContain('SWS123');
    expect(noticeFor('cancelled', { orderNumber: 'OF-1', detail: { reason: 'out of stock' } })!.body).toContain('out of stock');
  });
});

describe('noticeChannels', () => {
  it('writes an e-mail when there is an address', () => {
    expect(noticeChannels(customer({ email: 'anna@example.com', phone: '+49 30 1234567' }), 'planned')).toEqual([
      { channel: 'email', recipient: 'anna@example.com' },
    ]);
    expect(noticeChannels(customer({ email: 'anna@example.com' }), 'out_for_delivery')).toEqual([
      { channel: 'email', recipient: 'anna@example.com' },
    ]);
  });

  it('sends an SMS when a phone number is all there is', () => {
    for (const status of ORDER_STATUSES) {
      expect(noticeChannels(customer({ phone: '+49 30 1234567' }), status)).toEqual([{ channel: 'sms', recipient: '+49 30 1234567' }]);
    }
  });

  it('sends both for "out for delivery" when both exist: the news is for today', () => {
    expect(noticeChannels(customer({ email: 'anna@example.com', phone: '+49 30 1234567' }), 'out_for_delivery')).toEqual([
      { channel: 'email', recipient: 'anna@example.com' },
      { channel: 'sms', recipient: '+49 30 1234567' },
    ]);
  });

  it('has nowhere to send without contact details, and treats an empty string as none', () => {
    expect(noticeChannels(customer({}), 'planned')).toEqual([]);
    expect(noticeChannels(customer({ email: '', phone: '+49 30 1234567' }), 'planned')).toEqual([{ channel: 'sms', recipient: '+49 30 1234567' }]);
  });
});
