// Daily demand forecasting (R2.7): pure arithmetic, no I/O, so every figure the API
// reports can be recomputed by hand or by a test.
//
// The model is ETS(A,N,A) — simple exponential smoothing with additive weekly
// seasonality (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", §8.3),
// in error-correction form with season length m = 7. For observations y_0 … y_{n−1}:
//
//   initial state   ℓ = mean(y_0 … y_{m−1});   s_j = y_j − ℓ  for j = 0 … m−1
//   for t = m … n−1 (one step ahead):
//     ŷ_t = ℓ_{t−1} + s_{t−m}          e_t = y_t − ŷ_t
//     ℓ_t = ℓ_{t−1} + α·e_t            s_t = s_{t−m} + γ·e_t
//   h steps past the last observation (h = 1, 2, …):
//     ŷ_{n−1+h} = max(0, ℓ_{n−1} + s_{n−1+h−m·(⌊(h−1)/m⌋+1)})
//
// (the first season is the initial state, so its one-step errors are zero and it is
// left out of the SSE). α and γ are chosen from ALPHA_GRID × GAMMA_GRID (γ ≤ 1 − α, the
// usual admissible region) by the smallest in-sample one-step SSE = Σ e_t²; ties go to
// the first pair in grid order (smaller α, then smaller γ). Demand is never negative, so
// forecasts are floored at zero.

export const SEASON = 7;
export const ALPHA_GRID = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9] as const;
export const GAMMA_GRID = [0, 0.05, 0.1, 0.2, 0.3, 0.5] as const;
/** Three weeks: one to start the model, at least one to fit it on, one to test it on. */
export const MIN_HISTORY_DAYS = 21;
export const MAX_HOLDOUT_DAYS = 14;

export interface EtsFit {
  alpha: number;
  gamma: number;
  /** ℓ_{n−1}: the level after the last observation. */
  level: number;
  /** The last m seasonal terms, oldest first: seasonal[k] applies to the day n − m + k (and every 7 days after). */
  seasonal: number[];
  /** Σ e_t² over t = m … n−1. */
  sse: number;
  /** The one-step errors e_t, t = m … n−1. */
  residuals: number[];
}

/** Runs the recursions for given α, γ over y (length ≥ m). */
export function etsRun(y: readonly number[], alpha: number, gamma: number, m = SEASON): EtsFit {
  if (y.length < m) throw new RangeError(`need at least ${m} observations, have ${y.length}`);
  let level = mean(y.slice(0, m));
  // A ring of the last m seasonal terms: ring[t mod m] = s_{t−m} when about to process t.
  const ring = y.slice(0, m).map((v) => v - level);
  const residuals: number[] = [];
  let sse = 0;
  for (let t = m; t < y.length; t += 1) {
    const s = ring[t % m]!;
    const e = y[t]! - (level + s);
    level += alpha * e;
    ring[t % m] = s + gamma * e;
    residuals.push(e);
    sse += e * e;
  }
  const n = y.length;
  const seasonal = Array.from({ length: m }, (_, k) => ring[(n - m + k) % m]!);
  return { alpha, gamma, level, seasonal, sse, residuals };
}

/** The (α, γ) on the grid with the least in-sample one-step SSE, and its fit. */
export function etsFit(y: readonly number[], m = SEASON): EtsFit {
  let best: EtsFit | undefined;
  for (const alpha of ALPHA_GRID) {
    for (const gamma of GAMMA_GRID) {
      if (gamma > 1 - alpha + 1e-12) continue;
      const fit = etsRun(y, alpha, gamma, m);
      // Strictly smaller (beyond rounding noise) to replace: ties keep the earlier pair.
      if (!best || fit.sse < best.sse - 1e-9 * Math.max(1, best.sse)) best = fit;
    }
  }
  return best!;
}

/** ŷ for the `horizon` days after the last observation. */
export function etsForecast(fit: EtsFit, horizon: number): number[] {
  const m = fit.seasonal.length;
  // seasonal[k] is the day n − m + k; day n − 1 + h has the same weekday as seasonal[(h − 1) mod m].
  return Array.from({ length: horizon }, (_, i) => Math.max(0, fit.level + fit.seasonal[i % m]!));
}

/** Seasonal-naive: each of the next days repeats the same weekday of the last observed week. */
export function seasonalNaiveForecast(y: readonly number[], horizon: number, m = SEASON): number[] {
  if (y.length < m) throw new RangeError(`need at least ${m} observations, have ${y.length}`);
  return Array.from({ length: horizon }, (_, i) => y[y.length - m + (i % m)]!);
}

export const mae = (actual: readonly number[], predicted: readonly number[]): number =>
  mean(actual.map((a, i) => Math.abs(a - predicted[i]!)));

/**
 * MASE (Hyndman & Koehler 2006) of forecasts for held-out days: their MAE divided by
 * the in-sample MAE of the one-step seasonal-naive forecast on the training days,
 * Q = (1/(T−m)) Σ_{t=m}^{T−1} |y_t − y_{t−m}|. Below 1: better than seasonal-naive was
 * in-sample. Undefined (null) when Q = 0 — training demand repeats exactly every week.
 */
export function mase(training: readonly number[], actual: readonly number[], predicted: readonly number[], m = SEASON): number | null {
  if (training.length <= m) throw new RangeError(`need more than ${m} training observations, have ${training.length}`);
  const scale = mean(training.slice(m).map((v, i) => Math.abs(v - training[i]!)));
  if (scale === 0) return null;
  return mae(actual, predicted) / scale;
}

/** How many of n days are held out: up to 14, always leaving two weeks to train on. */
export function holdoutDays(n: number): number {
  return Math.max(0, Math.min(MAX_HOLDOUT_DAYS, n - 2 * SEASON));
}

export interface Accuracy {
  trainingDays: number;
  heldOutDays: number;
  /** The model fitted on the training days, forecasting the held-out days. */
  mae: number;
  mase: number | null;
  seasonalNaive: { mae: number; mase: number | null };
}

/** The model and seasonal-naive, each fitted on all but the last holdoutDays(n) days and scored on those. */
export function heldOutAccuracy(y: readonly number[]): Accuracy {
  const held = holdoutDays(y.length);
  if (held === 0) throw new RangeError(`need more than ${2 * SEASON} days to hold some out, have ${y.length}`);
  const training = y.slice(0, y.length - held);
  const actual = y.slice(y.length - held);
  const model = etsForecast(etsFit(training), held);
  const naive = seasonalNaiveForecast(training, held);
  return {
    trainingDays: training.length,
    heldOutDays: held,
    mae: mae(actual, model),
    mase: mase(training, actual, model),
    seasonalNaive: { mae: mae(actual, naive), mase: mase(training, actual, naive) },
  };
}

// ---- Reorder point and order quantity ----

export interface ReorderInput {
  /** Mean daily demand μ over the history. */
  meanDailyDemand: number;
  /** σ: standard deviation of daily demand around the forecast (the model's one-step residuals). */
  sigma: number;
  leadTimeDays: number;
  /** Probability of no stockout during a lead time, e.g. 0.95. */
  serviceLevel: number;
  /** Stock position: on hand − reserved (what can still be promised). */
  position: number;
  reviewDays: number;
  /** Both known: EOQ. Cost of placing one order (minor units), holding cost per unit per year (minor units). */
  orderCost?: number;
  holdingCostPerUnitYear?: number;
}

export interface ReorderAdvice {
  z: number;
  /** z · σ · √L, in units (unrounded). */
  safetyStock: number;
  /** ⌈μ · L + safety stock⌉. */
  reorderPoint: number;
  method: 'eoq' | 'periodic-review';
  /** EOQ = √(2 · D · S / H) with D = 365 · μ (units a year); only with both costs. */
  eoq: number | null;
  /** eoq: ⌈EOQ⌉ when position ≤ reorder point, else 0. periodic-review: max(0, ⌈μ · (R + L) + safety stock − position⌉). */
  suggestedOrderQuantity: number;
}

export function reorderAdvice(input: ReorderInput): ReorderAdvice {
  const { meanDailyDemand: mu, sigma, leadTimeDays: L, position } = input;
  const z = normalQuantile(input.serviceLevel);
  const safetyStock = z * sigma * Math.sqrt(L);
  const reorderPoint = Math.ceil(roundOff(mu * L + safetyStock));
  const withCosts = input.orderCost !== undefined && input.holdingCostPerUnitYear !== undefined && input.holdingCostPerUnitYear > 0;
  if (withCosts) {
    const eoq = Math.sqrt((2 * 365 * mu * input.orderCost!) / input.holdingCostPerUnitYear!);
    const quantity = position <= reorderPoint ? Math.ceil(roundOff(eoq)) : 0;
    return { z, safetyStock, reorderPoint, method: 'eoq', eoq, suggestedOrderQuantity: quantity };
  }
  const upTo = mu * (input.reviewDays + L) + safetyStock;
  return { z, safetyStock, reorderPoint, method: 'periodic-review', eoq: null, suggestedOrderQuantity: Math.max(0, Math.ceil(roundOff(upTo - position))) };
}

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative
 * error below 1.15e-9): 0.95 → 1.6449, 0.99 → 2.3263.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a probability strictly between 0 and 1, not ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

// ---- Putting it together ----

export interface DemandForecast {
  fit: EtsFit;
  forecast: number[];
  accuracy: Accuracy;
  meanDailyDemand: number;
  /** Root mean square of the one-step residuals of the model fitted on all days. */
  residualSd: number;
}

/** Fits on the whole series, forecasts `horizon` days, and scores the model on held-out days. */
export function forecastDemand(y: readonly number[], horizon: number): DemandForecast {
  if (y.length < MIN_HISTORY_DAYS) throw new RangeError(`not enough history (${y.length} days; need ≥ ${MIN_HISTORY_DAYS})`);
  const fit = etsFit(y);
  return {
    fit,
    forecast: etsForecast(fit, horizon),
    accuracy: heldOutAccuracy(y),
    meanDailyDemand: mean(y),
    residualSd: Math.sqrt(fit.sse / fit.residuals.length),
  };
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? 0 : sum / values.length;
}

/** Drops floating-point dust (2.0000000000004) before rounding up to whole units. */
const roundOff = (x: number) => Math.round(x * 1e9) / 1e9;
