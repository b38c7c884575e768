import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agreements, type CounterpartyKind, type LedgerEntryKind } from '../db/schema';
import { periodBounds, zoneOffsetMs } from '../domain/settlement-period';
import { buildFinancialReport, type CounterpartyWindow, type FinancialReport, type LedgerSum } from './financial-report';
import type { Counterparty } from './settlement-terms';

// The ledger's sums for the financial report (R6.10). A period is the counterparty's
// own: "2026-11" runs from local midnight of 1 November to local midnight of 1 December
// in its agreement's time zone (UTC when it has none), so one report may hold windows
// an hour apart. The sums are grouped by counterparty, settlement currency, kind,
// account and side; financial-report.ts turns them into figures.

/** A settlement period label, or a range of calendar days (inclusive) in each counterparty's zone. */
export type ReportWindow = { label: string } | { from: string; to: string };

/** Local midnight starting the calendar day `date` (YYYY-MM-DD) in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a DST change, as startOfLocalMonth does.
  let instant = naive - zoneOffsetMs(timeZone, new Date(naive));
  instant = naive - zoneOffsetMs(timeZone, new Date(instant));
  return new Date(instant);
}

const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

export function windowIn(window: ReportWindow, timeZone: string): CounterpartyWindow {
  if ('label' in window) return { timeZone, ...periodBounds(window.label, timeZone) };
  return { timeZone, start: startOfLocalDay(window.from, timeZone), end: startOfLocalDay(nextDay(window.to), timeZone) };
}

const UTC = 'UTC';

interface SumRow {
  counterparty_kind: CounterpartyKind;
  counterparty_id: string;
  currency: string;
  kind: LedgerEntryKind;
  account: string;
  side: 'debit' | 'credit';
  in_period: string;
  entries_in_period: string;
  to_end: string;
  settled: string;
}

function whole(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`ledger sum ${text} leaves the safe integer range`);
  return n;
}

export async function financialReport(db: Db, window: ReportWindow, counterparty?: Counterparty): Promise<FinancialReport> {
  const zoneRows = await db
    .select({ kind: agreements.counterpartyKind, id: agreements.counterpartyId, timeZone: agreements.timeZone })
    .from(agreements)
    .where(counterparty ? and(eq(agreements.counterpartyKind, counterparty.kind), eq(agreements.counterpartyId, counterparty.id)) : undefined);
  const zoneOf = new Map(zoneRows.map((r) => [JSON.stringify([r.kind, r.id]), r.timeZone]));
  const windows = new Map([UTC, ...zoneRows.map((r) => r.timeZone)].map((zone) => [zone, windowIn(window, zone)]));

  const bounds = sql.join(
    [...windows.values()].map((w) => sql`(${w.timeZone}, ${w.start.toISOString()}::timestamptz, ${w.end.toISOString()}::timestamptz)`),
    sql`, `,
  );
  const filter = counterparty ? sql`and e.counterparty_kind = ${counterparty.kind} and e.counterparty_id = ${counterparty.id}` : sql``;
  const inPeriod = sql`e.created_at >= b.start_at and e.created_at < b.end_at`;
  const rows = (await db.execute(sql`
    with bounds(time_zone, start_at, end_at) as (values ${bounds})
    select e.counterparty_kind, e.counterparty_id, e.settlement_currency as currency, e.kind, e.account, e.side,
      coalesce(sum(e.settlement_amount) filter (where ${inPeriod}), 0)::text as in_period,
      count(*) filter (where ${inPeriod})::text as entries_in_period,
      coalesce(sum(e.settlement_amount) filter (where e.created_at < b.end_at), 0)::text as to_end,
      coalesce(sum(e.settlement_amount) filter (
        where s.status = 'settled' and s.settled_at >= b.start_at and s.settled_at < b.end_at
      ), 0)::text as settled
    from ledger_entries e
    left join agreements a on a.counterparty_kind = e.counterparty_kind and a.counterparty_id = e.counterparty_id
    join bounds b on b.time_zone = coalesce(a.time_zone, ${UTC})
    -- The run an entry was settled by: the one that posted it, else the run of its
    -- agreement whose period holds it (one per agreement and period).
    left join lateral (
      select r.status, r.settled_at from settlements r
      where r.id = e.settlement_id
         or (e.settlement_id is null and r.agreement_id = e.agreement_id and e.created_at >= r.period_start and e.created_at < r.period_end)
      order by (r.id = e.settlement_id) desc nulls last
      limit 1
    ) s on true
    where (e.created_at < b.end_at or e.settlement_id is not null) ${filter}
    group by e.counterparty_kind, e.counterparty_id, e.settlement_currency, e.kind, e.account, e.side
  `)) as unknown as SumRow[];

  const sums: LedgerSum[] = rows.map((r) => ({
    counterpartyKind: r.counterparty_kind,
    counterpartyId: r.counterparty_id,
    currency: r.currency,
    kind: r.kind,
    account: r.account,
    side: r.side,
    inPeriod: whole(r.in_period),
    entriesInPeriod: whole(r.entries_in_period),
    toEnd: whole(r.to_end),
    settled: whole(r.settled),
  }));
  return buildFinancialReport(sums, (kind, id) => windows.get(zoneOf.get(JSON.stringify([kind, id])) ?? UTC)!);
}
