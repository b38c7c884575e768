import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyDemand } from '../../src/analytics/demand-history';
import { forecastDemand, reorderAdvice } from '../../src/analytics/forecast';
import { seedDemoCatalogue } from '../../src/db/seed';
import { demandHistory } from '../../src/db/schema';
import { addDays, isoDate } from '../../src/domain/calendar';
import { reserve, ship } from '../../src/inventory/stock-ledger';
import { createProduct, receiveStock, uniqueSku } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// Analytics (R2.7, R2.8) through the HTTP API: demand history uploaded as CSV, the
// forecast and reorder advice built on it (figures checked against the pure module),
// and turnover from receipts made through the API and shipments written by the ledger.

const WAREHOUSE = 'BER-1';
const WEEK = [5, 6, 6, 7, 9, 12, 3];

describe('analytics API', () => {
  let stack: TestStack;
  const today = isoDate(new Date());
  const operator = { key: TEST_KEYS.operator };
  const finance = { key: TEST_KEYS.finance };

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** `days` days of history ending yesterday, a weekly pattern plus a small wobble. */
  const csvOf = (sku: string, days: number, bump = 0) =>
    [
      'date,sku,warehouse,quantity',
      ...Array.from({ length: days }, (_, i) => `${addDays(today, i - days)},${sku},${WAREHOUSE},${WEEK[i % 7]! + (i % 3) + (i === days - 1 ? bump : 0)}`),
    ].join('\n');

  const upload = (content: string, who: { key: string } = operator, source?: string) =>
    stack.api('POST', '/v1/inventory/demand-history', { ...who, body: { content, ...(source ? { source } : {}) } });

  /** Reserves and ships `quantity` through the ledger, as DISPATCH would. */
  async function shipThroughLedger(sku: string, quantity: number) {
    const move = { sku, warehouseCode: WAREHOUSE, quantity, key: `test-${sku}-${quantity}-${Date.now()}` };
    await stack.db.transaction(async (tx) => {
      await reserve(tx, [{ ...move, key: `reserve:${move.key}` }]);
      await ship(tx, [{ ...move, key: `ship:${move.key}` }]);
    });
  }

  it('stores uploaded history; the same file again replaces, never doubles', async () => {
    const sku = uniqueSku('HIST');
    await createProduct(stack, sku);
    const first = await upload(csvOf(sku, 35));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ source: 'upload', rows: 35, inserted: 35, replaced: 0, from: addDays(today, -35), to: addDays(today, -1) });

    const again = await upload(csvOf(sku, 35, 4), finance);
    expect(again.body).toMatchObject({ rows: 35, inserted: 0, replaced: 35 });
    const rows = await stack.db.select().from(demandHistory).where(eq(demandHistory.sku, sku));
    expect(rows).toHaveLength(35);
    expect(rows.find((r) => r.date === addDays(today, -1))!.quantity).toBe(WEEK[34 % 7]! + (34 % 3) + 4);

    // Another source is another series, added to the first.
    const pos = await upload(`date,sku,warehouse,quantity\n${addDays(today, -1)},${sku},${WAREHOUSE},2`, operator, 'pos-export');
    expect(pos.body).toMatchObject({ source: 'pos-export', rows: 1, inserted: 1 });
  });

  it('names each bad line and field, and unknown SKUs and warehouses; stores nothing then', async () => {
    const sku = uniqueSku('BAD');
    await createProduct(stack, sku);
    const bad = await upload(
      ['date,sku,warehouse,quantity', `2026-02-30,${sku},${WAREHOUSE},1`, `${addDays(today, -1)},${sku},${WAREHOUSE},-2`, `${addDays(today, -2)},${sku},${WAREHOUSE},4`].join('\n'),
    );
    expectProblem(bad, 422);
    expect(fields(bad)).toEqual(['line 2.date', 'line 3.quantity']);
    expect(bad.body.detail).toContain('line 3: quantity "-2" is not a whole number ≥ 0');

    const unknown = await upload(
      ['date,sku,warehouse,quantity', `${addDays(today, -1)},${sku},${WAREHOUSE},1`, `${addDays(today, -1)},NO-SUCH-SKU,${WAREHOUSE},1`, `${addDays(today, -1)},${sku},NO-WH,1`].join('\n'),
    );
    expectProblem(unknown, 422);
    expect(unknown.body.errors).toEqual([
      { field: 'line 3.sku', message: 'line 3: unknown SKU NO-SUCH-SKU' },
      { field: 'line 4.warehouse', message: 'line 4: unknown warehouse NO-WH' },
    ]);
    expect(await stack.db.select().from(demandHistory).where(eq(demandHistory.sku, sku))).toEqual([]);

    expect(fields(await stack.api('POST', '/v1/inventory/demand-history', { ...operator, body: { csv: 'x' } }))).toEqual(['content', 'csv']);
  });

  it('is for operators and finance', async () => {
    expectProblem(await upload(csvOf('X', 1), { key: TEST_KEYS.integrator }), 403);
    expectProblem(await stack.api('GET', `/v1/inventory/analytics/forecast?sku=X&warehouse=${WAREHOUSE}`), 403);
    expectProblem(await stack.api('GET', '/v1/inventory/analytics/turnover'), 403);
  });

  it('forecasts from history plus our own shipments, with figures the pure module agrees with', async () => {
    const sku = uniqueSku('FCST');
    await createProduct(stack, sku, { unitCost: 400 });
    expect((await upload(csvOf(sku, 42))).status).toBe(200);
    await receiveStock(stack, WAREHOUSE, sku, 30);
    await shipThroughLedger(sku, 3);

    const res = await stack.api('GET', `/v1/inventory/analytics/forecast?sku=${sku}&warehouse=${WAREHOUSE}&horizon=10`, operator);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    // 42 uploaded days ending yesterday; today is not over, so its shipment is not in yet.
    const uploadedUnits = Array.from({ length: 42 }, (_, i) => WEEK[i % 7]! + (i % 3)).reduce((a, b) => a + b, 0);
    expect(body.history).toEqual({ from: addDays(today, -42), to: addDays(today, -1), days: 42, uploadedUnits, shippedUnits: 0 });
    expect(body.demand).toHaveLength(42);
    expect(body.forecast.map((f: { date: string }) => f.date)).toEqual(Array.from({ length: 10 }, (_, i) => addDays(today, i)));
    // Tomorrow, today's shipment is a day of demand like the uploaded ones.
    const tomorrow = await dailyDemand(stack.db, sku, WAREHOUSE, new Date(Date.now() + 86_400_000));
    expect(tomorrow).toHaveLength(43);
    expect(tomorrow[42]).toEqual({ date: today, quantity: 3, uploaded: 0, shipped: 3 });

    const y = body.demand.map((d: { quantity: number }) => d.quantity);
    const expected = forecastDemand(y, 10);
    expect(body.model).toMatchObject({ kind: 'ETS(A,N,A)', seasonPeriod: 7, alpha: expected.fit.alpha, gamma: expected.fit.gamma });
    body.forecast.forEach((f: { quantity: number }, i: number) => expect(f.quantity).toBeCloseTo(expected.forecast[i]!, 3));
    expect(body.accuracy).toMatchObject({ trainingDays: 28, heldOutDays: 14 });
    expect(body.accuracy.mae).toBeCloseTo(expected.accuracy.mae, 3);
    expect(body.accuracy.mase).toBeCloseTo(expected.accuracy.mase!, 3);
    expect(body.accuracy.seasonalNaive.mase).toBeCloseTo(expected.accuracy.seasonalNaive.mase!, 3);

    // Position 27 (30 received, 3 shipped); lead time the default 7 days; 95 % service.
    const advice = reorderAdvice({
      meanDailyDemand: expected.meanDailyDemand,
      sigma: expected.residualSd,
      leadTimeDays: 7,
      serviceLevel: 0.95,
      position: 27,
      reviewDays: 7,
    });
    expect(body.reorder).toMatchObject({
      serviceLevel: 0.95,
      leadTimeDays: 7,
      leadTimeSource: 'default',
      position: { onHand: 27, reserved: 0, available: 27 },
      method: 'periodic-review',
      reorderPoint: advice.reorderPoint,
      suggestedOrderQuantity: advice.suggestedOrderQuantity,
      eoq: null,
    });
    expect(body.reorder.z).toBeCloseTo(1.6449, 4);
    expect(body.reorder.safetyStock).toBeCloseTo(advice.safetyStock, 3);

    // With costs: EOQ, holding cost = 25 % a year of the unit cost (400).
    const eoq = await stack.api('GET', `/v1/inventory/analytics/forecast?sku=${sku}&warehouse=${WAREHOUSE}&leadTimeDays=3&orderCost=5000&holdingRate=0.25`, finance);
    expect(eoq.status).toBe(200);
    const withCosts = reorderAdvice({
      meanDailyDemand: expected.meanDailyDemand,
      sigma: expected.residualSd,
      leadTimeDays: 3,
      serviceLevel: 0.95,
      position: 27,
      reviewDays: 7,
      orderCost: 5000,
      holdingCostPerUnitYear: 100,
    });
    expect(eoq.body.reorder).toMatchObject({ method: 'eoq', leadTimeDays: 3, leadTimeSource: 'request', suggestedOrderQuantity: withCosts.suggestedOrderQuantity });
    expect(eoq.body.reorder.eoq).toBeCloseTo(withCosts.eoq!, 3);
    expect(eoq.body.forecast).toHaveLength(14);
  });

  it('says clearly when there is not enough history, and names an unknown SKU or warehouse', async () => {
    const sku = uniqueSku('SHORT');
    await createProduct(stack, sku);
    const none = await stack.api('GET', `/v1/inventory/analytics/forecast?sku=${sku}&warehouse=${WAREHOUSE}`, operator);
    expectProblem(none, 422);
    expect(none.body.detail).toBe(`not enough history for ${sku} at ${WAREHOUSE} (0 days; need ≥ 21)`);

    await upload(csvOf(sku, 10));
    const short = await stack.api('GET', `/v1/inventory/analytics/forecast?sku=${sku}&warehouse=${WAREHOUSE}`, operator);
    expectProblem(short, 422);
    expect(short.body).toMatchObject({ historyDays: 10, requiredDays: 21 });
    expect(short.body.detail).toContain('(10 days; need ≥ 21)');

    const unknown = await stack.api('GET', '/v1/inventory/analytics/forecast?sku=NOPE&warehouse=NOWHERE', operator);
    expectProblem(unknown, 422);
    expect(fields(unknown)).toEqual(['query.sku', 'query.warehouse']);
    expect(fields(await stack.api('GET', `/v1/inventory/analytics/forecast?sku=${sku}&warehouse=${WAREHOUSE}&horizon=0`, operator))).toEqual(['query.horizon']);
  });

  it('turnover and days of inventory from receipts and shipments in the ledger', async () => {
    // A currency of its own, so the overall figure is this SKU's alone (the demo catalogue is EUR).
    const sku = uniqueSku('TURN');
    await createProduct(stack, sku, { unitCost: 250, currency: 'SEK' });
    await receiveStock(stack, WAREHOUSE, sku, 10);
    await shipThroughLedger(sku, 4);

    // Today alone: on hand 6 at the end of the day → average value 1500; COGS 4 · 250 = 1000.
    const one = await stack.api('GET', `/v1/inventory/analytics/turnover?from=${today}&to=${today}`, finance);
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ from: today, to: today, days: 1 });
    expect(one.body.skus.find((s: { sku: string }) => s.sku === sku)).toEqual({
      sku,
      currency: 'SEK',
      unitCost: 250,
      shippedUnits: 4,
      openingUnits: 0,
      closingUnits: 6,
      averageUnits: 6,
      cogs: 1000,
      averageInventoryValue: 1500,
      turnover: 0.6667,
      daysOfInventory: 1.5,
    });
    expect(one.body.overall.find((o: { currency: string }) => o.currency === 'SEK')).toEqual({
      currency: 'SEK',
      cogs: 1000,
      averageInventoryValue: 1500,
      turnover: 0.6667,
      daysOfInventory: 1.5,
    });

    // Yesterday and today: levels 0 and 6, average 3 units = 750; turnover 1000/750; days 2 · 750/1000.
    const two = await stack.api('GET', `/v1/inventory/analytics/turnover?from=${addDays(today, -1)}&to=${today}`, operator);
    expect(two.body.days).toBe(2);
    expect(two.body.skus.find((s: { sku: string }) => s.sku === sku)).toMatchObject({ averageUnits: 3, averageInventoryValue: 750, turnover: 1.3333, daysOfInventory: 1.5 });

    // Before anything happened to it, the SKU is not in the report.
    const before = await stack.api('GET', `/v1/inventory/analytics/turnover?from=${addDays(today, -3)}&to=${addDays(today, -2)}`, operator);
    expect(before.body.skus.some((s: { sku: string }) => s.sku === sku)).toBe(false);

    expect(fields(await stack.api('GET', `/v1/inventory/analytics/turnover?from=${today}&to=${addDays(today, -1)}`, operator))).toEqual(['query.from']);
    expect(fields(await stack.api('GET', `/v1/inventory/analytics/turnover?to=${addDays(today, 1)}`, operator))).toEqual(['query.to']);
  });

  it('is in the OpenAPI document with its roles and parameters', async () => {
    const { paths } = (await stack.api('GET', '/openapi.json')).body;
    for (const [path, method] of [
      ['/v1/inventory/demand-history', 'post'],
      ['/v1/inventory/analytics/forecast', 'get'],
      ['/v1/inventory/analytics/turnover', 'get'],
    ] as const) {
      expect(paths[path][method]['x-roles'], path).toEqual(['operator', 'finance', 'admin']);
    }
    expect(paths['/v1/inventory/analytics/forecast'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['sku', 'warehouse', 'horizon', 'serviceLevel', 'leadTimeDays', 'reviewDays', 'orderCost', 'holdingRate']),
    );
    expect(paths['/v1/inventory/analytics/turnover'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['from', 'to']);
  });
});
