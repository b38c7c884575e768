import { and, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { sandboxShipments } from '../../src/db/sandbox-schema';
import { inventoryLevels, reservations, shipments, stockMovements } from '../../src/db/schema';
import { ORDER_STATUSES } from '../../src/domain/order-status';
import { createProduct, isSubsequence, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { startCarrierGate } from '../helpers/carrier-gate';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// RESERVE (R1.4, R1.8, R2.1): concurrent orders never take more than there is, a stockout
// is the customer's decision (wait, cancel, or no answer = cancel), reservation is
// all-or-nothing, and a cancelled order gives back what it held.

const WAREHOUSE = 'BER-1';

/** Order statuses reached only once RESERVE set the stock aside: from `reserved` to the end, short of `cancelled`. */
const PAST_RESERVE = new Set<string>(ORDER_STATUSES.slice(ORDER_STATUSES.indexOf('reserved'), ORDER_STATUSES.indexOf('cancelled')));

const orderOf = (lines: { sku: string; quantity: number }[]) =>
  sampleOrder({ items: lines.map((l) => ({ ...l, unitPrice: 1000 })) });

/** Σ of the append-only ledger per SKU and warehouse, next to the figure it must add up to. */
async function ledgerAgainstLevels(stack: TestStack) {
  const ledger = await stack.db
    .select({
      sku: stockMovements.sku,
      warehouse: stockMovements.warehouseCode,
      onHand: sql<number>`coalesce(sum(${stockMovements.onHandDelta}), 0)::int`,
      reserved: sql<number>`coalesce(sum(${stockMovements.reservedDelta}), 0)::int`,
    })
    .from(stockMovements)
    .groupBy(stockMovements.sku, stockMovements.warehouseCode);
  const levels = await stack.db.select().from(inventoryLevels);
  return { ledger, levels };
}

async function reservationSums(stack: TestStack, sku: string) {
  const rows = await stack.db
    .select({ status: reservations.status, quantity: sql<number>`coalesce(sum(${reservations.quantity}), 0)::int` })
    .from(reservations)
    .where(eq(reservations.sku, sku))
    .groupBy(reservations.status);
  const of = (status: string) => rows.find((r) => r.status === status)?.quantity ?? 0;
  return { held: of('held'), shipped: of('shipped'), released: of('released') };
}

describe('stock with long decision windows', () => {
  let stack: TestStack;
  let gate: Awaited<ReturnType<typeof startCarrierGate>>;

  beforeAll(async () => {
    // The carriers are reached through a gate that stays open unless a test closes it.
    gate = await startCarrierGate();
    // Back-ordered orders look for stock on their own only after 1000 days: in this file
    // they wake because a receipt told them, or not at all.
    stack = await startTestStack({ ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d', CARRIER_API_URL: gate.url });
    gate.target = stack.sandboxUrl;
    await seedDemoCatalogue(stack.db);
  });
  // A test that fails while the gate is closed must not hold up the ones after it.
  afterEach(() => gate?.open());
  afterAll(async () => {
    await stack?.stop();
    await gate?.stop();
  });

  /** An order for more than there is, once both the database and its workflow wait for the customer's decision. */
  async function orderWaitingForDecision(sku: string, quantity: number): Promise<string> {
    const created = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity }]) });
    const id: string = created.body.id;
    await waitForStatus(stack, id, 'awaiting_stock_decision');
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    return id;
  }

  it('never oversells: 50 concurrent one-unit orders for 10 units reserve exactly 10', async () => {
    const sku = uniqueSku('RACE');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 10);

    const created = await Promise.all(Array.from({ length: 50 }, () => stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity: 1 }]) })));
    expect(created.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ids: string[] = created.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(50);

    const overReserved: unknown[] = [];
    let mostPastReserve = 0;
    const settled = await waitFor(
      async () => {
        const level = await stockLevel(stack, sku, WAREHOUSE);
        if (!level || level.reserved > level.onHand || level.reserved < 0) overReserved.push(level);
        // One list request per poll (not fifty order reads) keeps the load off the database.
        const list = await stack.api('GET', '/v1/orders?limit=200');
        const statusOf = new Map<string, string>(list.body.data.map((o: { id: string; status: string }) => [o.id, o.status]));
        const statuses = ids.map((id) => statusOf.get(id) ?? 'missing');
        const past = statuses.filter((s) => PAST_RESERVE.has(s)).length;
        mostPastReserve = Math.max(mostPastReserve, past);
        const waiting = statuses.filter((s) => s === 'awaiting_stock_decision').length;
        const delivered = statuses.filter((s) => s === 'delivered').length;
        // Settled: every order has had its turn at RESERVE and every winner has left the shelf.
        return past === 10 && waiting === 40 && delivered === 10 ? statuses : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 50, message: '10 orders delivered and 40 awaiting a stock decision' },
    );
    expect(overReserved).toEqual([]);
    expect(mostPastReserve).toBe(10);
    expect(settled.filter((s) => s === 'cancelled')).toEqual([]);

    // Each of the 40 losers was told what is short.
    const loser = ids[settled.indexOf('awaiting_stock_decision')]!;
    const { body: waiting } = await stack.api('GET', `/v1/orders/${loser}`);
    const asked = waiting.timeline.find((t: { status: string }) => t.status === 'awaiting_stock_decision');
    expect(asked.detail.shortages).toEqual([{ sku, requested: 1, available: 0 }]);

    // The figures: all ten units went out, none is still held, nothing was taken twice.
    const level = (await stockLevel(stack, sku, WAREHOUSE))!;
    const sums = await reservationSums(stack, sku);
    expect(sums.held + sums.shipped).toBe(10);
    expect(sums.shipped).toBe(10 - level.onHand);
    expect(sums.held).toBe(level.reserved);
    expect(level.reserved + sums.shipped).toBe(10);
    expect(level).toMatchObject({ onHand: 0, reserved: 0, available: 0 });

    // The ledger adds up to every figure, this SKU's and the rest of the catalogue's.
    const { ledger, levels } = await ledgerAgainstLevels(stack);
    for (const l of levels) {
      const sum = ledger.find((m) => m.sku === l.sku && m.warehouse === l.warehouseCode);
      expect({ sku: l.sku, warehouse: l.warehouseCode, onHand: sum?.onHand, reserved: sum?.reserved }).toEqual({
        sku: l.sku,
        warehouse: l.warehouseCode,
        onHand: l.onHand,
        reserved: l.reserved,
      });
    }
    const mine = await stack.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
    expect(mine.filter((m) => m.kind === 'reservation').reduce((n, m) => n + m.reservedDelta, 0)).toBe(10);
    expect(mine.filter((m) => m.kind === 'shipment').reduce((n, m) => n + m.onHandDelta, 0)).toBe(-10);
  });

  it('asks about a stockout; "cancel" ends the order holding nothing', async () => {
    const sku = uniqueSku('SHORT');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 2);

    const created = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity: 5 }]) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const asking = await waitForStatus(stack, id, 'awaiting_stock_decision');
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    const question = asking.timeline.find((t: { status: string }) => t.status === 'awaiting_stock_decision');
    expect(question.detail.shortages).toEqual([{ sku, requested: 5, available: 2 }]);

    const answered = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'cancel', reason: 'needs all five' } });
    expect(answered.status).toBe(200);
    const cancelled = await waitForStatus(stack, id, 'cancelled');
    expect(cancelled.timeline.at(-1)).toMatchObject({ status: 'cancelled', detail: { reason: 'needs all five' } });
    expect(cancelled.timeline.map((t: { status: string }) => t.status)).not.toContain('reserved');

    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
    expect(await stack.db.select().from(reservations).where(eq(reservations.orderId, id))).toEqual([]);

    // An order that has ended takes no stock decision.
    const late = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'wait' } });
    expect(late.status).toBe(409);
    expect(late.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('"wait" back-orders the order, and a receipt of the SKU wakes it', async () => {
    const sku = uniqueSku('BACK');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 1);
    const id = await orderWaitingForDecision(sku, 3);

    const invalid = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'maybe' } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain('decision');
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.status).toBe('awaiting_stock_decision');

    const answered = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'wait' } });
    expect(answered.status).toBe(200);
    await waitForStatus(stack, id, 'backordered');
    // The workflow itself has taken the answer in and now waits for stock.
    await waitForWorkflowStatus(stack, id, 'backordered');

    // Already answered: the order is no longer waiting for a decision.
    const again = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'cancel' } });
    expect(again.status).toBe(409);
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 1, reserved: 0 });

    await receiveStock(stack, WAREHOUSE, sku, 4);
    const woken = await waitForStatus(stack, id, [...PAST_RESERVE], 15_000);
    expect(PAST_RESERVE.has(woken.status)).toBe(true);
    const statuses = woken.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['awaiting_stock_decision', 'backordered', 'reserved'], statuses)).toBe(true);

    // Once it has left the shelf, the figures show exactly its three units gone.
    await waitForStatus(stack, id, 'delivered');
    expect(await reservationSums(stack, sku)).toEqual({ held: 0, shipped: 3, released: 0 });
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
  });

  it('reserves at once when the customer chooses to wait after the stock has already come in', async () => {
    const sku = uniqueSku('MEANWHILE');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 1);
    const id = await orderWaitingForDecision(sku, 3);

    // While the customer thinks it over, the goods arrive: there is enough on the shelf now.
    expect(await receiveStock(stack, WAREHOUSE, sku, 5)).toMatchObject({ onHand: 6, reserved: 0, available: 6 });
    const answered = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'wait' } });
    expect(answered.status).toBe(200);

    // Waiting for stock that is already there should not take a recheck interval (1000 days here).
    const reserved = await waitForStatus(stack, id, [...PAST_RESERVE], 8_000);
    expect(PAST_RESERVE.has(reserved.status)).toBe(true);
  });

  it('reserves all lines or none: a short second line leaves the first line\'s stock untouched', async () => {
    const plenty = uniqueSku('PLENTY');
    const scarce = uniqueSku('SCARCE');
    await createProduct(stack, plenty);
    await createProduct(stack, scarce);
    await receiveStock(stack, WAREHOUSE, plenty, 10);
    await receiveStock(stack, WAREHOUSE, scarce, 1);

    const created = await stack.api('POST', '/v1/orders', {
      body: orderOf([
        { sku: plenty, quantity: 2 },
        { sku: scarce, quantity: 3 },
      ]),
    });
    const id: string = created.body.id;
    const asking = await waitForStatus(stack, id, 'awaiting_stock_decision');
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    const question = asking.timeline.find((t: { status: string }) => t.status === 'awaiting_stock_decision');
    expect(question.detail.shortages).toEqual([{ sku: scarce, requested: 3, available: 1 }]);

    expect(await stockLevel(stack, plenty, WAREHOUSE)).toMatchObject({ onHand: 10, reserved: 0, available: 10 });
    expect(await stockLevel(stack, scarce, WAREHOUSE)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
    expect(await stack.db.select().from(reservations).where(eq(reservations.orderId, id))).toEqual([]);
    expect(await stack.db.select().from(stockMovements).where(eq(stockMovements.orderId, id))).toEqual([]);

    // Another order can still have every unit of the first line.
    const other = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku: plenty, quantity: 10 }]) });
    await waitForStatus(stack, other.body.id, [...PAST_RESERVE]);

    const answered = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'cancel' } });
    expect(answered.status).toBe(200);
    await waitForStatus(stack, id, 'cancelled');
    expect(await stack.db.select().from(stockMovements).where(eq(stockMovements.orderId, id))).toEqual([]);
  });

  it('gives the reserved units back when the order is cancelled before dispatch', async () => {
    const sku = uniqueSku('HELD');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 5);

    gate.close();
    const created = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity: 2 }]) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitForStatus(stack, id, 'reserved');
    // The order is asking the carriers for rates: reserved, not yet planned or booked.
    await waitFor(() => gate.heldCount() > 0, { timeoutMs: 10_000, message: 'the order to ask for rates' });
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });

    const handle = stack.running.client.workflow.getHandle(`order-${id}`);
    const cancelling = stack.api('POST', `/v1/orders/${id}/cancel`, { body: { reason: 'customer changed their mind' } });
    await waitFor(
      async () => {
        const history = await handle.fetchHistory();
        return history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'cancel');
      },
      { timeoutMs: 10_000, message: 'the order to accept the cancellation' },
    );
    gate.open();

    const cancelled = await cancelling;
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const statuses = cancelled.body.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['reserved', 'cancelled'], statuses)).toBe(true);
    expect(statuses).not.toContain('dispatched');

    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    const held = await stack.db.select().from(reservations).where(eq(reservations.orderId, id));
    expect(held.map((r) => [r.sku, r.quantity, r.status])).toEqual([[sku, 2, 'released']]);
    const moves = await stack.db.select().from(stockMovements).where(and(eq(stockMovements.orderId, id), eq(stockMovements.sku, sku)));
    expect(moves.map((m) => [m.kind, m.onHandDelta, m.reservedDelta]).sort()).toEqual([
      ['release', 0, -2],
      ['reservation', 0, 2],
    ]);
    // Nothing was booked with a carrier for it.
    const planned = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
    for (const s of planned) {
      expect(await stack.db.select().from(sandboxShipments).where(eq(sandboxShipments.reference, s.id))).toEqual([]);
    }

    // The units are free for the next customer.
    const next = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity: 5 }]) });
    await waitForStatus(stack, next.body.id, [...PAST_RESERVE]);
  });
});

describe('the stock decision window', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_TIME_SCALE: '1', ORDERFLOW_STOCK_DECISION_WINDOW: '2s' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('cancels an order whose stockout gets no answer in time', async () => {
    const sku = uniqueSku('SLOW');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 1);
    const created = await stack.api('POST', '/v1/orders', { body: orderOf([{ sku, quantity: 2 }]) });
    expect(created.status).toBe(201);
    expect(created.body.verification).toEqual({ passed: true, reasons: [] });
    const id: string = created.body.id;
    await waitForStatus(stack, id, 'awaiting_stock_decision', 10_000);

    const cancelled = await waitForStatus(stack, id, 'cancelled', 20_000);
    const statuses = cancelled.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['awaiting_stock_decision', 'cancelled'], statuses)).toBe(true);
    expect(statuses).not.toContain('backordered');
    expect(cancelled.timeline.at(-1).detail.reason).toMatch(/stock decision window/);

    const late = await stack.api('POST', `/v1/orders/${id}/stockout-response`, { body: { decision: 'wait' } });
    expect(late.status).toBe(409);
    expect(await stockLevel(stack, sku, WAREHOUSE)).toMatchObject({ onHand: 1, reserved: 0 });
  });
});
