import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { addDays } from '../domain/calendar';
import { turnoverReport, type SkuLedger, type TurnoverReport } from './turnover';

// What src/analytics/turnover.ts needs from the stock ledger, for a window of whole UTC
// days [from, to]: per SKU (all warehouses together) the units on hand before the
// window, the net on-hand change of each day in it and the units shipped in it, with
// the product's unit cost. A SKU appears when it had stock or moved by the window's end.

interface Row {
  sku: string;
  currency: string;
  unit_cost: string;
  day: string | null;
  before: string;
  delta: string;
  shipped: string;
}

export async function ledgerTurnover(db: Db, from: string, to: string): Promise<TurnoverReport> {
  const start = `${from}T00:00:00Z`;
  const end = `${addDays(to, 1)}T00:00:00Z`;
  // One row per SKU and day with movements in the window, plus one (day null) for what came before.
  const rows = (await db.execute(sql`
    select m.sku, p.currency, p.unit_cost::text as unit_cost,
      case when m.created_at >= ${start}::timestamptz then to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD') end as day,
      coalesce(sum(m.on_hand_delta) filter (where m.created_at < ${start}::timestamptz), 0)::text as before,
      coalesce(sum(m.on_hand_delta) filter (where m.created_at >= ${start}::timestamptz), 0)::text as delta,
      coalesce(sum(-m.on_hand_delta) filter (where m.created_at >= ${start}::timestamptz and m.kind = 'shipment'), 0)::text as shipped
    from stock_movements m
    join products p on p.sku = m.sku
    where m.created_at < ${end}::timestamptz
    group by m.sku, p.currency, p.unit_cost, day
    order by m.sku, day nulls first
  `)) as unknown as Row[];

  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  const index = new Map(days.map((d, i) => [d, i]));
  const ledgers = new Map<string, SkuLedger & { dailyDeltas: number[] }>();
  for (const r of rows) {
    let l = ledgers.get(r.sku);
    if (!l) {
      l = { sku: r.sku, currency: r.currency, unitCost: Number(r.unit_cost), opening: 0, dailyDeltas: days.map(() => 0), shippedUnits: 0 };
      ledgers.set(r.sku, l);
    }
    if (r.day === null) l.opening += Number(r.before);
    else {
      l.dailyDeltas[index.get(r.day)!]! += Number(r.delta);
      l.shippedUnits += Number(r.shipped);
    }
  }
  // Nothing on hand and nothing moving in the window: no figure to report.
  const relevant = [...ledgers.values()].filter((l) => l.opening !== 0 || l.dailyDeltas.some((d) => d !== 0) || l.shippedUnits > 0);
  return turnoverReport(relevant, days.length);
}
