import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { purchaseOrders } from '../../src/db/schema';
import { replenishmentEta } from '../../src/inventory/replenishment-eta';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// The `wait` option's promise (R1.8): a purchase order on its way says when; without one,
// the configured restock lead time from now.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCatalogue(database.database.db);
});
afterAll(() => database?.drop());

describe('replenishment ETA', () => {
  it('is the configured restock lead time from now, as a date, when nothing is on its way', async () => {
    const { db } = database.database;
    const now = new Date('2030-01-30T22:00:00Z');
    expect(await replenishmentEta(db, 'TEA-OOLONG-100', undefined, { now })).toEqual({ eta: '2030-02-06', source: 'default' });
    expect(await replenishmentEta(db, 'TEA-OOLONG-100', 'BER-1', { now, leadTimeMs: 3 * 3_600_000 })).toEqual({ eta: '2030-01-31', source: 'default' });
  });

  it('is the expected arrival of the earliest open purchase order, naming it', async () => {
    const { db } = database.database;
    const id = randomUUID();
    await db.insert(purchaseOrders).values({
      id,
      sku: 'MUG-STONE-350',
      warehouseCode: 'BER-1',
      quantity: 10,
      supplier: 'Steingut GmbH',
      unitCost: 800,
      currency: 'EUR',
      leadTimeDays: 4,
      expectedAt: new Date('2030-02-03T09:00:00Z'),
      idempotencyKey: `test-${id}`,
    });
    expect(await replenishmentEta(db, 'MUG-STONE-350', 'BER-1', { now: new Date('2030-01-30T00:00:00Z') })).toEqual({
      eta: '2030-02-03',
      source: `purchase_order:${id}`,
    });
    // Another warehouse has nothing on its way.
    expect((await replenishmentEta(db, 'MUG-STONE-350', 'MUC-1', { now: new Date('2030-01-30T00:00:00Z') })).source).toBe('default');
  });
});
