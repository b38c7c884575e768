import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client';
import { inventoryLevels, products, stockAlerts, stockMovements } from '../../src/db/schema';
import { DEMO_WAREHOUSES, seedDemoCatalogue } from '../../src/db/seed';
import {
  adjust,
  AdjustmentRefused,
  ledgerDiscrepancies,
  LedgerError,
  receive,
  release,
  reserve,
  restock,
  ship,
  StockShortage,
  transferOut,
  writeOff,
  type StockMove,
} from '../../src/inventory/stock-ledger';
import { setThreshold } from '../../src/inventory/thresholds';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { uniqueSku } from '../helpers/orders';

// The stock ledger against a real database: random sequences of receipts, reservations,
// releases, shipments, counted adjustments, transfers (out now, in later), returns,
// write-offs, safety thresholds and replays of earlier movements, each in its own
// transaction as activities write them. Afterwards every level equals the sum of its
// movements and the figures a simple model expects; nothing went negative or
// over-reserved; and a level has an open shortage alert exactly when it is below its
// safety stock.

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
  | { op: 'adjust'; sku: number; warehouse: number; delta: number }
  | { op: 'transfer'; sku: number; warehouse: number; quantity: number }
  | { op: 'arrive'; transfer: number }
  | { op: 'return'; sku: number; warehouse: number; quantity: number }
  | { op: 'write_off'; hold: number }
  | { op: 'threshold'; sku: number; warehouse: number; safety: number }
  | { op: 'replay'; step: number };

const at = { sku: fc.nat(1), warehouse: fc.nat(WAREHOUSES.length - 1) };
// Weighted so that sequences often reserve what is there, and sometimes more.
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('receive' as const), ...at, quantity: fc.integer({ min: 5, max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('reserve' as const), ...at, quantity: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('release' as const, 'ship' as const), hold: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('adjust' as const), ...at, delta: fc.integer({ min: -12, max: 12 }).filter((d) => d !== 0) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('transfer' as const), ...at, quantity: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('arrive' as const), transfer: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('return' as const), ...at, quantity: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('write_off' as const), hold: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('threshold' as const), ...at, safety: fc.nat(15) }) },
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
        /** Levels that exist: created by the first arrival (receipt, transfer in, positive adjustment) or a threshold. */
        const levelsThere = new Set<string>();
        const transfers: { move: StockMove; to: string; arrived: boolean }[] = [];
        let shipped: StockMove[] = [];
        const holds: { move: StockMove; state: 'held' | 'released' | 'shipped' }[] = [];
        // Every movement written so far, as the call that wrote it: replaying one must change nothing.
        const written: (() => Promise<unknown>)[] = [];

        for (const s of steps) {
          if (s.op === 'adjust') {
            const sku = skus[s.sku]!;
            const warehouseCode = WAREHOUSES[s.warehouse]!;
            const a = { sku, warehouseCode, delta: s.delta, key: `adjust:${randomUUID()}`, reference: 'counted' };
            const f = figure(sku, warehouseCode);
            const write = () => db.transaction((tx) => adjust(tx, a));
            if (s.delta > 0 || f.onHand - f.reserved >= -s.delta) {
              expect(await write()).toMatchObject({ recorded: true });
              f.onHand += s.delta;
              levelsThere.add(`${sku}@${warehouseCode}`);
              written.push(write);
            } else {
              await expect(write()).rejects.toBeInstanceOf(AdjustmentRefused);
            }
          } else if (s.op === 'transfer') {
            const sku = skus[s.sku]!;
            const from = WAREHOUSES[s.warehouse]!;
            const to = WAREHOUSES[(s.warehouse + 1) % WAREHOUSES.length]!;
            const move = { sku, warehouseCode: from, quantity: s.quantity, key: `transfer_out:${randomUUID()}` };
            const f = figure(sku, from);
            const write = () => db.transaction((tx) => transferOut(tx, [move]));
            if (f.onHand - f.reserved >= s.quantity) {
              expect(await write()).toHaveLength(1);
              f.onHand -= s.quantity;
              transfers.push({ move, to, arrived: false });
              written.push(write);
            } else {
              await expect(write()).rejects.toBeInstanceOf(StockShortage);
            }
          } else if (s.op === 'arrive') {
            const open = transfers.filter((t) => !t.arrived);
            const t = open[s.transfer % Math.max(open.length, 1)];
            if (!t) continue;
            const move = { ...t.move, warehouseCode: t.to, key: `transfer_in:${t.move.key}` };
            const write = () => db.transaction((tx) => receive(tx, move, 'transfer_in'));
            expect(await write()).toMatchObject({ recorded: true });
            figure(move.sku, t.to).onHand += move.quantity;
            levelsThere.add(`${move.sku}@${t.to}`);
            t.arrived = true;
            written.push(write);
          } else if (s.op === 'return') {
            const move = { sku: skus[s.sku]!, warehouseCode: WAREHOUSES[s.warehouse]!, quantity: s.quantity, key: `return:${randomUUID()}` };
            const write = () => db.transaction((tx) => restock(tx, [move]));
            if (levelsThere.has(`${move.sku}@${move.warehouseCode}`)) {
              expect(await write()).toHaveLength(1);
              figure(move.sku, move.warehouseCode).onHand += s.quantity;
              written.push(write);
            } else {
              // Goods come back only to a warehouse that held the SKU.
              await expect(write()).rejects.toBeInstanceOf(LedgerError);
            }
          } else if (s.op === 'write_off') {
            const move = shipped[s.hold % Math.max(shipped.length, 1)];
            if (!move) continue;
            shipped = shipped.filter((m) => m !== move);
            const lost = { ...move, key: `write_off:${move.key}` };
            const write = () => db.transaction((tx) => writeOff(tx, [lost]));
            // Shipped goods lost on the way: recorded, no figure here changes.
            expect(await write()).toHaveLength(1);
            written.push(write);
          } else if (s.op === 'threshold') {
            const sku = skus[s.sku]!;
            const warehouse = WAREHOUSES[s.warehouse]!;
            expect(await setThreshold(db, { sku, warehouse, safetyStock: s.safety })).toMatchObject({ kind: 'set' });
            figure(sku, warehouse);
            levelsThere.add(`${sku}@${warehouse}`);
          } else if (s.op === 'receive') {
            const move = { sku: skus[s.sku]!, warehouseCode: WAREHOUSES[s.warehouse]!, quantity: s.quantity, key: `receipt:${randomUUID()}` };
            const write = () => db.transaction((tx) => receive(tx, move));
            const result = await write();
            expect(result.recorded).toBe(true);
            figure(move.sku, move.warehouseCode).onHand += s.quantity;
            levelsThere.add(`${move.sku}@${move.warehouseCode}`);
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
            if (s.op === 'ship') shipped.push(move);
            written.push(write);
          }
        }

        expect(await ledgerDiscrepancies(db)).toEqual([]);
        const levels = await db.select().from(inventoryLevels).where(inArray(inventoryLevels.sku, skus));
        const actual = Object.fromEntries(levels.map((l) => [`${l.sku}@${l.warehouseCode}`, { onHand: l.onHand, reserved: l.reserved }]));
        // A reservation refused where nothing was ever received leaves no level at all.
        const expected = Object.fromEntries([...model].filter(([k, f]) => k in actual || f.onHand !== 0 || f.reserved !== 0));
        expect(actual).toEqual(expected);

        // A shortage alert is open exactly where available is below the safety stock.
        const open = await db.select().from(stockAlerts).where(and(inArray(stockAlerts.sku, skus), eq(stockAlerts.status, 'open')));
        const alerted = new Set(open.map((a) => `${a.sku}@${a.warehouseCode}`));
        const short = new Set(levels.filter((l) => l.onHand - l.reserved < l.safetyThreshold).map((l) => `${l.sku}@${l.warehouseCode}`));
        expect(alerted).toEqual(short);
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
