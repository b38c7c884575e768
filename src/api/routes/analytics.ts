import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { dailyDemand, uploadDemandHistory } from '../../analytics/demand-history';
import { forecastDemand, MIN_HISTORY_DAYS, reorderAdvice } from '../../analytics/forecast';
import { ledgerTurnover } from '../../analytics/turnover-query';
import type { Db } from '../../db/client';
import { inventoryLevels, products, warehouses } from '../../db/schema';
import { addDays, isoDate } from '../../domain/calendar';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { CalendarDate } from '../schemas';

// Analytics over stock (R2.7, R2.8): demand history in, forecasts, reorder advice and
// turnover out. The arithmetic is src/analytics/forecast.ts and turnover.ts; this file
// reads, parses and renders.

/** Lead time when the request names none: orderflow keeps no supplier lead times yet. */
export const DEFAULT_LEAD_TIME_DAYS = 7;
const MAX_TURNOVER_DAYS = 366;

const code = (max: number) => z.string().trim().min(1).max(max);

export const DemandHistoryBody = z.strictObject({
  /** The CSV file's text: `date,sku,warehouse,quantity` then one row per line. */
  content: z.string().min(1).max(900_000),
  source: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, dash or underscore; at most 64')
    .default('upload'),
});

export const ForecastQuery = z.strictObject({
  sku: code(64),
  warehouse: code(32),
  horizon: z.coerce.number().int().min(1).max(90).default(14),
  serviceLevel: z.coerce.number().gt(0.5).max(0.9999).default(0.95),
  leadTimeDays: z.coerce.number().int().min(1).max(365).optional(),
  reviewDays: z.coerce.number().int().min(1).max(365).default(7),
  /** Cost of placing one order, minor units of the product's currency. */
  orderCost: z.coerce.number().int().min(0).max(1e12).optional(),
  /** Yearly holding cost as a fraction of unit cost (0.25 = 25 % a year). */
  holdingRate: z.coerce.number().gt(0).max(10).optional(),
});

export const TurnoverQuery = z
  .strictObject({ from: CalendarDate.optional(), to: CalendarDate.optional() })
  .transform((q) => {
    const to = q.to ?? isoDate(new Date());
    return { to, from: q.from ?? addDays(to, -29) };
  })
  .superRefine((q, ctx) => {
    if (q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
    else if (addDays(q.from, MAX_TURNOVER_DAYS - 1) < q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: `a window of at most ${MAX_TURNOVER_DAYS} days` });
    if (q.to > isoDate(new Date())) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be in the future' });
  });

const round = (x: number, places = 4) => Math.round(x * 10 ** places) / 10 ** places;
const roundOrNull = (x: number | null, places = 4) => (x === null ? null : round(x, places));

export function analyticsRoutes(deps: { db: Db }) {
  const { db } = deps;

  return [
    route({
      method: 'post',
      path: '/v1/inventory/demand-history',
      tag: 'inventory',
      summary:
        'Past daily sales as CSV in JSON {content, source?} (R2.7): all rows stored or none; a row for a stored (date, sku, warehouse, source) replaces its quantity',
      access: ['operator', 'finance'],
      body: DemandHistoryBody,
      responses: {
        200: '{ source, rows, inserted, replaced, from, to }',
        422: 'lines at fault, each named as "line N.field"; unknown SKUs and warehouses named',
      },
      async handler({ res, body }) {
        const outcome = await uploadDemandHistory(db, body.content, body.source);
        if (outcome.kind === 'refused') {
          const errors = outcome.faults;
          const shown = errors.slice(0, 5).map((e) => e.message).join('; ');
          throw new HttpProblem(422, 'Invalid demand history', errors.length > 5 ? `${shown}; and ${errors.length - 5} more` : shown, { errors });
        }
        const { kind: _kind, ...stored } = outcome;
        res.json(stored);
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/analytics/forecast',
      tag: 'inventory',
      summary:
        'Daily demand, an ETS(A,N,A) forecast with weekly seasonality, its MASE on held-out days against seasonal-naive, and reorder point and order quantity (R2.7)',
      access: ['operator', 'finance'],
      query: ForecastQuery,
      responses: {
        200: '{ sku, warehouse, history, demand, model, forecast, accuracy, reorder }',
        422: `unknown SKU or warehouse, or not enough history (need ≥ ${MIN_HISTORY_DAYS} days)`,
      },
      async handler({ res, query }) {
        const [product] = await db.select().from(products).where(eq(products.sku, query.sku));
        const [warehouse] = await db.select().from(warehouses).where(eq(warehouses.code, query.warehouse));
        const unknown = [
          ...(product ? [] : [{ field: 'query.sku', message: `unknown SKU ${query.sku}` }]),
          ...(warehouse ? [] : [{ field: 'query.warehouse', message: `unknown warehouse ${query.warehouse}` }]),
        ];
        if (unknown.length > 0) throw new HttpProblem(422, 'Invalid request', unknown.map((e) => e.message).join('; '), { errors: unknown });

        const demand = await dailyDemand(db, query.sku, query.warehouse);
        if (demand.length < MIN_HISTORY_DAYS) {
          const detail = `not enough history for ${query.sku} at ${query.warehouse} (${demand.length} days; need ≥ ${MIN_HISTORY_DAYS})`;
          throw new HttpProblem(422, 'Not enough history', detail, {
            errors: [{ field: 'query.sku', message: detail }],
            historyDays: demand.length,
            requiredDays: MIN_HISTORY_DAYS,
          });
        }
        const y = demand.map((d) => d.quantity);
        const result = forecastDemand(y, query.horizon);
        const [level] = await db
          .select()
          .from(inventoryLevels)
          .where(and(eq(inventoryLevels.sku, query.sku), eq(inventoryLevels.warehouseCode, query.warehouse)));
        const onHand = level?.onHand ?? 0;
        const reserved = level?.reserved ?? 0;
        const leadTimeDays = query.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS;
        const holdingCost = query.holdingRate !== undefined ? query.holdingRate * product!.unitCost : undefined;
        const advice = reorderAdvice({
          meanDailyDemand: result.meanDailyDemand,
          sigma: result.residualSd,
          leadTimeDays,
          serviceLevel: query.serviceLevel,
          position: onHand - reserved,
          reviewDays: query.reviewDays,
          orderCost: query.orderCost,
          holdingCostPerUnitYear: holdingCost,
        });
        const last = demand[demand.length - 1]!.date;
        res.json({
          sku: query.sku,
          warehouse: query.warehouse,
          history: {
            from: demand[0]!.date,
            to: last,
            days: demand.length,
            uploadedUnits: demand.reduce((a, d) => a + d.uploaded, 0),
            shippedUnits: demand.reduce((a, d) => a + d.shipped, 0),
          },
          demand: demand.map((d) => ({ date: d.date, quantity: d.quantity })),
          model: {
            kind: 'ETS(A,N,A)',
            seasonPeriod: 7,
            alpha: result.fit.alpha,
            gamma: result.fit.gamma,
            level: round(result.fit.level),
            seasonal: result.fit.seasonal.map((s) => round(s)),
            sse: round(result.fit.sse),
            residualSd: round(result.residualSd),
          },
          forecast: result.forecast.map((q, i) => ({ date: addDays(last, i + 1), quantity: round(q) })),
          accuracy: {
            trainingDays: result.accuracy.trainingDays,
            heldOutDays: result.accuracy.heldOutDays,
            mae: round(result.accuracy.mae),
            mase: roundOrNull(result.accuracy.mase),
            seasonalNaive: { mae: round(result.accuracy.seasonalNaive.mae), mase: roundOrNull(result.accuracy.seasonalNaive.mase) },
          },
          reorder: {
            serviceLevel: query.serviceLevel,
            z: round(advice.z),
            leadTimeDays,
            leadTimeSource: query.leadTimeDays !== undefined ? 'request' : 'default',
            meanDailyDemand: round(result.meanDailyDemand),
            sigma: round(result.residualSd),
            safetyStock: round(advice.safetyStock),
            reorderPoint: advice.reorderPoint,
            position: { onHand, reserved, available: onHand - reserved },
            method: advice.method,
            reviewDays: query.reviewDays,
            eoq: roundOrNull(advice.eoq),
            suggestedOrderQuantity: advice.suggestedOrderQuantity,
          },
        });
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/analytics/turnover',
      tag: 'inventory',
      summary:
        'Inventory turnover (COGS ÷ average inventory value) and days of inventory, per SKU and per currency, from the stock ledger over whole UTC days [from, to] (R2.8)',
      access: ['operator', 'finance'],
      query: TurnoverQuery,
      responses: { 200: '{ from, to, days, skus: [...], overall: [{ currency, ... }] }', 422: 'a bad window' },
      async handler({ res, query }) {
        const report = await ledgerTurnover(db, query.from, query.to);
        const money = (x: number) => Math.round(x);
        res.json({
          from: query.from,
          to: query.to,
          days: report.days,
          skus: report.skus.map((s) => ({
            sku: s.sku,
            currency: s.currency,
            unitCost: s.unitCost,
            shippedUnits: s.shippedUnits,
            openingUnits: s.openingUnits,
            closingUnits: s.closingUnits,
            averageUnits: round(s.averageUnits),
            cogs: s.cogs,
            averageInventoryValue: money(s.averageInventoryValue),
            turnover: roundOrNull(s.turnover),
            daysOfInventory: roundOrNull(s.daysOfInventory, 2),
          })),
          overall: report.overall.map((o) => ({
            currency: o.currency,
            cogs: o.cogs,
            averageInventoryValue: money(o.averageInventoryValue),
            turnover: roundOrNull(o.turnover),
            daysOfInventory: roundOrNull(o.daysOfInventory, 2),
          })),
        });
      },
    }),
  ];
}
