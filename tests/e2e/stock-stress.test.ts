import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { inventoryLevels, orderItems, orders, reservations, stockMovements } from '../../src/db/schema';
import { PRIORITIES } from '../../src/domain/order-status';
import { createProduct, receiveStock, sampleOrder, uniqueSku } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R1.8, R2.4 under load: 100 orders at once across three warehouses for scarce SKUs,
// stock arriving and orders cancelled while they run. At the end nothing is oversold,
// no figure is negative, every level equals its ledger, and every order is reserved
// (parked before dispatch, waiting for its prepayment), back-ordered, awaiting a
// decision, or cancelled holding nothing.

const WAREHOUSES = ['BER-1', 'MUC-1', 'RTM-1'];
const ORDERS = 100;
/** Where a reserved order stops in this file: prepaid, and never paid. */
const PARKED = 'awaiting_payment';
const SETTLED = new Set([PARKED, 'backordered', 'awaiting_stock_decision', 'cancelled']);

describe('stock under concurrent orders', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      ORDERFLOW_REQUIRE_PREPAYMENT: 'on',
      ORDERFLOW_PREPAYMENT_WINDOW: '1000d',
      // About 1.7 s to decide, then `wait`; back-ordered orders look again every 2.6 s.
      ORDERFLOW_STOCK_DECISION_WINDOW: '2d',
      ORDERFLOW_STOCKOUT_DEFAULT: 'wait',
      ORDERFLOW_STOCK_RECHECK_INTERVAL: '3d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('100 concurrent orders for scarce SKUs: no oversell, no negative figure, levels equal the ledger, every order in a state that holds exactly what it should', { timeout: 150_000 }, async () => {
    const skus = [uniqueSku('RARE'), uniqueSku('RARE'), uniqueSku('RARE')];
    for (const sku of skus) await createProduct(stack, sku);
    for (const sku of skus) for (const w of WAREHOUSES) await receiveStock(stack, w, sku, 3);

    // Each order: one or two of the SKUs, one or two units each, every priority.
    const bodies = Array.from({ length: ORDERS }, (_, i) => {
      const first = skus[i % 3]!;
      const items = [{ sku: first, quantity: 1 + (i % 2), unitPrice: 1000 }];
      if (i % 4 === 0) items.push({ sku: skus[(i + 1) % 3]!, quantity: 1, unitPrice: 1000 });
      return sampleOrder({ items, priority: PRIORITIES[i % PRIORITIES.length] });
    });
    const ids: string[] = [];
    const placing = Promise.all(
      bodies.map(async (body) => {
        const created = await stack.api('POST', '/v1/orders', { body });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        ids.push(created.body.id);
      }),
    );
    // Stock arrives while the orders come in: each receipt wakes only the orders it serves.
    const arriving = Promise.all(skus.flatMap((sku, k) => WAREHOUSES.map((w) => receiveStock(stack, w, sku, 1 + k))));
    await Promise.all([placing, arriving]);
    expect(ids).toHaveLength(ORDERS);

    // A tenth of them are cancelled, whatever they have reached.
    const cancelled = ids.filter((_, i) => i % 10 === 3);
    await Promise.all(
      cancelled.map(async (id) => {
        // A busy order answers 503 "send it again" (the API's contract): a client does.
        const res = await waitFor(
          async () => {
            const r = await stack.api('POST', `/v1/orders/${id}/cancel`, { body: { reason: 'changed my mind' } });
            return r.status === 503 ? undefined : r;
          },
          { timeoutMs: 60_000, intervalMs: 500, message: `order ${id} to answer its cancel` },
        );
        expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
      }),
    );

    // Every order settles into a state that holds exactly what it should.
    const problems = await waitFor(
      async () => {
        const found = await checkOrders(stack, ids, skus);
        return found.length === 0 ? found : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, message: 'every order settled and holding what its status says' },
    ).catch(async () => checkOrders(stack, ids, skus));
    expect(problems).toEqual([]);

    // And in one snapshot of the database: the figures themselves.
    await stack.db.transaction(
      async (tx) => {
        const levels = await tx.select().from(inventoryLevels).where(inArray(inventoryLevels.sku, skus));
        expect(levels).toHaveLength(9);
        const ledger = await tx
          .select({
            sku: stockMovements.sku,
            warehouse: stockMovements.warehouseCode,
            onHand: sql<number>`sum(${stockMovements.onHandDelta})::int`,
            reserved: sql<number>`sum(${stockMovements.reservedDelta})::int`,
          })
          .from(stockMovements)
          .where(inArray(stockMovements.sku, skus))
          .groupBy(stockMovements.sku, stockMovements.warehouseCode);
        const held = await tx
          .select({ sku: reservations.sku, warehouse: reservations.warehouseCode, quantity: sql<number>`sum(${reservations.quantity})::int` })
          .from(reservations)
          .where(and(inArray(reservations.sku, skus), eq(reservations.status, 'held')))
          .groupBy(reservations.sku, reservations.warehouseCode);
        for (const l of levels) {
          // No negative figure, nothing reserved that is not on the shelf.
          expect(l.onHand).toBeGreaterThanOrEqual(0);
          expect(l.reserved).toBeGreaterThanOrEqual(0);
          expect(l.reserved).toBeLessThanOrEqual(l.onHand);
          // The level is the sum of its ledger, and what it says is reserved is what orders hold.
          const sum = ledger.find((m) => m.sku === l.sku && m.warehouse === l.warehouseCode);
          expect({ sku: l.sku, w: l.warehouseCode, onHand: sum?.onHand, reserved: sum?.reserved }).toEqual({
            sku: l.sku,
            w: l.warehouseCode,
            onHand: l.onHand,
            reserved: l.reserved,
          });
          expect(held.find((h) => h.sku === l.sku && h.warehouse === l.warehouseCode)?.quantity ?? 0).toBe(l.reserved);
        }
        // Scarce means scarce: the stock ran out for some, and no more went out than came in.
        const received = 9 * 3 + WAREHOUSES.length * (1 + 2 + 3);
        expect(levels.reduce((n, l) => n + l.reserved, 0)).toBeLessThanOrEqual(received);
      },
      { isolationLevel: 'repeatable read' },
    );
    const statuses = await stack.db.select({ status: orders.status }).from(orders).where(inArray(orders.id, ids));
    const count = (s: string) => statuses.filter((o) => o.status === s).length;
    expect(count(PARKED)).toBeGreaterThan(0);
    expect(count('backordered') + count('awaiting_stock_decision')).toBeGreaterThan(0);
    expect(count('cancelled')).toBeGreaterThanOrEqual(cancelled.length);
  });
});

/** Orders not yet settled, or holding other than their status says: reserved holds every line, the rest hold nothing. */
async function checkOrders(stack: TestStack, ids: string[], skus: string[]): Promise<string[]> {
  const problems: string[] = [];
  const rows = await stack.db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
  const lines = await stack.db.select().from(orderItems).where(inArray(orderItems.orderId, ids));
  const held = await stack.db.select().from(reservations).where(and(inArray(reservations.orderId, ids), inArray(reservations.sku, skus)));
  for (const o of rows) {
    if (!SETTLED.has(o.status)) {
      problems.push(`${o.id} is ${o.status}`);
      continue;
    }
    const mine = held.filter((r) => r.orderId === o.id && r.status === 'held');
    if (o.status === PARKED) {
      for (const l of lines.filter((x) => x.orderId === o.id)) {
        const got = mine.filter((r) => r.line === l.line).reduce((n, r) => n + r.quantity, 0);
        if (got !== l.quantity) problems.push(`${o.id} (${o.status}) holds ${got} of line ${l.line}, wants ${l.quantity}`);
      }
    } else if (mine.length > 0) {
      problems.push(`${o.id} is ${o.status} but holds ${mine.map((r) => `${r.quantity} ${r.sku}`).join(', ')}`);
    }
  }
  return problems;
}
