import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReplenishmentActivities } from '../../activities/replenishment';
import type { Db } from '../../src/db/client';
import { notifications, orderItems, orders, products, purchaseOrders, stockAlerts, stockTransfers } from '../../src/db/schema';
import { seedDemoCatalogue } from '../../src/db/seed';
import { OPERATORS_RECIPIENT } from '../../src/inventory/alerts';
import { receiveAgainstPurchaseOrder } from '../../src/inventory/purchase-orders';
import { openReplenishmentEta } from '../../src/inventory/replenishment-status';
import { startPendingReplenishments, type ReplenishmentStarterDeps } from '../../src/inventory/replenishment-starter';
import { ledgerDiscrepancies, receive } from '../../src/inventory/stock-ledger';
import { setThreshold } from '../../src/inventory/thresholds';
import { receiveTransfer } from '../../src/inventory/transfers';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { uniqueSku } from '../helpers/orders';
import { waitFor } from '../helpers/wait-for';
import { startTestWorker, type TestWorker } from '../helpers/workflow-worker';
import { replenishmentView, replenishmentWorkflowId, type ReplenishmentSettings, type ReplenishmentView } from '../../workflows/replenishment/messages';

// The replenishment workflow on the real Temporal server with its real activities over a
// real database: a shortage (a safety stock set above what is there) opens the alert, the
// sweep signals-with-start the workflow, and the test plays the warehouse receiving what
// the workflow sent for.

/** Nobody's wait runs out in the tests that receive the goods. */
const PATIENT: ReplenishmentSettings = { dayMs: 60_000, transferLeadTimeMs: 60_000, graceMs: 60_000 };
/** A one-day lead time and grace that run out almost at once. */
const HASTY: ReplenishmentSettings = { dayMs: 50, transferLeadTimeMs: 50, graceMs: 50 };

let test: TestDatabase;
let db: Db;
let client: Client;
let testWorker: TestWorker;
let taskQueue: string;
const log = () => undefined;

beforeAll(async () => {
  test = await createTestDatabase();
  db = test.database.db;
  await seedDemoCatalogue(db);
  testWorker = await startTestWorker('replenishment', createReplenishmentActivities(db));
  ({ client, taskQueue } = testWorker);
});
afterAll(async () => {
  await testWorker?.stop();
  await test?.drop();
});

const starter = (settings: ReplenishmentSettings): ReplenishmentStarterDeps => ({ db, client, taskQueue, settings, log });
const backorderDeps = () => ({ db, client, log });

async function newProduct(supply?: { supplier: string; leadTimeDays: number; expediteLeadTimeDays?: number; expediteCost?: number }) {
  const sku = uniqueSku('REPL');
  await db.insert(products).values({
    sku,
    name: sku,
    spec: 'test',
    unitPrice: 1000,
    unitCost: 400,
    currency: 'EUR',
    weightGrams: 100,
    lengthCm: 5,
    widthCm: 5,
    heightCm: 5,
    ...supply,
  });
  return sku;
}

const receiveAt = (sku: string, warehouseCode: string, quantity: number) =>
  db.transaction((tx) => receive(tx, { sku, warehouseCode, quantity, key: `receipt:${randomUUID()}` }));

/** An order back-ordered on the SKU, as the order workflow leaves it in the database. */
async function backordered(sku: string, quantity: number) {
  const id = randomUUID();
  await db.insert(orders).values({
    id,
    channel: 'web',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } },
    customerId: `cust-${id.slice(0, 8)}`,
    region: 'BE',
    priority: 'normal',
    currency: 'EUR',
    subtotalAmount: 1000 * quantity,
    totalAmount: 1000 * quantity,
    settlementMethod: 'prepaid',
    status: 'backordered',
    stage: 'reserve',
    stateVersion: 3,
    workflowId: `order-${id}`,
    requestFingerprint: `fp-${id}`,
  });
  await db.insert(orderItems).values({ orderId: id, line: 1, sku, quantity, unitPrice: 1000, lineTotal: 1000 * quantity });
}

/** Sets the safety stock above what is there and starts the replenishment the alert asks for. */
async function breach(sku: string, warehouse: string, safetyStock: number, settings: ReplenishmentSettings, reorderQuantity?: number) {
  expect(await setThreshold(db, { sku, warehouse, safetyStock, reorderQuantity })).toMatchObject({ kind: 'set' });
  await startPendingReplenishments(starter(settings));
  return client.workflow.getHandle(replenishmentWorkflowId(sku, warehouse));
}

const viewOf = (sku: string, warehouse: string) => client.workflow.getHandle(replenishmentWorkflowId(sku, warehouse)).query(replenishmentView);

async function waitingStep(sku: string, warehouse: string) {
  return waitFor(
    async () => {
      const view = await viewOf(sku, warehouse).catch(() => undefined);
      return view?.status === 'waiting' ? view.steps.at(-1)! : undefined;
    },
    { timeoutMs: 15_000, message: `the replenishment of ${sku} at ${warehouse} waiting for its goods` },
  );
}

const alertOf = async (sku: string, warehouse: string) =>
  (await db.select().from(stockAlerts).where(and(eq(stockAlerts.sku, sku), eq(stockAlerts.warehouseCode, warehouse))))[0]!;

describe('replenishment workflow', () => {
  // Levels equal the ledger after every scenario.
  afterEach(async () => expect(await ledgerDiscrepancies(db)).toEqual([]));

  it('transfers from a warehouse with surplus above its own safety stock, and is done once the transfer is received', async () => {
    const sku = await newProduct({ supplier: 'Acme', leadTimeDays: 10 });
    await receiveAt(sku, 'MUC-1', 4);
    await receiveAt(sku, 'RTM-1', 30);
    await setThreshold(db, { sku, warehouse: 'RTM-1', safetyStock: 5 });
    await setThreshold(db, { sku, warehouse: 'MUC-1', safetyStock: 4 });
    const handle = await breach(sku, 'BER-1', 3, PATIENT, 7);

    const step = await waitingStep(sku, 'BER-1');
    // RTM-1 gives 10 (3 + 7) of its 25 above safety; MUC-1 has nothing above its own.
    expect(step).toMatchObject({ kind: 'transfer', from: 'RTM-1', quantity: 10, outcome: 'waiting' });
    expect(await openReplenishmentEta(db, sku, 'BER-1')).toMatchObject({ kind: 'transfer', id: step.id, quantity: 10 });
    const [transfer] = await db.select().from(stockTransfers).where(eq(stockTransfers.id, step.id));
    expect(transfer).toMatchObject({ fromWarehouse: 'RTM-1', toWarehouse: 'BER-1', status: 'in_transit', alertId: (await alertOf(sku, 'BER-1')).id });
    expect(await db.select().from(purchaseOrders).where(eq(purchaseOrders.sku, sku))).toEqual([]);

    expect(await receiveTransfer(backorderDeps(), step.id)).toMatchObject({ kind: 'received' });
    const view: ReplenishmentView = await handle.result();
    expect(view).toMatchObject({ status: 'restocked', steps: [{ kind: 'transfer', outcome: 'arrived' }] });
    const alert = await alertOf(sku, 'BER-1');
    expect(alert).toMatchObject({ status: 'closed', replenishmentWorkflowId: replenishmentWorkflowId(sku, 'BER-1') });
    expect(alert.restockMs).toBeGreaterThanOrEqual(0);
    expect(await openReplenishmentEta(db, sku, 'BER-1')).toBeNull();
    expect(await ledgerDiscrepancies(db)).toEqual([]);
  });

  it('places a purchase order with the supplier when no warehouse has surplus, received through the receipt path', async () => {
    const sku = await newProduct({ supplier: 'Acme', leadTimeDays: 10, expediteLeadTimeDays: 2, expediteCost: 2500 });
    await receiveAt(sku, 'MUC-1', 2);
    await setThreshold(db, { sku, warehouse: 'MUC-1', safetyStock: 2 });
    const handle = await breach(sku, 'BER-1', 4, PATIENT);

    const step = await waitingStep(sku, 'BER-1');
    expect(step).toMatchObject({ kind: 'purchase_order', quantity: 8, expedited: false });
    const [po] = await db.select().from(purchaseOrders).where(eq(purchaseOrders.id, step.id));
    expect(po).toMatchObject({ supplier: 'Acme', leadTimeDays: 10, expedited: false, expediteCost: null, status: 'open' });

    const outcome = await receiveAgainstPurchaseOrder(backorderDeps(), { warehouse: 'BER-1', sku, quantity: 8, purchaseOrderId: po!.id }, { caller: 'test' });
    expect(outcome.kind).toBe('received');
    expect(await handle.result()).toMatchObject({ status: 'restocked' });
    expect((await db.select().from(purchaseOrders).where(eq(purchaseOrders.id, po!.id)))[0]).toMatchObject({ status: 'received' });
    expect(await alertOf(sku, 'BER-1')).toMatchObject({ status: 'closed' });
  });

  it('expedites the purchase order when orders are waiting for the SKU (emergency replenishment)', async () => {
    const sku = await newProduct({ supplier: 'Acme', leadTimeDays: 10, expediteLeadTimeDays: 2, expediteCost: 2500 });
    await backordered(sku, 3);
    const handle = await breach(sku, 'BER-1', 2, PATIENT, 2);

    const step = await waitingStep(sku, 'BER-1');
    // Up to 2 + 2, and the 3 the waiting order needs.
    expect(step).toMatchObject({ kind: 'purchase_order', quantity: 7, expedited: true });
    const [po] = await db.select().from(purchaseOrders).where(eq(purchaseOrders.id, step.id));
    expect(po).toMatchObject({ expedited: true, leadTimeDays: 2, expediteCost: 2500, currency: 'EUR' });
    await receiveAgainstPurchaseOrder(backorderDeps(), { warehouse: 'BER-1', sku, quantity: 7, purchaseOrderId: po!.id }, { caller: 'test' });
    expect(await handle.result()).toMatchObject({ status: 'restocked' });
  });

  it('runs one workflow per SKU and warehouse, however many breaches and sweeps', async () => {
    const sku = await newProduct({ supplier: 'Acme', leadTimeDays: 10 });
    await receiveAt(sku, 'BER-1', 5);
    await setThreshold(db, { sku, warehouse: 'BER-1', safetyStock: 8 });
    // Another breach of the same level while the first is open, then two sweeps at once.
    await setThreshold(db, { sku, warehouse: 'BER-1', safetyStock: 9 });
    await Promise.all([startPendingReplenishments(starter(PATIENT)), startPendingReplenishments(starter(PATIENT))]);
    // And a later breach signalled to the running one (as the sweep does for a new alert).
    await client.workflow.signalWithStart('replenishmentWorkflow', {
      workflowId: replenishmentWorkflowId(sku, 'BER-1'),
      taskQueue,
      args: [{ sku, warehouse: 'BER-1', settings: PATIENT }],
      signal: 'shortageRaised',
      signalArgs: [{ alertId: randomUUID() }],
    });
    const step = await waitingStep(sku, 'BER-1');
    const view = await viewOf(sku, 'BER-1');
    expect(view.shortages).toBeGreaterThanOrEqual(2);
    expect(view.steps).toHaveLength(1);

    const alerts = await db.select().from(stockAlerts).where(eq(stockAlerts.sku, sku));
    expect(alerts).toHaveLength(1);
    const runs = await waitFor(
      async () => {
        const found = [];
        for await (const w of client.workflow.list({ query: `WorkflowId = '${replenishmentWorkflowId(sku, 'BER-1')}'` })) found.push(w.runId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 10_000, message: 'the replenishment listed' },
    );
    expect(runs).toHaveLength(1);
    expect(await db.select().from(purchaseOrders).where(eq(purchaseOrders.sku, sku))).toHaveLength(1);

    await receiveAgainstPurchaseOrder(backorderDeps(), { warehouse: 'BER-1', sku, quantity: step.quantity, purchaseOrderId: step.id }, { caller: 'test' });
    expect(await client.workflow.getHandle(replenishmentWorkflowId(sku, 'BER-1')).result()).toMatchObject({ status: 'restocked' });
  });

  it('flags an operator when the goods are not received by their expected arrival plus grace: nothing waits forever', async () => {
    const sku = await newProduct({ supplier: 'Slowco', leadTimeDays: 1 });
    const handle = await breach(sku, 'BER-1', 2, HASTY);
    const view = await handle.result();
    expect(view).toMatchObject({ status: 'flagged', steps: [{ kind: 'purchase_order', outcome: 'overdue' }] });
    expect(view.flagReason).toMatch(/has not been received/);
    const alert = await alertOf(sku, 'BER-1');
    expect(alert).toMatchObject({ status: 'open' });
    expect(alert.flaggedAt).not.toBeNull();
    const [po] = await db.select().from(purchaseOrders).where(eq(purchaseOrders.sku, sku));
    expect(po!.flaggedAt).not.toBeNull();
    const told = await db.select().from(notifications).where(and(eq(notifications.recipient, OPERATORS_RECIPIENT), eq(notifications.template, 'replenishment_flag')));
    expect(told.some((n) => n.subject.includes(sku))).toBe(true);

    // The late goods still close the shortage through the normal receipt path.
    await receiveAgainstPurchaseOrder(backorderDeps(), { warehouse: 'BER-1', sku, quantity: po!.quantity, purchaseOrderId: po!.id }, { caller: 'test' });
    expect(await alertOf(sku, 'BER-1')).toMatchObject({ status: 'closed' });
  });
});
