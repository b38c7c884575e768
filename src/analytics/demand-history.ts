import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { demandHistory, products, stockMovements, warehouses } from '../db/schema';
import { addDays, isoDate } from '../domain/calendar';
import { parseDemandCsv, type CsvFault } from './demand-csv';

// Demand history: uploaded past sales (demand_history) and our own shipments (the
// stock ledger's 'shipment' movements), as one daily series per SKU and warehouse.

export type UploadOutcome =
  | { kind: 'stored'; source: string; rows: number; inserted: number; replaced: number; from: string; to: string }
  | { kind: 'refused'; faults: CsvFault[] };

/**
 * Stores every row of the file, or none. A row whose (date, SKU, warehouse, source) is
 * already stored replaces that figure: uploading the same file twice leaves the same
 * history, and a corrected file corrects it.
 */
export async function uploadDemandHistory(db: Db, content: string, source: string, now = new Date()): Promise<UploadOutcome> {
  const { rows, faults } = parseDemandCsv(content, isoDate(now));
  if (faults.length > 0) return { kind: 'refused', faults };

  const skus = [...new Set(rows.map((r) => r.sku))];
  const codes = [...new Set(rows.map((r) => r.warehouse))];
  const knownSkus = new Set((await db.select({ sku: products.sku }).from(products).where(inArray(products.sku, skus))).map((r) => r.sku));
  const knownCodes = new Set(
    (await db.select({ code: warehouses.code }).from(warehouses).where(inArray(warehouses.code, codes))).map((r) => r.code),
  );
  const unknown: CsvFault[] = [];
  for (const r of rows) {
    if (!knownSkus.has(r.sku)) unknown.push({ field: `line ${r.line}.sku`, message: `line ${r.line}: unknown SKU ${r.sku}` });
    if (!knownCodes.has(r.warehouse)) unknown.push({ field: `line ${r.line}.warehouse`, message: `line ${r.line}: unknown warehouse ${r.warehouse}` });
  }
  if (unknown.length > 0) return { kind: 'refused', faults: unknown };

  const written = await db.transaction(async (tx) => {
    const out: { inserted: boolean }[] = [];
    // Postgres caps the parameters of one statement; 1000 rows × 5 stays far below it.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      out.push(
        ...(await tx
          .insert(demandHistory)
          .values(chunk.map((r) => ({ date: r.date, sku: r.sku, warehouseCode: r.warehouse, quantity: r.quantity, source })))
          .onConflictDoUpdate({
            target: [demandHistory.date, demandHistory.sku, demandHistory.warehouseCode, demandHistory.source],
            set: { quantity: sql`excluded.quantity`, updatedAt: now },
          })
          // xmax is 0 on a row this statement inserted, not 0 on one it updated.
          .returning({ inserted: sql<boolean>`(xmax = 0)` })),
      );
    }
    return out;
  });
  const inserted = written.filter((w) => w.inserted).length;
  const dates = rows.map((r) => r.date).sort();
  return { kind: 'stored', source, rows: rows.length, inserted, replaced: rows.length - inserted, from: dates[0]!, to: dates[dates.length - 1]! };
}

/** The longest series forecast from: two years, the most recent ones. */
export const MAX_SERIES_DAYS = 730;

export interface DailyDemand {
  date: string;
  /** Uploaded history (all sources) plus units shipped that day. */
  quantity: number;
  uploaded: number;
  shipped: number;
}

/**
 * Daily demand of one SKU at one warehouse over complete UTC days: from the first day
 * with any demand to yesterday, days without any recorded as 0; at most the last
 * MAX_SERIES_DAYS of it. Today is left out until it is over — half a day's sales would
 * read as a slump. Empty when nothing was uploaded or shipped before today.
 */
export async function dailyDemand(db: Db, sku: string, warehouse: string, now = new Date()): Promise<DailyDemand[]> {
  const uploaded = await db
    .select({ date: demandHistory.date, quantity: sql<string>`sum(${demandHistory.quantity})::text` })
    .from(demandHistory)
    .where(and(eq(demandHistory.sku, sku), eq(demandHistory.warehouseCode, warehouse)))
    .groupBy(demandHistory.date);
  const day = sql<string>`to_char(${stockMovements.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const shipped = await db
    .select({ date: day, quantity: sql<string>`sum(-${stockMovements.onHandDelta})::text` })
    .from(stockMovements)
    .where(and(eq(stockMovements.sku, sku), eq(stockMovements.warehouseCode, warehouse), eq(stockMovements.kind, 'shipment')))
    .groupBy(day);

  const byDay = new Map<string, { uploaded: number; shipped: number }>();
  const at = (date: string) => byDay.get(date) ?? byDay.set(date, { uploaded: 0, shipped: 0 }).get(date)!;
  for (const r of uploaded) at(r.date).uploaded += Number(r.quantity);
  for (const r of shipped) at(r.date).shipped += Number(r.quantity);
  const last = addDays(isoDate(now), -1);
  const dates = [...byDay.keys()].filter((d) => d <= last).sort();
  if (dates.length === 0) return [];
  const series: DailyDemand[] = [];
  const earliest = addDays(last, 1 - MAX_SERIES_DAYS);
  for (let date = dates[0]! > earliest ? dates[0]! : earliest; date <= last; date = addDays(date, 1)) {
    const d = byDay.get(date) ?? { uploaded: 0, shipped: 0 };
    series.push({ date, quantity: d.uploaded + d.shipped, ...d });
  }
  return series;
}
