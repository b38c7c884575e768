import { describe, expect, it } from 'vitest';
import { dailyLevels, skuTurnover, turnoverReport } from '../../src/analytics/turnover';

// R2.8: turnover and days of inventory, worked by hand.

describe('turnover', () => {
  it('one SKU over three days', () => {
    // Opening 10; day 0 ships 2, day 1 receives 5: levels 8, 13, 13, average 34/3.
    // Average value 34/3 · 300 = 3400; COGS 2 · 300 = 600; turnover 600/3400; days 3 · 3400 / 600 = 17.
    const t = skuTurnover({ sku: 'A', currency: 'EUR', unitCost: 300, opening: 10, dailyDeltas: [-2, 5, 0], shippedUnits: 2 });
    expect(dailyLevels(10, [-2, 5, 0])).toEqual([8, 13, 13]);
    expect(t.averageUnits).toBeCloseTo(34 / 3, 12);
    expect(t.averageInventoryValue).toBeCloseTo(3400, 9);
    expect(t.cogs).toBe(600);
    expect(t.turnover).toBeCloseTo(600 / 3400, 12);
    expect(t.daysOfInventory).toBeCloseTo(17, 9);
    expect(t).toMatchObject({ openingUnits: 10, closingUnits: 13 });
  });

  it('nothing shipped: turnover 0 and days of inventory undefined; nothing held: turnover undefined', () => {
    const idle = skuTurnover({ sku: 'B', currency: 'EUR', unitCost: 100, opening: 4, dailyDeltas: [0, 0], shippedUnits: 0 });
    expect(idle).toMatchObject({ cogs: 0, averageInventoryValue: 400, turnover: 0, daysOfInventory: null });
    const empty = skuTurnover({ sku: 'C', currency: 'EUR', unitCost: 100, opening: 0, dailyDeltas: [0], shippedUnits: 0 });
    expect(empty).toMatchObject({ turnover: null, daysOfInventory: null });
  });

  it('overall: sums per currency, never across currencies', () => {
    const report = turnoverReport(
      [
        { sku: 'A', currency: 'EUR', unitCost: 300, opening: 10, dailyDeltas: [-2, 5, 0], shippedUnits: 2 },
        { sku: 'B', currency: 'EUR', unitCost: 100, opening: 6, dailyDeltas: [-6, 0, 0], shippedUnits: 6 },
        { sku: 'C', currency: 'USD', unitCost: 50, opening: 3, dailyDeltas: [0, -3, 0], shippedUnits: 3 },
      ],
      3,
    );
    // EUR: COGS 600 + 600 = 1200; average value 3400 + 0 = 3400; turnover 1200/3400; days 3 · 3400 / 1200 = 8.5.
    // USD: levels 3, 0, 0 → average 1 unit = 50; COGS 150; turnover 3; days 1.
    expect(report.overall).toHaveLength(2);
    const [eur, usd] = report.overall;
    expect(eur).toMatchObject({ currency: 'EUR', cogs: 1200 });
    expect(eur!.averageInventoryValue).toBeCloseTo(3400, 9);
    expect(eur!.turnover).toBeCloseTo(1200 / 3400, 12);
    expect(eur!.daysOfInventory).toBeCloseTo(8.5, 9);
    expect(usd).toMatchObject({ currency: 'USD', cogs: 150 });
    expect(usd!.turnover).toBeCloseTo(3, 12);
    expect(usd!.daysOfInventory).toBeCloseTo(1, 12);
  });
});
