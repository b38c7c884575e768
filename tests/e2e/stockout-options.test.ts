import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { reservations, shipments } from '../../src/db/schema';
import { STOCK_MOVEMENT_KINDS } from '../../src/domain/stock-movements';
import { ledgerDiscrepancies } from '../../src/inventory/stock-ledger';
import { createProduct, FEEDBACK, receiveStock, sampleOrder, SIGN_OFF, stockLevel, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { expectProblem } from '../helpers/problem';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R1.8 and R2.2 through the HTTP API: `partial` (what is there ships now, the rest as a
// second fulfilment when it arrives), `transfer` from a warehouse beyond RESERVE's reach,
// the movement kinds as the issue names them, and stock freed by a cancellation waking
// the back-ordered orders by priority. Berlin customers; RESERVE reaches their region
// (BER-1) on its own: MUC-1 (same country, +2 days) and RTM-1 (abroad, +5) are transfers.
// Orders are prepaid, so an order holds its stock (awaiting_payment) until a test pays.

const HOME = 'BER-1';
type Option = { decision: string; consequence: string; [k: string]: unknown };

describe('stockout options: partial and transfer, movement kinds, cancellations', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      ORDERFLOW_ALLOCATION_REACH: 'region',
      ORDERFLOW_REQUIRE_PREPAYMENT: 'on',
      ORDERFLOW_PREPAYMENT_WINDOW: '1000d',
      // Nothing looks again on its own within a test: only a wake (a receipt, a cancellation) serves a waiting order.
      ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  const place = async (items: { sku: string; quantity: number }[], overrides: Record<string, unknown> = {}) => {
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({ items: items.map((i) => ({ ...i, unitPrice: 1000 })), ...overrides }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; number: string };
  };
  const deciding = async (id: string) => {
    await waitForWorkflowStatus(stack, id, 'awaiting_stock_decision');
    const order = await waitForStatus(stack, id, 'awaiting_stock_decision');
    return order.stockout.options as Option[];
  };
  const respond = (id: string, body: Record<string, unknown>) => stack.api('POST', `/v1/orders/${id}/stockout-response`, { body });
  /** Pays the order's total once it waits for it (prepaid). */
  const pay = async (id: string) => {
    const order = await waitForStatus(stack, id, 'awaiting_payment');
    const paid = await stack.api('POST', '/v1/payments', {
      key: TEST_KEYS.integrator,
      body: { orderId: id, amount: order.totals.total, currency: 'EUR', method: 'card', reference: `pay-${randomUUID()}` },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    return order.totals.total as number;
  };
  const complete = async (id: string) => {
    await waitForWorkflowStatus(stack, id, 'delivered', 30_000);
    const { number } = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(200);
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    return waitForStatus(stack, id, 'completed');
  };

  it('partial: offered with what ships now and later; the first part ships, the rest ships when a receipt comes, both are delivered and the order completes', async () => {
    const short = uniqueSku('PART');
    const whole = uniqueSku('WHOLE');
    for (const sku of [short, whole]) await createProduct(stack, sku);
    await receiveStock(stack, HOME, short, 1);
    await receiveStock(stack, HOME, whole, 2);

    const { id } = await place([
      { sku: short, quantity: 3 },
      { sku: whole, quantity: 2 },
    ]);
    const options = await deciding(id);
    // Nothing elsewhere: no transfer; some of it is here: partial.
    expect(options.map((o) => o.decision)).toEqual(['wait', 'partial', 'cancel']);
    const partial = options[1]!;
    expect(partial).toMatchObject({
      now: [
        { line: 1, sku: short, quantity: 1 },
        { line: 2, sku: whole, quantity: 2 },
      ],
      later: [{ line: 1, sku: short, quantity: 2 }],
      eta: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    expect(partial.consequence).toContain(`ships now: 1 × ${short}, 2 × ${whole}`);
    expect(partial.consequence).toContain(`the rest (2 × ${short})`);
    expect(partial.consequence).toContain(`expected by ${String(partial.eta)}`);

    // An option not on offer is refused, naming those that are.
    const transfer = await respond(id, { decision: 'transfer' });
    expectProblem(transfer, 409);
    expect(transfer.body.detail).toMatch(/"transfer" is not on offer.*wait, partial, cancel/);

    expect((await respond(id, { decision: 'partial' })).status).toBe(200);
    const total = await pay(id);
    const shipping = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(shipping.backOrdered).toEqual([{ line: 1, sku: short, quantity: 2 }]);
    expect(shipping.shipments).toHaveLength(1);

    // The first part travels and arrives; the order is not delivered while the rest waits.
    await waitFor(async () => {
      const rows = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
      return rows.length === 1 && rows[0]!.status === 'delivered';
    }, { timeoutMs: 30_000, message: 'the first part delivered' });
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.status).toBe('in_transit');
    expect(await stockLevel(stack, short, HOME)).toMatchObject({ onHand: 0, reserved: 0 });

    // Two units arrive: the rest is woken, reserved as fulfilment 1 and shipped.
    await receiveStock(stack, HOME, short, 2);
    const done = await complete(id);
    expect(done.backOrdered).toBeNull();
    expect(done.totals.total).toBe(total);
    const sent = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
    expect(sent.map((s) => [s.fulfilment, s.status]).sort()).toEqual([
      [0, 'delivered'],
      [1, 'delivered'],
    ]);
    const held = await stack.db.select().from(reservations).where(eq(reservations.orderId, id));
    expect(held.map((r) => [r.fulfilment, r.sku, r.quantity, r.status]).sort()).toEqual(
      [
        [0, short, 1, 'shipped'],
        [0, whole, 2, 'shipped'],
        [1, short, 2, 'shipped'],
      ].sort(),
    );
    expect(await stockLevel(stack, short, HOME)).toMatchObject({ onHand: 0, reserved: 0 });

    // The ledger in the words: reservations and shipments of both parts.
    const moves = await stack.api('GET', `/v1/inventory/movements?orderId=${id}&limit=100`);
    expect(moves.status).toBe(200);
    const kinds = (moves.body.data as { kind: string; sku: string; quantity: number }[]).map((m) => [m.kind, m.sku, m.quantity]);
    expect(kinds.sort()).toEqual(
      [
        ['reservation', short, 1],
        ['reservation', whole, 2],
        ['reservation', short, 2],
        ['shipment', short, 1],
        ['shipment', whole, 2],
        ['shipment', short, 2],
      ].sort(),
    );
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('transfer: offered from the nearest warehouse beyond reach that covers the shortage, with its days; chosen, the order ships from there', async () => {
    const sku = uniqueSku('FAR');
    await createProduct(stack, sku);
    await receiveStock(stack, 'MUC-1', sku, 1);
    await receiveStock(stack, 'RTM-1', sku, 2);

    const { id } = await place([{ sku, quantity: 2 }]);
    const options = await deciding(id);
    // Munich (nearer) holds too few: Rotterdam covers it, five days more.
    expect(options.map((o) => o.decision)).toEqual(['wait', 'transfer', 'cancel']);
    expect(options[1]).toMatchObject({ fromWarehouse: 'RTM-1', addedDays: 5, consequence: expect.stringContaining('RTM-1') });

    expect((await respond(id, { decision: 'transfer' })).status).toBe(200);
    await pay(id);
    const done = await complete(id);
    expect(done.shipments.map((s: { warehouse: string }) => s.warehouse)).toEqual(['RTM-1']);
    expect(await stockLevel(stack, sku, 'RTM-1')).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await stockLevel(stack, sku, 'MUC-1')).toMatchObject({ onHand: 1, reserved: 0 });
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('a cancellation frees stock for the back-ordered orders: the urgent one is served first, the other keeps waiting', async () => {
    const sku = uniqueSku('FREED');
    await createProduct(stack, sku);
    await receiveStock(stack, HOME, sku, 1);
    const holder = await place([{ sku, quantity: 1 }]);
    await waitForStatus(stack, holder.id, 'awaiting_payment');

    // The normal order is the older: priority, not age, decides.
    const normal = await place([{ sku, quantity: 1 }], { priority: 'normal' });
    const urgent = await place([{ sku, quantity: 1 }], { priority: 'urgent' });
    for (const o of [normal, urgent]) {
      expect((await deciding(o.id)).map((x) => x.decision)).toEqual(['wait', 'cancel']);
      expect((await respond(o.id, { decision: 'wait' })).status).toBe(200);
      await waitForWorkflowStatus(stack, o.id, 'backordered');
    }

    expect((await stack.api('POST', `/v1/orders/${holder.id}/cancel`, { body: { reason: 'changed my mind' } })).status).toBe(200);
    await waitForStatus(stack, holder.id, 'cancelled');
    // The freed unit wakes the urgent order, and only it (nothing looks again on its own here).
    await waitForStatus(stack, urgent.id, 'awaiting_payment');
    expect((await stack.api('GET', `/v1/orders/${normal.id}`)).body.status).toBe('backordered');
    expect(await stockLevel(stack, sku, HOME)).toMatchObject({ onHand: 1, reserved: 1 });

    // Released and reserved again, in the words.
    const moves = await stack.api('GET', `/v1/inventory/movements?sku=${sku}&limit=100`);
    expect((moves.body.data as { kind: string; orderId: string | null }[]).map((m) => [m.kind, m.orderId])).toEqual([
      ['receipt', null],
      ['reservation', holder.id],
      ['release', holder.id],
      ['reservation', urgent.id],
    ]);
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('arriving stock wakes the waiting orders that can reserve it: a unit at RTM-1 serves the Dutch normal order, not the German urgent one ahead', async () => {
    const sku = uniqueSku('REACH');
    await createProduct(stack, sku);
    const german = await place([{ sku, quantity: 1 }], { priority: 'urgent' });
    const dutch = await place([{ sku, quantity: 1 }], {
      priority: 'normal',
      customer: { name: 'Anna de Vries', email: 'anna@example.nl', phone: '+31 10 1234567', address: { line1: 'Coolsingel 40', city: 'Rotterdam', region: 'ZH', postalCode: '3011 AD', country: 'NL' } },
    });
    for (const o of [german, dutch]) {
      expect((await deciding(o.id)).map((x) => x.decision)).toEqual(['wait', 'cancel']);
      expect((await respond(o.id, { decision: 'wait' })).status).toBe(200);
      await waitForWorkflowStatus(stack, o.id, 'backordered');
    }

    // RTM-1 is beyond the Berlin customer's reach: the unit is the Dutch order's, though it is behind.
    await receiveStock(stack, 'RTM-1', sku, 1);
    await waitForStatus(stack, dutch.id, 'awaiting_payment', 15_000);
    expect((await stack.api('GET', `/v1/orders/${german.id}`)).body.status).toBe('backordered');
    expect(await stockLevel(stack, sku, 'RTM-1')).toMatchObject({ onHand: 1, reserved: 1 });

    await receiveStock(stack, HOME, sku, 1);
    await waitForStatus(stack, german.id, 'awaiting_payment', 15_000);
    expect(await stockLevel(stack, sku, HOME)).toMatchObject({ onHand: 1, reserved: 1 });
    const held = await stack.db.select().from(reservations).where(eq(reservations.sku, sku));
    expect(held.map((r) => [r.orderId, r.warehouseCode]).sort()).toEqual([[dutch.id, 'RTM-1'], [german.id, HOME]].sort());
    expect(await ledgerDiscrepancies(stack.db)).toEqual([]);
  });

  it('lists movements with the issue\'s kinds only, filtered by kind, a page at a time', async () => {
    const sku = uniqueSku('COUNT');
    await createProduct(stack, sku);
    await receiveStock(stack, HOME, sku, 4);
    const counted = await stack.api('POST', '/v1/inventory/adjustments', {
      key: TEST_KEYS.operator,
      body: { warehouse: HOME, sku, delta: -1, reason: 'one broken' },
    });
    expect(counted.status).toBe(201);
    const page = await stack.api('GET', `/v1/inventory/movements?sku=${sku}&limit=1`);
    expect(page.body.data).toEqual([expect.objectContaining({ sku, warehouse: HOME, kind: 'receipt', quantity: 4, onHandDelta: 4 })]);
    const next = await stack.api('GET', `/v1/inventory/movements?sku=${sku}&limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.data).toEqual([expect.objectContaining({ kind: 'adjustment', quantity: 1, onHandDelta: -1 })]);
    expect((await stack.api('GET', `/v1/inventory/movements?sku=${sku}&kind=adjustment`)).body.data).toHaveLength(1);
    expectProblem(await stack.api('GET', `/v1/inventory/movements?kind=adjust`), 422);

    const all = await stack.api('GET', '/v1/inventory/movements?limit=500');
    for (const m of all.body.data as { kind: string }[]) expect(STOCK_MOVEMENT_KINDS).toContain(m.kind);
  });
});
