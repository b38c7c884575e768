import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, type Db } from '../../src/db/client';
import { stockMovements } from '../../src/db/schema';
import { DEMO_WAREHOUSES } from '../../src/db/seed';
import { ledgerDiscrepancies } from '../../src/inventory/stock-ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// Migration 0013 on a database written before it: the old kind names (reserve, ship,
// adjust) are rewritten in the append-only ledger, the figures and keys stay, levels
// still equal the ledger, and from then on only the names are taken.

const MIGRATION = fs.readFileSync(path.join(MIGRATIONS_DIR, '0013_movement_kinds.sql'), 'utf8');

describe('migration 0013: movement kinds', () => {
  let test: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    test = await createTestDatabase();
    db = test.database.db;
    // The schema as it was before 0013.
    await db.execute(sql`ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind`);
    await db.execute(sql`ALTER TABLE orders DROP COLUMN back_ordered_rest`);
  });
  afterAll(() => test?.drop());

  it('renames the old kinds in place, keeps figures and keys, and refuses the old names after', async () => {
    const w = DEMO_WAREHOUSES[0]!.code;
    await db.execute(sql`INSERT INTO warehouses (code, name, region, country, postal_code) VALUES (${w}, 'w', 'BE', 'DE', '10115') ON CONFLICT DO NOTHING`);
    await db.execute(sql`INSERT INTO products (sku, name, spec, unit_price, unit_cost, currency, weight_grams, length_cm, width_cm, height_cm, handling)
      VALUES ('OLD-KINDS', 'old', 'x', 100, 50, 'EUR', 100, 1, 1, 1, 'standard')`);
    await db.execute(sql`INSERT INTO inventory_levels (sku, warehouse_code, on_hand, reserved) VALUES ('OLD-KINDS', ${w}, 8, 2)`);
    const old = [
      ['receipt', 10, 0, 'k:receipt'],
      ['reserve', 0, 3, 'reserve:o:1:w'],
      ['ship', -1, -1, 'ship:o:1:w'],
      ['adjust', -1, 0, 'k:adjust'],
    ] as const;
    for (const [kind, onHand, reserved, key] of old) {
      await db.execute(sql`INSERT INTO stock_movements (sku, warehouse_code, kind, on_hand_delta, reserved_delta, idempotency_key)
        VALUES ('OLD-KINDS', ${w}, ${kind}, ${onHand}, ${reserved}, ${key})`);
    }

    for (const statement of MIGRATION.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));

    const rows = await db.select().from(stockMovements).where(sql`${stockMovements.sku} = 'OLD-KINDS'`).orderBy(stockMovements.id);
    expect(rows.map((r) => [r.kind, r.onHandDelta, r.reservedDelta, r.idempotencyKey])).toEqual([
      ['receipt', 10, 0, 'k:receipt'],
      ['reservation', 0, 3, 'reserve:o:1:w'],
      ['shipment', -1, -1, 'ship:o:1:w'],
      ['adjustment', -1, 0, 'k:adjust'],
    ]);
    expect(await ledgerDiscrepancies(db)).toEqual([]);
    // The ledger is append-only again, and the old names are refused.
    await expect(db.execute(sql`UPDATE stock_movements SET reference = 'x' WHERE sku = 'OLD-KINDS'`)).rejects.toMatchObject({ cause: expect.objectContaining({ message: expect.stringMatching(/append-only/) }) });
    await expect(
      db.execute(sql`INSERT INTO stock_movements (sku, warehouse_code, kind, on_hand_delta, reserved_delta, idempotency_key) VALUES ('OLD-KINDS', ${w}, 'ship', 0, 0, 'k:late')`),
    ).rejects.toMatchObject({ cause: expect.objectContaining({ constraint_name: 'stock_movements_kind' }) });
  });
});
