import { WorkflowNotFoundError } from '@temporalio/client';
import { waitFor } from './wait-for';
import { TEST_KEYS, type TestStack } from './stack';

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

let uniqueCounter = 0;

/** A SKU (or any code) no other test in this process uses. */
export function uniqueSku(prefix = 'SKU'): string {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${uniqueCounter}`.toUpperCase();
}

/** Adds a plain product to the catalogue through the API, as an operator would. */
export async function createProduct(stack: TestStack, sku: string, overrides: Record<string, unknown> = {}) {
  const res = await stack.api('POST', '/v1/products', {
    key: TEST_KEYS.operator,
    body: {
      sku,
      name: `Test product ${sku}`,
      spec: 'test item',
      unitPrice: 1000,
      unitCost: 400,
      currency: 'EUR',
      weightGrams: 300,
      dimensionsCm: { length: 10, width: 10, height: 10 },
      handling: 'standard',
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`could not create product ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Goods received into a warehouse through the API; answers the new stock figure. */
export async function receiveStock(stack: TestStack, warehouse: string, sku: string, quantity: number) {
  const res = await stack.api('POST', '/v1/inventory/receipts', { key: TEST_KEYS.operator, body: { warehouse, sku, quantity } });
  if (res.status !== 201) throw new Error(`could not receive ${quantity} ${sku} into ${warehouse}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { sku: string; warehouse: string; onHand: number; reserved: number; available: number };
}

/** The stock figure of one SKU in one warehouse, as GET /v1/inventory shows it. */
export async function stockLevel(stack: TestStack, sku: string, warehouse: string) {
  const res = await stack.api('GET', `/v1/inventory?sku=${encodeURIComponent(sku)}&warehouse=${encodeURIComponent(warehouse)}`);
  if (res.status !== 200) throw new Error(`GET /v1/inventory failed: ${res.status}`);
  return res.body.data[0] as { sku: string; warehouse: string; onHand: number; reserved: number; available: number } | undefined;
}

/**
 * Waits until the order's workflow itself (its `view` query) is in one of `statuses`.
 * The database row is written by an activity a moment before the workflow takes the new
 * status in; a message (update) sent in between is judged against the older status.
 */
export async function waitForWorkflowStatus(stack: TestStack, orderId: string, statuses: string | string[], timeoutMs = 30_000) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  const handle = stack.running.client.workflow.getHandle(`order-${orderId}`);
  return waitFor(
    async () => {
      const view = await handle.query<{ status: string }>('view');
      return wanted.includes(view.status) ? view : undefined;
    },
    { timeoutMs, intervalMs: 50, message: `the workflow of order ${orderId} to reach ${wanted.join(' or ')}` },
  );
}

/** Whether orderflow started a workflow for this order (a refused create must start none). */
export async function workflowExists(stack: TestStack, orderId: string): Promise<boolean> {
  try {
    await stack.running.client.workflow.getHandle(`order-${orderId}`).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
