import { waitFor } from './wait-for';
import type { TestStack } from './stack';

// A valid order for the demo catalogue (src/db/seed.ts), and ways to follow one.

export function sampleOrder(overrides: Record<string, unknown> = {}) {
  return {
    channel: 'web',
    priority: 'normal',
    currency: 'EUR',
    customer: {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+49 30 1234567',
      address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
    },
    items: [
      { sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 },
      { sku: 'MUG-STONE-350', quantity: 1, unitPrice: 1850 },
    ],
    settlement: { method: 'prepaid' },
    ...overrides,
  };
}

export async function waitForStatus(stack: TestStack, orderId: string, statuses: string | string[], timeoutMs = 30_000) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  return waitFor(
    async () => {
      const { status, body } = await stack.api('GET', `/v1/orders/${orderId}`);
      return status === 200 && wanted.includes(body.status) ? body : undefined;
    },
    { timeoutMs, intervalMs: 50, message: `order ${orderId} to reach ${wanted.join(' or ')}` },
  );
}

/** True when `sequence` appears in `list` in this order (other items may sit between). */
export function isSubsequence(sequence: readonly string[], list: readonly string[]): boolean {
  let i = 0;
  for (const item of list) if (item === sequence[i]) i++;
  return i === sequence.length;
}

export const SIGN_OFF = (number: string) => ({
  recipientName: 'Ada Lovelace',
  credential: { type: 'order_number', value: number },
  packagingIntact: true,
  quantitiesMatch: true,
});

export const FEEDBACK = {
  channel: 'online',
  ratings: { productQuality: 5, serviceAttitude: 4, deliveryPunctuality: 5, resolutionEfficiency: 4 },
  comment: 'quick and careful',
};
