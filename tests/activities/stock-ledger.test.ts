import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client';
import { inventoryLevels, products, stockMovements } from '../../src/db/schema';
import { DEMO_WAREHOUSES, seedDemoCatalogue } from '../../src/db/seed';
import { ledgerDiscrepancies, receive, release, reserve, ship, StockShortage, type StockMove } from '../../src/inventory/stock-ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { uniqueSku } from '../helpers/orders';

// The stock ledger against a real database: random sequences of receipts, reservations,
// releases, shipments and replays of earlier movements, each in its own transaction as
// activities write them. Afterwards every level equals the sum of its movements and
// the figures a simple model expects; nothing went negative or over-reserved.

let test: TestDatabase;
let db: Db;

beforeAll(async () => {
  test = await createTestDatabase();
  db = test.database.db;
  await seedDemoCatalogue(db);
});
afterAll(() => test?.drop());

const WAREHOUSES = DEMO_WAREHOUSES.slice(0, 2).map((w) => w.code);

async function newProducts(n: number): Promise<string[]> {
  const skus = Array.from({ length: n }, () => uniqueSku('LEDGER'));
  await db.insert(products).values(
    skus.map((sku) => ({ sku, name: sku, spec: 'test', unitPrice: 100, unitCost: 40, currency: 'EUR', weightGrams: 100, lengthCm: 5, widthCm: 5, heightCm: 5 })),
  );
  return skus;
}

type Step =
  | { op: 'receive'; sku: number; warehouse: number; quantity: number }
  | { op: 'reserve'; sku: number; warehouse: number; quantity: number }
  | { op: 'release' | 'ship'; hold: number }
  | { op: 'replay'; step: number };

const at = { sku: fc.nat(1), warehouse: fc.nat(WAREHOUSES.length - 1) };
// Weighted so that sequences often reserve what is there, and sometimes more.
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('receive' as const), ...at, quantity: fc.integer({ min: 5, max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('reserve' as const), ...at, quantity: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('release' as const, 'ship' as const), hold: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), step: fc.nat(40) }) },
);

describe('stock ledger', () => {
  it('keeps every level equal to the sum of its movements, whatever the sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40, size: 'max' }), async (steps) => {
        const skus = await newProducts(2);
        const model = new Map<string, { onHand: number; reserved: number }>();
        const figure = (sku: string, wh: string) => {
          const k = `${sku}@${wh}`;
          if (!model.has(k)) model.set(k, { onHand: 0, reserved: 0 });
          return model.get(k)!;
        };
        const holds: { move: StockMove; state: 'held' | 'released' | 'shipped' }[] = [];
        // Every movement written so far, as the call that wrote it: replaying one must change nothing.
        const written: (() => Promise<unknown>)[] = [];

        for (const s of steps) {
          if (s.op === 'receive') {
            const move = { sku: skus[s.sku]!, warehouseCode: WAREHOUSES[s.warehouse]!, quantity: s.quantity, key: `receipt:${randomUUID()}` };
            const write = () => db.transaction((tx) => receive(tx, move));
            const result = await write();
            expect(result.recorded).toBe(true);
            figure(move.sku, move.warehouseCode).onHand += s.quantity;
            written.push(write);
          } else if (s.op === 'reserve') {
            const move = { sku: skus[s.sku]!, warehouseCode: WAREHOUSES[s.warehouse]!, quantity: s.quantity, orderId: randomUUID(), key: `reserve:${randomUUID()}` };
            const f = figure(move.sku, move.warehouseCode);
            const write = () => db.transaction((tx) => reserve(tx, [move]));
            if (f.onHand - f.reserved >= s.quantity) {
              expect(await write()).toHaveLength(1);
              f.reserved += s.quantity;
              holds.push({ move, state: 'held' });
              written.push(write);
            } else {
              await expect(write()).rejects.toBeInstanceOf(StockShortage);
            }
          } else if (s.op === 'replay') {
            const again = written[s.step % Math.max(written.length, 1)];
            if (!again) continue;
            const result = await again();
            // A replay writes nothing: the receipt says so, the others applied no movement.
            if (Array.isArray(result)) expect(result).toEqual([]);
            else expect(result).toMatchObject({ recorded: false });
          } else {
            const held = holds.filter((h) => h.state === 'held');
            const hold = held[s.hold % Math.max(held.length, 1)];
            if (!hold) continue;
            const move = { ...hold.move, key: `${s.op}:${hold.move.key}` };
            const write = () => db.transaction((tx) => (s.op === 'release' ? release(tx, [move]) : ship(tx, [move])));
            expect(await write()).toHaveLength(1);
            const f = figure(move.sku, move.warehouseCode);
            f.reserved -= move.quantity;
            if (s.op === 'ship') f.onHand -= move.quantity;
            hold.state = s.op === 'release' ? 'released' : 'shipped';
            written.push(write);
          }
        }

        expect(await ledgerDiscrepancies(db)).toEqual([]);
        const levels = await db.select().from(inventoryLevels).where(inArray(inventoryLevels.sku, skus));
        const actual = Object.fromEntries(levels.map((l) => [`${l.sku}@${l.warehouseCode}`, { onHand: l.onHand, reserved: l.reserved }]));
        // A reservation refused where nothing was ever received leaves no level at all.
        const expected = Object.fromEntries([...model].filter(([k, f]) => k in actual || f.onHand !== 0 || f.reserved !== 0));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a reservation that would take more than is available, writing neither half', async () => {
    const [sku] = await newProducts(1);
    const warehouseCode = WAREHOUSES[0]!;
    await db.transaction((tx) => receive(tx, { sku: sku!, warehouseCode, quantity: 3, key: `receipt:${randomUUID()}` }));
    const move = { sku: sku!, warehouseCode, quantity: 4, orderId: randomUUID(), key: `reserve:${randomUUID()}` };
    await expect(db.transaction((tx) => reserve(tx, [move]))).rejects.toBeInstanceOf(StockShortage);
    expect(await db.select().from(stockMovements).where(eq(stockMovements.idempotencyKey, move.key))).toEqual([]);
    const [level] = await db.select().from(inventoryLevels).where(and(eq(inventoryLevels.sku, sku!), eq(inventoryLevels.warehouseCode, warehouseCode)));
    expect(level).toMatchObject({ onHand: 3, reserved: 0 });
  });
});
