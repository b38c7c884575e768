import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryActivities } from '../../activities/inventory';
import { seedDemoCatalogue } from '../../src/db/seed';
import { orders } from '../../src/db/schema';
import { BusinessFailure } from '../../src/domain/failures';
import type { AllocationReach } from '../../src/domain/allocation';
import { wakeBackorders } from '../../src/inventory/back-orders';
import { receive } from '../../src/inventory/stock-ledger';
import { createProduct, sampleOrder, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';

// R2.4: the back-order queue judges each waiting order by the scope its own RESERVE ran
// with (orders.reserve_scope: its reach and the warehouses its customer agreed a
// transfer from), not by the reach configured when the stock comes. The stack runs with
// reach `region`; the queue is then asked as a service configured otherwise would
// (wakeBackorders with another reach). Berlin customers: RTM-1 is abroad.

describe('the back-order queue judges each order by its own reach', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_ALLOCATION_REACH: 'region', ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  /** An order for one unit of a SKU nobody holds, back-ordered (the customer waits). */
  const backordered = async (sku: string) => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 1, unitPrice: 1000 }] }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    expect((await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'wait' } })).status).toBe(200);
    await waitForStatus(stack, id, 'backordered');
    return id;
  };
  const scopeOf = async (id: string) => (await stack.db.select({ scope: orders.reserveScope }).from(orders).where(eq(orders.id, id)))[0]?.scope;
  /** Stock into a warehouse without the receipt's own wake: the test asks the queue itself. */
  const stockQuietly = (sku: string, warehouseCode: string) =>
    stack.db.transaction((tx) => receive(tx, { sku, warehouseCode, quantity: 1, key: `test:${randomUUID()}` }));
  const wake = (sku: string, reach: AllocationReach) =>
    wakeBackorders({ db: stack.db, client: stack.running.client, log: () => undefined, reach }, sku);

  it('an order back-ordered under reach `region` is not woken by stock abroad when the configured reach becomes `anywhere`; one stored before scopes falls back to the configured reach', async () => {
    const sku = uniqueSku('OWN');
    await createProduct(stack, sku);
    const id = await backordered(sku);
    expect(await scopeOf(id)).toEqual({ reach: 'region' });

    await stockQuietly(sku, 'RTM-1');
    // Configured `anywhere` now: the order's own RESERVE still reaches only its region.
    expect(await wake(sku, 'anywhere')).toEqual([]);

    // A row back-ordered before the scope was kept is judged by the configured reach.
    await stack.db.update(orders).set({ reserveScope: null }).where(eq(orders.id, id));
    expect(await wake(sku, 'region')).toEqual([]);
    expect(await wake(sku, 'anywhere')).toEqual([id]);
  });

  it('RESERVE stores the warehouses a transfer was agreed from, and the queue counts their stock for the order', async () => {
    const sku = uniqueSku('AGREED');
    await createProduct(stack, sku);
    const id = await backordered(sku);

    // RESERVE as the order's workflow runs it after the customer agreed to a transfer from RTM-1.
    const reserve = createInventoryActivities(stack.db, { reach: 'region' }).reserveStock({ orderId: id, transitions: [], reach: 'region', alsoFrom: ['RTM-1'] });
    await expect(reserve).rejects.toMatchObject({ type: BusinessFailure.InsufficientStock });
    expect(await scopeOf(id)).toEqual({ reach: 'region', alsoFrom: ['RTM-1'] });

    await stockQuietly(sku, 'RTM-1');
    // Configured `region` (as the stack): RTM-1 is beyond it, but this order agreed to it.
    expect(await wake(sku, 'region')).toEqual([id]);
  });
});
