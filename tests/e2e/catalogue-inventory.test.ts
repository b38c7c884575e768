import { randomUUID } from 'node:crypto';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { products, stockMovements, warehouses } from '../../src/db/schema';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type ApiResponse, type TestStack } from '../helpers/stack';

// The catalogue VERIFY checks against, the warehouses, goods received and the stock
// figures, over HTTP against the real API and database: who may change them, input that
// is refused and changes nothing, receipts recorded at most once, and the append-only
// movement ledger behind the figures.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

const suffix = () => randomUUID().slice(0, 8).toUpperCase();
const OPERATOR = TEST_KEYS.operator;

type Level = { sku: string; warehouse: string; onHand: number; reserved: number; available: number };

function product(overrides: Record<string, unknown> = {}) {
  return {
    sku: `TEST-${suffix()}`,
    name: 'Linen napkin set',
    spec: '4 pieces, 45 x 45 cm',
    unitPrice: 2400,
    unitCost: 900,
    currency: 'EUR',
    weightGrams: 300,
    dimensionsCm: { length: 25, width: 20, height: 4 },
    ...overrides,
  };
}

function warehouse(overrides: Record<string, unknown> = {}) {
  return { code: `HAM-${suffix()}`, name: 'Hamburg depot', region: 'HH', country: 'DE', postalCode: '20095', ...overrides };
}

async function count(table: typeof products | typeof warehouses | typeof stockMovements): Promise<number> {
  const [row] = await stack.db.select({ n: sql<number>`count(*)::int` }).from(table);
  return row!.n;
}

async function level(sku: string, warehouseCode: string): Promise<Level | undefined> {
  const res = await stack.api('GET', `/v1/inventory?sku=${encodeURIComponent(sku)}&warehouse=${encodeURIComponent(warehouseCode)}`, { key: OPERATOR });
  expect(res.status).toBe(200);
  expect(res.body.data.length).toBeLessThanOrEqual(1);
  return res.body.data[0];
}

function receive(body: Record<string, unknown>, headers: Record<string, string> = {}, key: string | null = OPERATOR) {
  return stack.api('POST', '/v1/inventory/receipts', { body, headers, key });
}

async function receiptMovements(sku: string, warehouseCode: string) {
  return stack.db
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.sku, sku), eq(stockMovements.warehouseCode, warehouseCode), eq(stockMovements.kind, 'receipt')));
}

describe('products', () => {
  it('lets an operator or admin add a product, and anyone with a key read the catalogue', async () => {
    const body = product();
    const created = await stack.api('POST', '/v1/products', { body, key: OPERATOR });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/products/${body.sku}`);
    expect(created.body).toEqual({ ...body, handling: 'standard', active: true, substitutes: [] });

    const byAdmin = await stack.api('POST', '/v1/products', { body: product({ handling: 'fragile' }), key: TEST_KEYS.admin });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.handling).toBe('fragile');

    for (const key of [TEST_KEYS.integrator, TEST_KEYS.finance, TEST_KEYS.carrier, OPERATOR]) {
      const read = await stack.api('GET', `/v1/products?sku=${body.sku}`, { key });
      expect(read.status).toBe(200);
      expect(read.body.data).toEqual([created.body]);
    }
    const [row] = await stack.db.select().from(products).where(eq(products.sku, body.sku));
    expect(row).toMatchObject({ unitPrice: 2400, unitCost: 900, lengthCm: 25, widthCm: 20, heightCm: 4 });
  });

  it('refuses writes from roles that may not change the catalogue, and stores nothing', async () => {
    const before = await count(products);
    const body = product();
    const integrator = await stack.api('POST', '/v1/products', { body, key: TEST_KEYS.integrator });
    expectProblem(integrator, 403);
    const finance = await stack.api('POST', '/v1/products', { body, key: TEST_KEYS.finance });
    expectProblem(finance, 403);
    const anonymous = await stack.api('POST', '/v1/products', { body, key: null });
    expectProblem(anonymous, 401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await count(products)).toBe(before);
    expect((await stack.api('GET', `/v1/products?sku=${body.sku}`)).body.data).toEqual([]);
  });

  it('refuses a duplicate SKU with 409 and keeps the product as it was', async () => {
    const body = product();
    expect((await stack.api('POST', '/v1/products', { body, key: OPERATOR })).status).toBe(201);
    const duplicate = await stack.api('POST', '/v1/products', { body: { ...body, name: 'Something else', unitPrice: 1 }, key: OPERATOR });
    expectProblem(duplicate, 409);
    expect(fields(duplicate)).toContain('sku');
    const demo = await stack.api('POST', '/v1/products', { body: product({ sku: 'TEA-OOLONG-100' }), key: OPERATOR });
    expectProblem(demo, 409);

    const stored = await stack.db.select().from(products).where(eq(products.sku, body.sku));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: 'Linen napkin set', unitPrice: 2400 });
    const [tea] = await stack.db.select().from(products).where(eq(products.sku, 'TEA-OOLONG-100'));
    expect(tea).toMatchObject({ name: 'Oolong tea', unitPrice: 1290 });
  });

  it('refuses a malformed product with a 422 naming each field, and stores nothing', async () => {
    const before = await count(products);
    const base = product();
    const cases: { name: string; body: Record<string, unknown>; field: string }[] = [
      { name: 'float price', body: { ...base, unitPrice: 24.99 }, field: 'unitPrice' },
      { name: 'negative cost', body: { ...base, unitCost: -1 }, field: 'unitCost' },
      { name: 'no height', body: { ...base, dimensionsCm: { length: 25, width: 20 } }, field: 'dimensionsCm.height' },
      { name: 'zero weight', body: { ...base, weightGrams: 0 }, field: 'weightGrams' },
      { name: 'bad sku', body: { ...base, sku: 'has spaces' }, field: 'sku' },
      { name: 'lower-case currency', body: { ...base, currency: 'eur' }, field: 'currency' },
      { name: 'unknown handling', body: { ...base, handling: 'explosive' }, field: 'handling' },
      { name: 'no name', body: { ...base, name: '' }, field: 'name' },
    ];
    for (const c of cases) {
      const res = await stack.api('POST', '/v1/products', { body: c.body, key: OPERATOR });
      expectProblem(res, 422);
      expect(fields(res), c.name).toContain(c.field);
    }
    const malformed = await stack.api('POST', '/v1/products', { raw: '{"sku":', headers: { 'content-type': 'application/json' }, key: OPERATOR });
    expectProblem(malformed, 400);
    expect(await count(products)).toBe(before);
  });

  it('filters the catalogue by SKU and by active', async () => {
    const active = product();
    const retired = product({ active: false });
    expect((await stack.api('POST', '/v1/products', { body: active, key: OPERATOR })).status).toBe(201);
    expect((await stack.api('POST', '/v1/products', { body: retired, key: OPERATOR })).status).toBe(201);

    const bySku = await stack.api('GET', `/v1/products?sku=${retired.sku}`);
    expect(bySku.body.data.map((p: { sku: string }) => p.sku)).toEqual([retired.sku]);
    expect(bySku.body.data[0].active).toBe(false);

    const inactive = await stack.api('GET', '/v1/products?active=false');
    expect(inactive.status).toBe(200);
    expect(inactive.body.data.every((p: { active: boolean }) => p.active === false)).toBe(true);
    expect(inactive.body.data.map((p: { sku: string }) => p.sku)).toContain(retired.sku);
    expect(inactive.body.data.map((p: { sku: string }) => p.sku)).not.toContain(active.sku);

    const live = await stack.api('GET', '/v1/products?active=true&limit=500');
    expect(live.body.data.every((p: { active: boolean }) => p.active === true)).toBe(true);
    expect(live.body.data.map((p: { sku: string }) => p.sku)).toEqual(expect.arrayContaining([active.sku, 'TEA-OOLONG-100']));
    expect(live.body.data.map((p: { sku: string }) => p.sku)).not.toContain(retired.sku);

    const both = await stack.api('GET', `/v1/products?sku=${active.sku}&active=false`);
    expect(both.body.data).toEqual([]);

    const limited = await stack.api('GET', '/v1/products?limit=2');
    expect(limited.body.data).toHaveLength(2);

    const badActive = await stack.api('GET', '/v1/products?active=maybe');
    expectProblem(badActive, 422);
    expect(fields(badActive)).toContain('query.active');
    const unknownFilter = await stack.api('GET', '/v1/products?colour=red');
    expectProblem(unknownFilter, 422);
  });

  it('is what VERIFY checks orders against: a retired product is refused, a new one can be ordered once stock arrives', async () => {
    const retired = product({ active: false });
    expect((await stack.api('POST', '/v1/products', { body: retired, key: OPERATOR })).status).toBe(201);
    const refused = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku: retired.sku, quantity: 1, unitPrice: 2400 }] }) });
    expect(refused.status).toBe(201);
    expect(refused.body.verification.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'inactive_sku', field: 'items.0.sku' })]));

    const fresh = product();
    expect((await stack.api('POST', '/v1/products', { body: fresh, key: OPERATOR })).status).toBe(201);
    const received = await receive({ warehouse: 'BER-1', sku: fresh.sku, quantity: 5 }, { 'Idempotency-Key': `first-stock-${fresh.sku}` });
    expect(received.status).toBe(201);
    expect(received.body).toMatchObject({ sku: fresh.sku, warehouse: 'BER-1', onHand: 5, reserved: 0, available: 5 });

    const ordered = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku: fresh.sku, quantity: 2, unitPrice: 2400 }] }) });
    expect(ordered.status).toBe(201);
    expect(ordered.body.verification.passed).toBe(true);
    const delivered = await waitForStatus(stack, ordered.body.id, 'delivered');
    expect(delivered.shipments[0].warehouse).toBe('BER-1');
    // Delivered goods have left the shelf; nothing is still held for the order.
    expect(await level(fresh.sku, 'BER-1')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
  });
});

describe('warehouses', () => {
  it('lets an operator add a warehouse and anyone with a key list them', async () => {
    const body = warehouse({ country: 'de' });
    const created = await stack.api('POST', '/v1/warehouses', { body, key: OPERATOR });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/warehouses/${body.code}`);
    expect(created.body).toEqual({ ...body, country: 'DE' });

    const list = await stack.api('GET', '/v1/warehouses', { key: TEST_KEYS.integrator });
    expect(list.status).toBe(200);
    expect(list.body.data.map((w: { code: string }) => w.code)).toEqual(expect.arrayContaining(['BER-1', 'MUC-1', 'RTM-1', body.code]));
    expect(list.body.data.find((w: { code: string }) => w.code === body.code)).toEqual({ ...body, country: 'DE' });
  });

  it('refuses a bad code, a bad country, a duplicate and the wrong role, and stores nothing', async () => {
    const before = await count(warehouses);
    for (const code of ['ham 1', 'ham-1', 'H', '-HAM', 'X'.repeat(33)]) {
      const res = await stack.api('POST', '/v1/warehouses', { body: warehouse({ code }), key: OPERATOR });
      expectProblem(res, 422);
      expect(fields(res), code).toContain('code');
    }
    const badCountry = await stack.api('POST', '/v1/warehouses', { body: warehouse({ country: 'DEU' }), key: OPERATOR });
    expectProblem(badCountry, 422);
    expect(fields(badCountry)).toContain('country');
    const noName = await stack.api('POST', '/v1/warehouses', { body: { ...warehouse(), name: undefined }, key: OPERATOR });
    expectProblem(noName, 422);
    expect(fields(noName)).toContain('name');

    const integrator = await stack.api('POST', '/v1/warehouses', { body: warehouse(), key: TEST_KEYS.integrator });
    expectProblem(integrator, 403);
    expect(await count(warehouses)).toBe(before);

    const duplicate = await stack.api('POST', '/v1/warehouses', { body: warehouse({ code: 'BER-1', name: 'Another Berlin' }), key: OPERATOR });
    expectProblem(duplicate, 409);
    expect(fields(duplicate)).toContain('code');
    const [ber] = await stack.db.select().from(warehouses).where(eq(warehouses.code, 'BER-1'));
    expect(ber!.name).toBe('Berlin fulfilment centre');
    expect(await count(warehouses)).toBe(before);
  });
});

describe('goods receipts', () => {
  it('adds stock, creating the figure for a new SKU and warehouse', async () => {
    const site = warehouse();
    expect((await stack.api('POST', '/v1/warehouses', { body: site, key: OPERATOR })).status).toBe(201);
    const res = await receive({ warehouse: site.code, sku: 'KETTLE-GLASS-1L', quantity: 12 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ sku: 'KETTLE-GLASS-1L', warehouse: site.code, onHand: 12, reserved: 0, available: 12 });
    expect(await level('KETTLE-GLASS-1L', site.code)).toMatchObject({ onHand: 12, reserved: 0, available: 12 });

    const more = await receive({ warehouse: site.code, sku: 'KETTLE-GLASS-1L', quantity: 3 });
    expect(more.status).toBe(201);
    expect(more.body.onHand).toBe(15);
    const movements = await receiptMovements('KETTLE-GLASS-1L', site.code);
    expect(movements.map((m) => [m.kind, m.onHandDelta, m.reservedDelta])).toEqual([
      ['receipt', 12, 0],
      ['receipt', 3, 0],
    ]);
  });

  it('refuses an unknown warehouse or SKU, a bad quantity and the wrong role, naming the field, and changes nothing', async () => {
    const movementsBefore = await count(stockMovements);
    const teaBefore = await level('TEA-OOLONG-100', 'BER-1');

    const noWarehouse = await receive({ warehouse: 'NOWHERE-9', sku: 'TEA-OOLONG-100', quantity: 5 });
    expectProblem(noWarehouse, 422);
    expect(fields(noWarehouse)).toEqual(['warehouse']);

    const noSku = await receive({ warehouse: 'BER-1', sku: 'NO-SUCH-SKU', quantity: 5 });
    expectProblem(noSku, 422);
    expect(fields(noSku)).toEqual(['sku']);

    const neither = await receive({ warehouse: 'NOWHERE-9', sku: 'NO-SUCH-SKU', quantity: 5 });
    expectProblem(neither, 422);
    expect(fields(neither).sort()).toEqual(['sku', 'warehouse']);

    for (const quantity of [0, -3, 2.5, '5']) {
      const res = await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity });
      expectProblem(res, 422);
      expect(fields(res), String(quantity)).toContain('quantity');
    }
    const missing = await receive({ warehouse: 'BER-1', quantity: 5 });
    expectProblem(missing, 422);
    expect(fields(missing)).toContain('sku');

    const integrator = await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity: 5 }, {}, TEST_KEYS.integrator);
    expectProblem(integrator, 403);
    const anonymous = await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity: 5 }, {}, null);
    expectProblem(anonymous, 401);

    expect(await count(stockMovements)).toBe(movementsBefore);
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(teaBefore);
  });

  it('records a receipt once per Idempotency-Key: the repeat answers 200 and adds nothing', async () => {
    const key = `receipt-${suffix()}`;
    const before = (await level('HONEY-ACACIA-500', 'BER-1'))!;
    const first = await receive({ warehouse: 'BER-1', sku: 'HONEY-ACACIA-500', quantity: 7 }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(first.body.onHand).toBe(before.onHand + 7);

    const again = await receive({ warehouse: 'BER-1', sku: 'HONEY-ACACIA-500', quantity: 7 }, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ sku: 'HONEY-ACACIA-500', warehouse: 'BER-1', onHand: before.onHand + 7 });

    expect(await level('HONEY-ACACIA-500', 'BER-1')).toMatchObject({ onHand: before.onHand + 7 });
    const rows = await stack.db.select().from(stockMovements).where(like(stockMovements.idempotencyKey, `%:${key}`));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'receipt', onHandDelta: 7, sku: 'HONEY-ACACIA-500', warehouseCode: 'BER-1' });
  });

  it('records one receipt of many simultaneous ones with the same Idempotency-Key', async () => {
    const key = `receipt-race-${suffix()}`;
    const before = (await level('LAMP-DESK-LED', 'MUC-1'))!;
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => receive({ warehouse: 'MUC-1', sku: 'LAMP-DESK-LED', quantity: 4 }, { 'Idempotency-Key': key })),
    );
    for (const r of replies) expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(await level('LAMP-DESK-LED', 'MUC-1')).toMatchObject({ onHand: before.onHand + 4 });
    const rows = await stack.db.select().from(stockMovements).where(like(stockMovements.idempotencyKey, `%:${key}`));
    expect(rows).toHaveLength(1);
  });

  it('records a receipt once per reference when no key is sent', async () => {
    const reference = `DN-${suffix()}`;
    const before = (await level('MUG-STONE-350', 'MUC-1'))!;
    const first = await receive({ warehouse: 'MUC-1', sku: 'MUG-STONE-350', quantity: 6, reference });
    expect(first.status).toBe(201);
    const again = await receive({ warehouse: 'MUC-1', sku: 'MUG-STONE-350', quantity: 6, reference });
    expect(again.status).toBe(200);
    expect(await level('MUG-STONE-350', 'MUC-1')).toMatchObject({ onHand: before.onHand + 6 });
    const rows = await stack.db.select().from(stockMovements).where(eq(stockMovements.reference, reference));
    expect(rows).toHaveLength(1);

    // Without key or reference every receipt counts.
    const plain = await receive({ warehouse: 'MUC-1', sku: 'MUG-STONE-350', quantity: 1 });
    const plainAgain = await receive({ warehouse: 'MUC-1', sku: 'MUG-STONE-350', quantity: 1 });
    expect([plain.status, plainAgain.status]).toEqual([201, 201]);
    expect(await level('MUG-STONE-350', 'MUC-1')).toMatchObject({ onHand: before.onHand + 8 });
  });

  // A key stands for one receipt: reused for another SKU, warehouse or quantity it is
  // refused, never answered with some other figure.
  it('refuses an Idempotency-Key reused for a different receipt', async () => {
    const key = `receipt-reuse-${suffix()}`;
    expect((await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity: 2 }, { 'Idempotency-Key': key })).status).toBe(201);
    const movementsBefore = await count(stockMovements);
    const mugBefore = await level('MUG-STONE-350', 'BER-1');

    const otherSku = await receive({ warehouse: 'BER-1', sku: 'MUG-STONE-350', quantity: 9 }, { 'Idempotency-Key': key });
    expectProblem(otherSku, 422);
    expect(fields(otherSku)).toContain('header.Idempotency-Key');
    expect(await level('MUG-STONE-350', 'BER-1')).toEqual(mugBefore);

    // RTM-1 holds no mugs: there is no figure to answer with.
    const newFigure = await receive({ warehouse: 'RTM-1', sku: 'MUG-STONE-350', quantity: 9 }, { 'Idempotency-Key': key });
    expectProblem(newFigure, 422);
    // The same goods under another delivery note are another receipt, not a repeat.
    const otherNote = await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity: 2, reference: 'DN-2' }, { 'Idempotency-Key': key });
    expectProblem(otherNote, 422);
    expect(fields(otherNote)).toContain('header.Idempotency-Key');
    expect(await count(stockMovements)).toBe(movementsBefore);
  });

  it('refuses an Idempotency-Key that is empty, too long or not printable, naming the header, and stores nothing', async () => {
    const movementsBefore = await count(stockMovements);
    for (const key of ['', 'x'.repeat(256), 'tab\tkey']) {
      const res = await receive({ warehouse: 'BER-1', sku: 'TEA-OOLONG-100', quantity: 1 }, { 'Idempotency-Key': key });
      expectProblem(res, 422);
      expect(fields(res), JSON.stringify(key)).toContain('header.Idempotency-Key');
    }
    expect(await count(stockMovements)).toBe(movementsBefore);
  });

  // A delivery note lists many SKUs: its reference makes one receipt per SKU and
  // warehouse, so no line of it is dropped.
  it('records every SKU of one delivery note', async () => {
    const reference = `DN-MULTI-${suffix()}`;
    const teaBefore = (await level('TEA-OOLONG-100', 'RTM-1'))!;
    const kettleBefore = (await level('KETTLE-GLASS-1L', 'RTM-1'))!;

    const tea = await receive({ warehouse: 'RTM-1', sku: 'TEA-OOLONG-100', quantity: 10, reference });
    expect(tea.status).toBe(201);
    const kettles = await receive({ warehouse: 'RTM-1', sku: 'KETTLE-GLASS-1L', quantity: 4, reference });
    expect(kettles.status, JSON.stringify(kettles.body)).toBe(201);
    expect(kettles.body.onHand).toBe(kettleBefore.onHand + 4);

    // Rotterdam holds no lamps yet: the first lamps start its figure.
    const lamps = await receive({ warehouse: 'RTM-1', sku: 'LAMP-DESK-LED', quantity: 2, reference });
    expect(lamps.status, JSON.stringify(lamps.body)).toBe(201);
    expect(lamps.body).toMatchObject({ onHand: 2, reserved: 0, available: 2 });

    expect(await level('TEA-OOLONG-100', 'RTM-1')).toMatchObject({ onHand: teaBefore.onHand + 10 });
    expect(await level('KETTLE-GLASS-1L', 'RTM-1')).toMatchObject({ onHand: kettleBefore.onHand + 4 });
    const rows = await stack.db.select().from(stockMovements).where(eq(stockMovements.reference, reference));
    expect(rows.map((r) => r.sku).sort()).toEqual(['KETTLE-GLASS-1L', 'LAMP-DESK-LED', 'TEA-OOLONG-100']);
  });
});

describe('stock figures', () => {
  it('lists figures per SKU and warehouse, filtered, with available = onHand − reserved', async () => {
    const all = await stack.api('GET', '/v1/inventory', { key: TEST_KEYS.finance });
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThanOrEqual(14);
    for (const row of all.body.data as Level[]) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['sku', 'warehouse', 'onHand', 'reserved', 'available']));
      expect(Number.isInteger(row.onHand) && Number.isInteger(row.reserved)).toBe(true);
      expect(row.available).toBe(row.onHand - row.reserved);
    }

    const one = await stack.api('GET', '/v1/inventory?sku=CHAIR-OAK&warehouse=MUC-1');
    expect(one.body.data).toHaveLength(1);
    expect(one.body.data[0]).toMatchObject({ sku: 'CHAIR-OAK', warehouse: 'MUC-1' });

    const chairs = await stack.api('GET', '/v1/inventory?sku=CHAIR-OAK');
    expect(chairs.body.data.map((r: Level) => r.warehouse).sort()).toEqual(['MUC-1', 'RTM-1']);
    expect(chairs.body.data.every((r: Level) => r.sku === 'CHAIR-OAK')).toBe(true);

    const berlin = await stack.api('GET', '/v1/inventory?warehouse=BER-1');
    expect(berlin.body.data.length).toBeGreaterThanOrEqual(5);
    expect(berlin.body.data.every((r: Level) => r.warehouse === 'BER-1')).toBe(true);
    expect(berlin.body.data.map((r: Level) => r.sku)).not.toContain('CHAIR-OAK');

    const nothing = await stack.api('GET', '/v1/inventory?sku=CHAIR-OAK&warehouse=BER-1');
    expect(nothing.body.data).toEqual([]);

    const unknownFilter = await stack.api('GET', '/v1/inventory?colour=red');
    expectProblem(unknownFilter, 422);
    const carrier = await stack.api('GET', '/v1/inventory', { key: TEST_KEYS.carrier });
    expectProblem(carrier, 403);
  });

  it('pages figures, products and warehouses: every row once, in order, and a forged cursor is a 422', async () => {
    const walk = async (path: string) => {
      const rows: unknown[] = [];
      let cursor: string | null = null;
      for (let pages = 0; ; pages++) {
        expect(pages, path).toBeLessThan(500);
        const sep = path.includes('?') ? '&' : '?';
        const res: ApiResponse = await stack.api('GET', `${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        rows.push(...res.body.data);
        cursor = res.body.nextCursor;
        if (!cursor) return rows;
      }
    };
    for (const [path, all] of [
      ['/v1/inventory', '/v1/inventory?limit=500'],
      ['/v1/products', '/v1/products?limit=500'],
      ['/v1/warehouses', '/v1/warehouses?limit=500'],
    ] as const) {
      const everything = (await stack.api('GET', all)).body;
      expect(everything.nextCursor, `${all} fits one page here`).toBeNull();
      expect(await walk(path)).toEqual(everything.data);
    }
    for (const path of ['/v1/inventory', '/v1/products', '/v1/warehouses']) {
      for (const cursor of ['bm9wZQ', Buffer.from('["a","b","c"]').toString('base64url')]) {
        const res = await stack.api('GET', `${path}?cursor=${cursor}`);
        expectProblem(res, 422);
        expect(fields(res)).toContain('query.cursor');
      }
    }
  });

  it('shows what an order holds as reserved, and it is not available to others', async () => {
    const sku = `TEST-${suffix()}`;
    expect((await stack.api('POST', '/v1/products', { body: product({ sku }), key: OPERATOR })).status).toBe(201);
    expect((await receive({ warehouse: 'MUC-1', sku, quantity: 3 })).status).toBe(201);

    const order = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: 5, unitPrice: 2400 }] }) });
    expect(order.status).toBe(201);
    // More than there is: the order waits for the customer's decision and holds nothing.
    await waitForStatus(stack, order.body.id, 'awaiting_stock_decision');
    expect(await level(sku, 'MUC-1')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
  });
});

describe('the stock movement ledger', () => {
  it('has one receipt movement per receipt and refuses UPDATE and DELETE', async () => {
    const sku = 'HONEY-ACACIA-500';
    const site = warehouse();
    expect((await stack.api('POST', '/v1/warehouses', { body: site, key: OPERATOR })).status).toBe(201);
    const references = [`L-${suffix()}`, `L-${suffix()}`, `L-${suffix()}`];
    for (const [i, reference] of references.entries()) {
      expect((await receive({ warehouse: site.code, sku, quantity: i + 1, reference })).status).toBe(201);
    }
    expect((await receive({ warehouse: site.code, sku, quantity: 1, reference: references[0] })).status).toBe(200);

    const rows = await receiptMovements(sku, site.code);
    expect(rows.map((r) => [r.reference, r.onHandDelta])).toEqual(references.map((r, i) => [r, i + 1]));
    const figure = (await level(sku, site.code))!;
    expect(figure.onHand).toBe(rows.reduce((n, r) => n + r.onHandDelta, 0));

    // Seeded stock is in the ledger too: every figure adds up from its movements.
    const sums = await stack.db.execute(sql`
      select l.sku, l.warehouse_code, l.on_hand, coalesce(sum(m.on_hand_delta), 0)::int as moved
      from inventory_levels l
      left join stock_movements m on m.sku = l.sku and m.warehouse_code = l.warehouse_code
      group by l.sku, l.warehouse_code, l.on_hand`);
    // postgres-js answers with the rows themselves.
    const sumRows = sums as unknown as { sku: string; on_hand: number; moved: number }[];
    expect(sumRows.length).toBeGreaterThan(0);
    for (const r of sumRows) expect(Number(r.moved), r.sku).toBe(Number(r.on_hand));

    const id = rows[0]!.id;
    await expect(stack.db.execute(sql`update stock_movements set on_hand_delta = 1000 where id = ${id}`)).rejects.toThrow();
    await expect(stack.db.execute(sql`delete from stock_movements where id = ${id}`)).rejects.toThrow();
    await expect(stack.db.update(stockMovements).set({ reference: 'tampered' }).where(eq(stockMovements.sku, sku))).rejects.toThrow();

    const [after] = await stack.db.select().from(stockMovements).where(eq(stockMovements.id, id));
    expect(after).toMatchObject({ onHandDelta: 1, reference: references[0] });
    expect(await receiptMovements(sku, site.code)).toHaveLength(3);
  });
});
