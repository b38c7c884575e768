import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ORDER_STATUSES } from '../../src/domain/order-status';
import { ledgerDiscrepancies } from '../../src/inventory/stock-ledger';
import { replenishmentWorkflowId } from '../../workflows/replenishment/messages';
import { createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Stock that looks after itself (R2.2–R2.6), through the HTTP API on the real stack:
// a threshold breach opens an alert and starts exactly one replenishment, which sends a
// transfer from the warehouse with surplus; its receipt wakes the back-ordered order.
// Counted corrections, thresholds and alerts as operators use them.

/** Order statuses reached only once RESERVE set the stock aside. */
const PAST_RESERVE = ORDER_STATUSES.slice(ORDER_STATUSES.indexOf('reserved'), ORDER_STATUSES.indexOf('cancelled'));

const op = { key: TEST_KEYS.operator };

describe('thresholds and replenishment over HTTP', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      // Back-ordered orders wake because a receipt told them, or not at all.
      ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d',
      // Nobody's wait for a transfer runs out here.
      ORDERFLOW_TRANSFER_LEAD_TIME: '1000d',
      ORDERFLOW_REPLENISHMENT_GRACE: '1000d',
      // A reserved order waits for its payment, holding its stock, for as long as a test needs.
      ORDERFLOW_REQUIRE_PREPAYMENT: 'on',
      ORDERFLOW_PREPAYMENT_WINDOW: '1000d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());
  // Levels equal the ledger after every scenario.
  afterEach(async () => expect(await ledgerDiscrepancies(stack.db)).toEqual([]));

  it('a threshold breach starts exactly one replenishment that transfers stock and wakes the waiting order', async () => {
    const sku = uniqueSku('REPL');
    await createProduct(stack, sku);

    // Nothing anywhere: the customer chooses to wait.
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 3, unitPrice: 1000 }] }) });
    const orderId: string = created.body.id;
    await waitForWorkflowStatus(stack, orderId, 'awaiting_stock_decision');
    expect((await stack.api('POST', `/v1/orders/${orderId}/stockout-response`, { body: { decision: 'wait' } })).status).toBe(200);
    await waitForWorkflowStatus(stack, orderId, 'backordered');

    // A stock count at Munich finds 20 (a correction, not an arrival: nobody is woken).
    const counted = await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'MUC-1', sku, delta: 20, reason: 'found in count' } });
    expect(counted.status).toBe(201);
    expect(counted.body).toMatchObject({ onHand: 20, available: 20 });

    // Berlin must keep 2, and reorders 2 above that: it has none, so the breach is immediate.
    const set = await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'BER-1', safetyStock: 2, reorderQuantity: 2 } });
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual([{ sku, warehouse: 'BER-1', safetyStock: 2, reorderQuantity: 2, available: 0 }]);
    // Saying it again is no second breach.
    expect((await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'BER-1', safetyStock: 2, reorderQuantity: 2 } })).status).toBe(200);

    const alerts = await stack.api('GET', `/v1/inventory/alerts?status=open&sku=${sku}`, op);
    expect(alerts.body.data).toHaveLength(1);
    expect(alerts.body.data[0]).toMatchObject({ warehouse: 'BER-1', status: 'open', safetyStock: 2, availableWhenOpened: 0, closedAt: null });

    // The replenishment sends 2 + 2 and the 3 the order waits for from Munich's surplus.
    const transfer = await waitFor(
      async () => (await stack.api('GET', `/v1/inventory/transfers?sku=${sku}`, op)).body.data[0],
      { timeoutMs: 15_000, message: 'the replenishment to send a transfer' },
    );
    expect(transfer).toMatchObject({ from: 'MUC-1', to: 'BER-1', quantity: 7, status: 'in_transit', alertId: alerts.body.data[0].id });
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 13 });
    expect((await stack.api('GET', `/v1/inventory/purchase-orders?sku=${sku}`, op)).body.data).toEqual([]);
    expect((await stack.api('GET', `/v1/orders/${orderId}`)).body.status).toBe('backordered');

    // Exactly one replenishment ran for Berlin.
    const workflowId = replenishmentWorkflowId(sku, 'BER-1');
    const runs = await waitFor(
      async () => {
        const found: string[] = [];
        for await (const w of stack.running.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(w.runId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 10_000, message: 'the replenishment listed' },
    );
    expect(runs).toHaveLength(1);

    // The transfer is received at Berlin: transfer_in, and the order proceeds.
    const received = await stack.api('POST', `/v1/inventory/transfers/${transfer.id}/receipt`, op);
    expect(received.status).toBe(201);
    expect(received.body).toMatchObject({ status: 'received' });
    expect((await stack.api('POST', `/v1/inventory/transfers/${transfer.id}/receipt`, op)).status).toBe(200);
    await waitForStatus(stack, orderId, [...PAST_RESERVE]);
    expect(await stack.running.client.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'restocked', steps: [{ kind: 'transfer', outcome: 'arrived' }] });

    const closed = await stack.api('GET', `/v1/inventory/alerts?status=closed&sku=${sku}`, op);
    expect(closed.body.data).toHaveLength(1);
    expect(closed.body.data[0]).toMatchObject({ status: 'closed', replenishmentWorkflowId: workflowId });
    expect(closed.body.data[0].restockMs).toEqual(expect.any(Number));
    expect(closed.body.data[0].restockMs).toBeGreaterThanOrEqual(0);
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('adjusts on-hand stock by a count, never below zero or what is reserved, once per Idempotency-Key', async () => {
    const sku = uniqueSku('ADJ');
    await createProduct(stack, sku);
    await receiveStock(stack, 'MUC-1', sku, 5);
    const headers = { 'idempotency-key': `count-${sku}` };

    const down = await stack.api('POST', '/v1/inventory/adjustments', { ...op, headers, body: { warehouse: 'MUC-1', sku, delta: -2, reason: 'two broken' } });
    expect(down.status).toBe(201);
    expect(down.body).toMatchObject({ onHand: 3, reserved: 0 });
    const again = await stack.api('POST', '/v1/inventory/adjustments', { ...op, headers, body: { warehouse: 'MUC-1', sku, delta: -2, reason: 'two broken' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ onHand: 3 });
    const reused = await stack.api('POST', '/v1/inventory/adjustments', { ...op, headers, body: { warehouse: 'MUC-1', sku, delta: -1, reason: 'two broken' } });
    expectProblem(reused, 422);
    expect(fields(reused)).toEqual(['header.Idempotency-Key']);

    const belowZero = await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'MUC-1', sku, delta: -4, reason: 'miscount' } });
    expectProblem(belowZero, 409);
    expect(fields(belowZero)).toEqual(['delta']);
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 3, reserved: 0 });

    // An order sets 2 aside (and waits for its payment): a count may take at most the 1 left.
    const order = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 2, unitPrice: 1000 }] }) });
    await waitForStatus(stack, order.body.id, 'awaiting_payment');
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 3, reserved: 2 });
    const belowReserved = await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'MUC-1', sku, delta: -2, reason: 'miscount' } });
    expectProblem(belowReserved, 409);
    expect(fields(belowReserved)).toEqual(['delta']);
    expect(belowReserved.body.errors[0].message).toMatch(/2 of 3 on hand are reserved/);
    expect((await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'MUC-1', sku, delta: -1, reason: 'one dented' } })).status).toBe(201);
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 2, reserved: 2, available: 0 });

    const invalid = await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'MUC-1', sku, delta: 0, reason: '' } });
    expectProblem(invalid, 422);
    expect(fields(invalid).sort()).toEqual(['delta', 'reason']);
    const unknown = await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'NOWHERE', sku, delta: 1, reason: 'x' } });
    expectProblem(unknown, 422);
    expect(fields(unknown)).toEqual(['warehouse']);
    // Counting is an operator's job.
    expect((await stack.api('POST', '/v1/inventory/adjustments', { body: { warehouse: 'MUC-1', sku, delta: 1, reason: 'x' } })).status).toBe(403);
  });

  it('refuses thresholds naming the fields at fault', async () => {
    const sku = uniqueSku('THR');
    await createProduct(stack, sku);
    const put = (body: unknown, key = TEST_KEYS.operator) => stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { key, body });

    const bad = await put({ safetyStock: -1, reorderQuantity: 0 });
    expectProblem(bad, 422);
    expect(fields(bad).sort()).toEqual(['reorderQuantity', 'safetyStock']);
    const stray = await put({ safetyStock: 1, minimum: 3 });
    expectProblem(stray, 422);
    // Stocked nowhere yet: the warehouse must be named.
    const nowhere = await put({ safetyStock: 1 });
    expectProblem(nowhere, 422);
    expect(fields(nowhere)).toEqual(['warehouse']);
    const unknownWarehouse = await put({ warehouse: 'NOWHERE', safetyStock: 1 });
    expectProblem(unknownWarehouse, 422);
    expect(fields(unknownWarehouse)).toEqual(['warehouse']);
    const unknownSku = await stack.api('PUT', '/v1/inventory/NO-SUCH-SKU/thresholds', { ...op, body: { warehouse: 'BER-1', safetyStock: 1 } });
    expectProblem(unknownSku, 422);
    expect(fields(unknownSku)).toEqual(['path.sku']);
    expect((await put({ warehouse: 'BER-1', safetyStock: 1 }, TEST_KEYS.integrator)).status).toBe(403);

    // Every warehouse that stocks it, when none is named; 0 is no safety stock.
    await receiveStock(stack, 'BER-1', sku, 4);
    await receiveStock(stack, 'MUC-1', sku, 4);
    const all = await put({ safetyStock: 0 });
    expect(all.status).toBe(200);
    expect(all.body.data.map((l: { warehouse: string }) => l.warehouse).sort()).toEqual(['BER-1', 'MUC-1']);
  });

  it('lists alerts by status and closes one when the stock is back, with its time to restock', async () => {
    const sku = uniqueSku('ALERT');
    await createProduct(stack, sku);
    await receiveStock(stack, 'RTM-1', sku, 6);
    expect((await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'RTM-1', safetyStock: 4 } })).status).toBe(200);
    expect((await stack.api('GET', `/v1/inventory/alerts?sku=${sku}`, op)).body.data).toEqual([]);

    // A count finds three fewer: 3 < 4 opens the alert and tells the operators.
    expect((await stack.api('POST', '/v1/inventory/adjustments', { ...op, body: { warehouse: 'RTM-1', sku, delta: -3, reason: 'shrinkage' } })).status).toBe(201);
    const open = await stack.api('GET', `/v1/inventory/alerts?status=open&sku=${sku}`, op);
    expect(open.body.data).toEqual([expect.objectContaining({ warehouse: 'RTM-1', status: 'open', safetyStock: 4, availableWhenOpened: 3, restockMs: null })]);
    expect((await stack.api('GET', `/v1/inventory/alerts?status=closed&sku=${sku}`, op)).body.data).toEqual([]);

    // The goods turn up (a receipt): back at 4, the alert closes with the time it took.
    await receiveStock(stack, 'RTM-1', sku, 5);
    const closed = await stack.api('GET', `/v1/inventory/alerts?status=closed&sku=${sku}`, op);
    expect(closed.body.data).toHaveLength(1);
    expect(closed.body.data[0]).toMatchObject({ id: open.body.data[0].id, status: 'closed' });
    expect(closed.body.data[0].closedAt).toEqual(expect.any(String));
    expect(closed.body.data[0].restockMs).toBeGreaterThanOrEqual(0);
    expect((await stack.api('GET', `/v1/inventory/alerts?status=open&sku=${sku}`, op)).body.data).toEqual([]);
    const bad = await stack.api('GET', '/v1/inventory/alerts?status=maybe', op);
    expectProblem(bad, 422);
    expect(fields(bad)).toEqual(['query.status']);
  });

  it('moves stock between warehouses by hand, and receives a purchase order through the receipt path', async () => {
    const sku = uniqueSku('MOVE');
    await createProduct(stack, sku);
    await receiveStock(stack, 'MUC-1', sku, 5);
    const headers = { 'idempotency-key': `move-${sku}` };

    const short = await stack.api('POST', '/v1/inventory/transfers', { ...op, body: { sku, from: 'MUC-1', to: 'RTM-1', quantity: 6 } });
    expectProblem(short, 409);
    expect(fields(short)).toEqual(['quantity']);
    const unknown = await stack.api('POST', '/v1/inventory/transfers', { ...op, body: { sku, from: 'MUC-1', to: 'NOWHERE', quantity: 1 } });
    expectProblem(unknown, 422);
    expect(fields(unknown)).toEqual(['to']);
    const sent = await stack.api('POST', '/v1/inventory/transfers', { ...op, headers, body: { sku, from: 'MUC-1', to: 'RTM-1', quantity: 4 } });
    expect(sent.status).toBe(201);
    expect((await stack.api('POST', '/v1/inventory/transfers', { ...op, headers, body: { sku, from: 'MUC-1', to: 'RTM-1', quantity: 4 } })).body.id).toBe(sent.body.id);
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 1 });
    expect((await stack.api('POST', `/v1/inventory/transfers/${sent.body.id}/receipt`, op)).status).toBe(201);
    expect(await stockLevel(stack, sku, 'RTM-1')).toMatchObject({ onHand: 4 });
    expect((await stack.api('POST', '/v1/inventory/transfers/00000000-0000-4000-8000-000000000000/receipt', op)).status).toBe(404);

    // A supplier, and a safety stock no warehouse can spare for: a purchase order.
    const supply = await stack.api('PUT', `/v1/inventory/${sku}/supply`, { ...op, body: { supplier: 'Acme', leadTimeDays: 5, expediteLeadTimeDays: 1, expediteCost: 900 } });
    expect(supply.status).toBe(200);
    const slower = await stack.api('PUT', `/v1/inventory/${sku}/supply`, { ...op, body: { supplier: 'Acme', leadTimeDays: 5, expediteLeadTimeDays: 6 } });
    expectProblem(slower, 422);
    expect(fields(slower)).toEqual(['expediteLeadTimeDays']);
    expect((await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'RTM-1', safetyStock: 6, reorderQuantity: 4 } })).status).toBe(200);
    const po = await waitFor(
      async () => (await stack.api('GET', `/v1/inventory/purchase-orders?sku=${sku}&status=open`, op)).body.data[0],
      { timeoutMs: 15_000, message: 'the replenishment to place a purchase order' },
    );
    // Up to 6 + 4 from the 4 there; nobody waits, so not expedited.
    expect(po).toMatchObject({ warehouse: 'RTM-1', quantity: 6, supplier: 'Acme', expedited: false, leadTimeDays: 5, status: 'open' });

    const wrong = await stack.api('POST', '/v1/inventory/receipts', { ...op, body: { warehouse: 'BER-1', sku, quantity: 6, purchaseOrderId: po.id } });
    expectProblem(wrong, 422);
    expect(fields(wrong)).toEqual(['warehouse']);
    const arrived = await stack.api('POST', '/v1/inventory/receipts', { ...op, body: { warehouse: 'RTM-1', sku, quantity: 6, purchaseOrderId: po.id } });
    expect(arrived.status).toBe(201);
    expect(arrived.body).toMatchObject({ onHand: 10 });
    expect((await stack.api('GET', `/v1/inventory/purchase-orders?sku=${sku}`, op)).body.data[0]).toMatchObject({ id: po.id, status: 'received' });
    expect(await stack.running.client.workflow.getHandle(replenishmentWorkflowId(sku, 'RTM-1')).result()).toMatchObject({ status: 'restocked' });
    expect((await stack.api('GET', `/v1/inventory/alerts?sku=${sku}&status=closed`, op)).body.data).toHaveLength(1);
  });

  it("an order's reservation that takes the level below its safety stock starts the replenishment too", async () => {
    const sku = uniqueSku('RESV');
    await createProduct(stack, sku);
    await stack.api('PUT', `/v1/inventory/${sku}/supply`, { ...op, body: { supplier: 'Acme', leadTimeDays: 3 } });
    await receiveStock(stack, 'BER-1', sku, 5);
    expect((await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'BER-1', safetyStock: 3 } })).status).toBe(200);
    expect((await stack.api('GET', `/v1/inventory/alerts?sku=${sku}`, op)).body.data).toEqual([]);

    // The reservation (in the order's activity) leaves 2: the alert opens there, and the
    // service's sweep starts the replenishment.
    const order = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 3, unitPrice: 1000 }] }) });
    await waitForStatus(stack, order.body.id, 'awaiting_payment');
    const po = await waitFor(
      async () => (await stack.api('GET', `/v1/inventory/purchase-orders?sku=${sku}`, op)).body.data[0],
      { timeoutMs: 15_000, message: 'the sweep to start the replenishment and place a purchase order' },
    );
    // 3 + 3 above the 2 left.
    expect(po).toMatchObject({ warehouse: 'BER-1', quantity: 4, status: 'open', expedited: false });
    const [alert] = (await stack.api('GET', `/v1/inventory/alerts?sku=${sku}&status=open`, op)).body.data;
    expect(alert).toMatchObject({ availableWhenOpened: 2, replenishmentWorkflowId: replenishmentWorkflowId(sku, 'BER-1') });
    expect(po.alertId).toBe(alert.id);
    expect((await stack.api('POST', '/v1/inventory/receipts', { ...op, body: { warehouse: 'BER-1', sku, quantity: 4, purchaseOrderId: po.id } })).status).toBe(201);
    expect(await stack.running.client.workflow.getHandle(replenishmentWorkflowId(sku, 'BER-1')).result()).toMatchObject({ status: 'restocked' });
  });
});
