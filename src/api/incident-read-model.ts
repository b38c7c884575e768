import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../db/client';
import { improvements, incidents, orders } from '../db/schema';
import { badCursor, decodeCursor, pageOf } from './keyset';
import { incidentJson } from './order-read-model';
import type { ImprovementsQuery, IncidentSummaryQuery, IncidentsQuery } from './schemas';

// What went wrong on the way to customers, across orders (R4.8), and the measures taken
// against it (R4.10): read straight from the incidents the workflows record.

const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A `from`/`to` filter on when incidents were opened; a bare date `to` takes in that whole day. */
function openedWithin(from: string | undefined, to: string | undefined): SQL[] {
  const where: SQL[] = [];
  if (from) where.push(gte(incidents.openedAt, new Date(DATE_ONLY.test(from) ? `${from}T00:00:00Z` : from)));
  if (to) {
    if (DATE_ONLY.test(to)) where.push(lt(incidents.openedAt, new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS)));
    else where.push(lte(incidents.openedAt, new Date(to)));
  }
  return where;
}

function decodeIncidentCursor(cursor: string): { openedAt: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2) as [string, string];
  const openedAt = new Date(at);
  const year = openedAt.getUTCFullYear();
  if (!UUID.test(id) || Number.isNaN(openedAt.getTime()) || year < 1970 || year > 9999) throw badCursor();
  return { openedAt, id };
}

/** Incidents newest first, with the order, carrier and lane each belongs to; keyset-paged like the orders. */
/** `owned` limits the list to the caller's orders (src/api/tenancy.ts). */
export async function listIncidents(db: Db, q: z.output<typeof IncidentsQuery>, owned?: SQL) {
  const where: SQL[] = openedWithin(q.from, q.to);
  if (owned) where.push(owned);
  if (q.kind) where.push(inArray(incidents.kind, q.kind));
  if (q.status) where.push(inArray(incidents.status, q.status));
  if (q.carrier) where.push(eq(incidents.carrier, q.carrier));
  if (q.cursor) {
    const c = decodeIncidentCursor(q.cursor);
    where.push(or(lt(incidents.openedAt, c.openedAt), and(eq(incidents.openedAt, c.openedAt), lt(incidents.id, c.id)))!);
  }
  const rows = await db
    .select({ incident: incidents, orderNumber: orders.number })
    .from(incidents)
    .innerJoin(orders, eq(orders.id, incidents.orderId))
    .where(and(...where))
    .orderBy(desc(incidents.openedAt), desc(incidents.id))
    .limit(q.limit + 1);
  return pageOf(
    rows,
    q.limit,
    (r) => [r.incident.openedAt.toISOString(), r.incident.id],
    (r) => ({
      ...incidentJson(r.incident),
      orderId: r.incident.orderId,
      orderNumber: r.orderNumber,
      carrier: r.incident.carrier,
      lane: r.incident.lane,
    }),
  );
}

type ImprovementRow = typeof improvements.$inferSelect;

export function improvementJson(i: ImprovementRow) {
  return {
    id: i.id,
    title: i.title,
    finding: i.finding,
    action: i.action,
    owner: i.owner,
    dueDate: i.dueDate,
    status: i.status,
    startedAt: i.startedAt.toISOString(),
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

export async function listImprovements(db: Db, q: z.output<typeof ImprovementsQuery>) {
  const where: SQL[] = [];
  if (q.status) where.push(inArray(improvements.status, q.status));
  if (q.owner) where.push(eq(improvements.owner, q.owner));
  const rows = await db
    .select()
    .from(improvements)
    .where(and(...where))
    .orderBy(desc(improvements.createdAt), desc(improvements.id));
  return { data: rows.map(improvementJson) };
}

const resolutionMs = sql`extract(epoch from (${incidents.resolvedAt} - ${incidents.openedAt})) * 1000`;

/**
 * Incidents grouped by carrier, lane or kind: how many, in which state, how long they
 * took to resolve; and, for every improvement, how often its finding recurred in equal
 * periods before and after it started.
 */
export async function incidentSummary(db: Db, q: z.output<typeof IncidentSummaryQuery>, now = new Date()) {
  const key = { carrier: incidents.carrier, lane: incidents.lane, kind: incidents.kind }[q.groupBy];
  const where = and(...openedWithin(q.from, q.to));
  const [groups, kinds, measures] = await Promise.all([
    db
      .select({
        key,
        count: sql<number>`count(*)::int`,
        open: sql<number>`(count(*) filter (where ${incidents.status} = 'open'))::int`,
        awaitingCustomer: sql<number>`(count(*) filter (where ${incidents.status} = 'awaiting_customer'))::int`,
        resolved: sql<number>`(count(*) filter (where ${incidents.status} = 'resolved'))::int`,
        meanResolutionMs: sql<string | null>`round(avg(${resolutionMs}) filter (where ${incidents.resolvedAt} is not null))`,
        maxResolutionMs: sql<string | null>`round(max(${resolutionMs}) filter (where ${incidents.resolvedAt} is not null))`,
      })
      .from(incidents)
      .where(where)
      .groupBy(key)
      .orderBy(desc(sql`count(*)`), asc(key)),
    db
      .select({ key, kind: incidents.kind, count: sql<number>`count(*)::int` })
      .from(incidents)
      .where(where)
      .groupBy(key, incidents.kind),
    db.select().from(improvements).orderBy(asc(improvements.startedAt), asc(improvements.id)),
  ]);

  const byKind = new Map<string | null, Record<string, number>>();
  for (const k of kinds) {
    const counts = byKind.get(k.key) ?? {};
    counts[k.kind] = k.count;
    byKind.set(k.key, counts);
  }
  const asMs = (v: string | number | null) => (v === null ? null : Number(v));

  return {
    groupBy: q.groupBy,
    from: q.from ?? null,
    to: q.to ?? null,
    groups: groups.map((g) => ({
      key: g.key,
      count: g.count,
      open: g.open,
      awaitingCustomer: g.awaitingCustomer,
      resolved: g.resolved,
      meanResolutionMs: asMs(g.meanResolutionMs),
      maxResolutionMs: asMs(g.maxResolutionMs),
      byKind: byKind.get(g.key) ?? {},
    })),
    improvements: await Promise.all(measures.map((m) => beforeAndAfter(db, m, now))),
  };
}

/** How many incidents matched an improvement's finding in the time since it started, and in as long a time before. */
async function beforeAndAfter(db: Db, m: ImprovementRow, now: Date) {
  const started = m.startedAt;
  const spanMs = Math.max(0, now.getTime() - started.getTime());
  const before = new Date(started.getTime() - spanMs);
  const matches: SQL[] = [];
  if (m.finding.carrier) matches.push(eq(incidents.carrier, m.finding.carrier));
  if (m.finding.lane) matches.push(eq(incidents.lane, m.finding.lane));
  if (m.finding.kind) matches.push(eq(incidents.kind, m.finding.kind));
  const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;
  const [counts] = await db
    .select({
      before: sql<number>`(count(*) filter (where ${incidents.openedAt} >= ${at(before)} and ${incidents.openedAt} < ${at(started)}))::int`,
      after: sql<number>`(count(*) filter (where ${incidents.openedAt} >= ${at(started)} and ${incidents.openedAt} <= ${at(now)}))::int`,
    })
    .from(incidents)
    .where(and(...matches, gte(incidents.openedAt, before), lte(incidents.openedAt, now)));
  const days = spanMs / DAY_MS;
  const period = (count: number) => ({ count, days, perDay: days > 0 ? count / days : 0 });
  return {
    id: m.id,
    title: m.title,
    status: m.status,
    finding: m.finding,
    startedAt: started.toISOString(),
    before: period(counts?.before ?? 0),
    after: period(counts?.after ?? 0),
  };
}
