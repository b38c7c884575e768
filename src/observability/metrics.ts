import { sql } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { Db } from '../db/client';

// Prometheus metrics in the text exposition format, written by hand: a counter and a
// histogram of HTTP requests kept in this process, and gauges read from Postgres
// (orders by status, open incidents, the outbox's and the webhooks' backlog) — one
// cheap query, cached for a few seconds so a scraper cannot load the database.

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',')}}`;

interface Series {
  labels: Record<string, string>;
  count: number;
  sum: number;
  buckets: number[];
}

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const pairs = { method, route, status: String(status) };
    const key = JSON.stringify(pairs);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: pairs, count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) };
      this.series.set(key, s);
    }
    s.count += 1;
    s.sum += seconds;
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
  }

  /** Counts every request by the route it matched (its declared path, never the raw URL), once answered. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const matched = (req.route as { path?: unknown } | undefined)?.path;
        this.observe(req.method, typeof matched === 'string' ? matched : 'unmatched', res.statusCode, seconds);
      });
      next();
    };
  }

  text(): string {
    const lines = [
      '# HELP orderflow_http_requests_total HTTP requests answered, by method, route and status.',
      '# TYPE orderflow_http_requests_total counter',
    ];
    for (const s of this.series.values()) lines.push(`orderflow_http_requests_total${labels(s.labels)} ${s.count}`);
    lines.push(
      '# HELP orderflow_http_request_duration_seconds Time to answer an HTTP request.',
      '# TYPE orderflow_http_request_duration_seconds histogram',
    );
    for (const s of this.series.values()) {
      DURATION_BUCKETS.forEach((le, i) => lines.push(`orderflow_http_request_duration_seconds_bucket${labels({ ...s.labels, le: String(le) })} ${s.buckets[i]}`));
      lines.push(`orderflow_http_request_duration_seconds_bucket${labels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`orderflow_http_request_duration_seconds_sum${labels(s.labels)} ${s.sum}`);
      lines.push(`orderflow_http_request_duration_seconds_count${labels(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export interface BusinessGauges {
  ordersByStatus: Record<string, number>;
  openIncidents: number;
  notificationsPending: number;
  webhookDeliveriesPending: number;
}

/** The business gauges, read at most once per `cacheMs` (a scrape in between gets the last reading). */
export function businessGauges(db: Db, cacheMs = 5_000): () => Promise<BusinessGauges> {
  let last: { at: number; value: Promise<BusinessGauges> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) {
      const value = readGauges(db);
      last = { at: now, value };
      // A failed reading is not cached: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

async function readGauges(db: Db): Promise<BusinessGauges> {
  // One round trip: indexed counts, grouped where a status is a label.
  const rows = await db.execute<{ metric: string; status: string | null; n: string | number }>(sql`
    select 'order' as metric, status, count(*) as n from orders group by status
    union all select 'incident', null, count(*) from incidents where status <> 'resolved'
    union all select 'notification', null, count(*) from notifications where status = 'pending'
    union all select 'webhook', null, count(*) from webhook_deliveries where status = 'pending'`);
  const gauges: BusinessGauges = { ordersByStatus: {}, openIncidents: 0, notificationsPending: 0, webhookDeliveriesPending: 0 };
  for (const row of rows as unknown as Iterable<{ metric: string; status: string | null; n: string | number }>) {
    const n = Number(row.n);
    if (row.metric === 'order' && row.status) gauges.ordersByStatus[row.status] = n;
    else if (row.metric === 'incident') gauges.openIncidents = n;
    else if (row.metric === 'notification') gauges.notificationsPending = n;
    else if (row.metric === 'webhook') gauges.webhookDeliveriesPending = n;
  }
  return gauges;
}

export function gaugesText(g: BusinessGauges): string {
  const lines = ['# HELP orderflow_orders Orders by status (from Postgres, cached a few seconds).', '# TYPE orderflow_orders gauge'];
  for (const [status, n] of Object.entries(g.ordersByStatus).sort()) lines.push(`orderflow_orders${labels({ status })} ${n}`);
  lines.push(
    '# HELP orderflow_open_incidents Delivery exceptions (incidents) not yet resolved.',
    '# TYPE orderflow_open_incidents gauge',
    `orderflow_open_incidents ${g.openIncidents}`,
    '# HELP orderflow_notifications_pending Notices in the outbox waiting to be sent.',
    '# TYPE orderflow_notifications_pending gauge',
    `orderflow_notifications_pending ${g.notificationsPending}`,
    '# HELP orderflow_webhook_deliveries_pending Webhook deliveries waiting to be delivered or retried.',
    '# TYPE orderflow_webhook_deliveries_pending gauge',
    `orderflow_webhook_deliveries_pending ${g.webhookDeliveriesPending}`,
  );
  return lines.join('\n');
}
