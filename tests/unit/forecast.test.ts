import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  etsFit,
  etsForecast,
  etsRun,
  forecastDemand,
  heldOutAccuracy,
  holdoutDays,
  mase,
  normalQuantile,
  reorderAdvice,
  seasonalNaiveForecast,
} from '../../src/analytics/forecast';

// R2.7: the forecast's arithmetic, checked against hand-worked figures.

const WEEK = [12, 15, 14, 16, 22, 30, 8];
const weeks = (n: number, week = WEEK) => Array.from({ length: n * 7 }, (_, i) => week[i % 7]!);

describe('ETS(A,N,A) with weekly seasonality', () => {
  it('forecasts a pure weekly pattern exactly, and ties seasonal-naive on held-out days', () => {
    const y = weeks(6);
    const fit = etsFit(y);
    expect(fit.sse).toBe(0);
    // The next days continue the week where the history stopped (42 days: the next is weekday 0).
    expect(etsForecast(fit, 10)).toEqual([...WEEK, ...WEEK.slice(0, 3)].map((v) => expect.closeTo(v, 9)));
    const accuracy = heldOutAccuracy(y);
    expect(accuracy.heldOutDays).toBe(14);
    expect(accuracy.mae).toBeCloseTo(0, 9);
    expect(accuracy.mae).toBeLessThanOrEqual(accuracy.seasonalNaive.mae);
    // In-sample seasonal-naive makes no error either: MASE is undefined, and said so.
    expect(accuracy.mase).toBeNull();
  });

  it('beats seasonal-naive on a weekly pattern with noise', () => {
    // Fixed noise, so the test is the same every run: ±3 around the week.
    const noise = [2, -3, 1, 0, -2, 3, -1, 1, 2, -2, 0, 3, -3, 1, -1, 2, 0, -2, 3, 1, -3];
    const y = weeks(8).map((v, i) => v + noise[i % noise.length]!);
    const accuracy = heldOutAccuracy(y);
    expect(accuracy.mase).not.toBeNull();
    expect(accuracy.mae).toBeLessThan(accuracy.seasonalNaive.mae);
    expect(accuracy.mase!).toBeLessThan(accuracy.seasonalNaive.mase!);
  });

  it('forecasts constant demand as that constant', () => {
    const fit = etsFit(Array(30).fill(9));
    expect(etsForecast(fit, 20)).toEqual(Array(20).fill(9));
    expect(fit.seasonal).toEqual(Array(7).fill(0));
  });

  it('runs the recursions as documented: one step by hand', () => {
    // ℓ₀ = mean(1…7) = 4, s = y − 4; ŷ₇ = 4 + s₀ = 1; e₇ = 2; ℓ₇ = 4 + 0.5·2 = 5; s₇ = −3 + 0.2·2 = −2.6.
    const fit = etsRun([1, 2, 3, 4, 5, 6, 7, 3], 0.5, 0.2);
    expect(fit.residuals).toEqual([2]);
    expect(fit.sse).toBe(4);
    expect(fit.level).toBe(5);
    expect(fit.seasonal.map((s) => Number(s.toFixed(9)))).toEqual([-2, -1, 0, 1, 2, 3, -2.6]);
    // Day 8 has day 1's weekday: 5 + (−2) = 3; day 14 has day 7's: 5 − 2.6 = 2.4.
    expect(etsForecast(fit, 7).map((v) => Number(v.toFixed(9)))).toEqual([3, 4, 5, 6, 7, 8, 2.4]);
  });

  it('chooses the grid pair with the least in-sample SSE', () => {
    const y = weeks(5).map((v, i) => v + (i % 5) - 2);
    const best = etsFit(y);
    for (const alpha of [0.05, 0.3, 0.9]) for (const gamma of [0, 0.05]) expect(best.sse).toBeLessThanOrEqual(etsRun(y, alpha, gamma).sse);
  });

  it('floors forecasts at zero: demand is never negative', () => {
    // A level falling towards zero with a strong weekly swing would go below it.
    const y = [...weeks(3, [0, 0, 0, 0, 0, 40, 0]), ...Array(7).fill(0)];
    expect(etsForecast(etsFit(y), 14).every((v) => v >= 0)).toBe(true);
  });

  it('property: forecasts are finite and non-negative for non-negative demand', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 21, maxLength: 70 }),
        fc.integer({ min: 1, max: 30 }),
        (y, horizon) => {
          const result = forecastDemand(y, horizon);
          expect(result.forecast).toHaveLength(horizon);
          for (const v of result.forecast) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
          expect(Number.isFinite(result.accuracy.mae)).toBe(true);
          if (result.accuracy.mase !== null) expect(Number.isFinite(result.accuracy.mase)).toBe(true);
          expect(Number.isFinite(result.residualSd)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a history shorter than three weeks', () => {
    expect(() => forecastDemand(weeks(2), 7)).toThrow(/not enough history \(14 days; need ≥ 21\)/);
  });
});

describe('MASE and seasonal-naive', () => {
  it('computes MASE on a hand example', () => {
    // Q = mean |y_t − y_{t−7}|, t = 7…13 = (1 + 0 + 0 + 0 + 0 + 0 + 1) / 7 = 2/7; MAE = (|3−2| + |1−2|)/2 = 1.
    const training = [1, 2, 3, 4, 5, 6, 7, 2, 2, 3, 4, 5, 6, 8];
    expect(mase(training, [3, 1], [2, 2])).toBeCloseTo(3.5, 12);
  });

  it('seasonal-naive repeats the last observed week', () => {
    expect(seasonalNaiveForecast([9, 9, 1, 2, 3, 4, 5, 6, 7], 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2]);
  });

  it('holds out up to 14 days, always leaving two weeks to train on', () => {
    expect(holdoutDays(21)).toBe(7);
    expect(holdoutDays(28)).toBe(14);
    expect(holdoutDays(100)).toBe(14);
  });
});

describe('reorder point and order quantity', () => {
  it('z from the service level', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it('periodic review without costs: demand over review + lead time plus safety stock, less the position', () => {
    // SS = 1.644854 · 2 · √4 = 6.579; ROP = ⌈10 · 4 + 6.579⌉ = 47; order = ⌈10 · (7 + 4) + 6.579 − 20⌉ = 97.
    const advice = reorderAdvice({ meanDailyDemand: 10, sigma: 2, leadTimeDays: 4, serviceLevel: 0.95, position: 20, reviewDays: 7 });
    expect(advice.safetyStock).toBeCloseTo(6.579417, 5);
    expect(advice.reorderPoint).toBe(47);
    expect(advice).toMatchObject({ method: 'periodic-review', eoq: null, suggestedOrderQuantity: 97 });
    expect(reorderAdvice({ meanDailyDemand: 10, sigma: 2, leadTimeDays: 4, serviceLevel: 0.95, position: 500, reviewDays: 7 }).suggestedOrderQuantity).toBe(0);
  });

  it('EOQ when both costs are known, ordered only at or below the reorder point', () => {
    // EOQ = √(2 · 3650 · 5000 / 100) = √365000 = 604.15 → 605.
    const input = { meanDailyDemand: 10, sigma: 2, leadTimeDays: 4, serviceLevel: 0.95, reviewDays: 7, orderCost: 5000, holdingCostPerUnitYear: 100 };
    const low = reorderAdvice({ ...input, position: 47 });
    expect(low.method).toBe('eoq');
    expect(low.eoq).toBeCloseTo(604.1523, 3);
    expect(low.suggestedOrderQuantity).toBe(605);
    expect(reorderAdvice({ ...input, position: 48 }).suggestedOrderQuantity).toBe(0);
  });

  it('constant demand needs no safety stock', () => {
    const result = forecastDemand(Array(28).fill(5), 7);
    expect(result.residualSd).toBe(0);
    const advice = reorderAdvice({ meanDailyDemand: result.meanDailyDemand, sigma: result.residualSd, leadTimeDays: 3, serviceLevel: 0.95, position: 0, reviewDays: 7 });
    expect(advice).toMatchObject({ safetyStock: 0, reorderPoint: 15, suggestedOrderQuantity: 50 });
  });
});
