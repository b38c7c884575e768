import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { createLogger } from '../../src/observability/logger';
import { sampleOrder } from '../helpers/orders';
import { expectProblem } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type ApiResponse, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Running it (issue 10): structured logs, Prometheus metrics, security headers, the body
// limit, per-key rate limits and CORS preflights — through the running service, with a
// tiny rate limit and body limit so they are met in a few requests.

const RATE_LIMIT = 40;
const BODY_LIMIT = 2048;
const SHOP = 'https://shop.example';

/** Prometheus text → the value of each series, by its name and labels as written. */
function series(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('running it: logs, metrics and limits', () => {
  let stack: TestStack;
  const logLines: string[] = [];
  let orderId: string;

  beforeAll(async () => {
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
    stack = await startTestStack(
      {
        ORDERFLOW_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        ORDERFLOW_BODY_LIMIT_BYTES: String(BODY_LIMIT),
        ORDERFLOW_CORS_ORIGINS: SHOP,
        ORDERFLOW_HSTS: 'on',
      },
      { logger },
    );
    await seedDemoCatalogue(stack.db);
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    orderId = created.body.id;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers JSON with security headers: nosniff, no framing, no referrer, a CSP that loads nothing, HSTS when configured', async () => {
    const res = await stack.api('GET', `/v1/orders/${orderId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses a body over the limit with a 413 problem that names the limit', async () => {
    const body = sampleOrder({ note: 'x'.repeat(BODY_LIMIT) });
    const res = await stack.api('POST', '/v1/orders', { body });
    expectProblem(res, 413);
    expect(res.body.detail).toContain(`${BODY_LIMIT} bytes`);
    expect(res.body.limitBytes).toBe(BODY_LIMIT);
  });

  it('answers a CORS preflight without a key and without running a handler; only allowed origins get CORS headers', async () => {
    const preflight = (origin: string, url = '/v1/orders') =>
      fetch(`${stack.apiUrl}${url}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    const allowed = await preflight(SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
    expect(await allowed.text()).toBe('');

    const other = await preflight('https://evil.example', `/v1/orders/${orderId}/cancel`);
    expect(other.status).toBe(204);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();

    // An ordinary request from the allowed origin may be read by its page; it still needs a key.
    const read = await stack.api('GET', `/v1/orders/${orderId}`, { headers: { origin: SHOP } });
    expect(read.headers.get('access-control-allow-origin')).toBe(SHOP);
    expectProblem(await stack.api('GET', `/v1/orders/${orderId}`, { key: null, headers: { origin: SHOP } }), 401);
  });

  it('limits each API key to its rate, answering 429 with Retry-After; other keys are not affected', async () => {
    let refused: ApiResponse | undefined;
    let accepted = 0;
    for (let i = 0; i < RATE_LIMIT + 5 && !refused; i++) {
      const res = await stack.api('GET', '/v1/fx-rates', { key: TEST_KEYS.finance });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        accepted++;
      }
    }
    expect(refused, 'a 429 within the limit and a few').toBeDefined();
    // The bucket earns a token back every 1.5 s: one more may slip in while the loop runs.
    expect(accepted).toBeGreaterThanOrEqual(RATE_LIMIT);
    expect(accepted).toBeLessThanOrEqual(RATE_LIMIT + 1);
    expectProblem(refused!, 429);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused!.body.limitPerMinute).toBe(RATE_LIMIT);
    // Another key's bucket is its own.
    expect((await stack.api('GET', `/v1/orders/${orderId}`, { key: TEST_KEYS.operator })).status).toBe(200);
  });

  it('serves Prometheus metrics to operators: requests by route and status, and orders by status as Postgres has them', async () => {
    expectProblem(await stack.api('GET', '/metrics', { key: null }), 401);
    expectProblem(await stack.api('GET', '/metrics', { key: TEST_KEYS.integrator }), 403);

    const scrape = async () => {
      const res = await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.admin}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return series(await res.text());
    };
    const first = await scrape();
    expect(first.get('orderflow_http_requests_total{method="POST",route="/v1/orders",status="201"}')).toBe(1);
    expect(first.get('orderflow_http_requests_total{method="POST",route="/v1/orders",status="413"}')).toBe(1);
    expect(first.get('orderflow_http_requests_total{method="GET",route="/v1/fx-rates",status="429"}')).toBe(1);
    expect(first.get('orderflow_http_requests_total{method="GET",route="/v1/orders/:id",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(first.get('orderflow_http_request_duration_seconds_count{method="POST",route="/v1/orders",status="201"}')).toBe(1);
    for (const name of ['orderflow_open_incidents', 'orderflow_notifications_pending', 'orderflow_webhook_deliveries_pending']) {
      expect(first.get(name), name).toBeGreaterThanOrEqual(0);
    }

    // The order moves on while we look: the gauges (cached a few seconds) meet Postgres once it rests.
    await waitFor(
      async () => {
        const metrics = await scrape();
        const rows = await stack.db.execute<{ status: string; n: number }>(sql`select status, count(*)::int as n from orders group by status`);
        const expected = [...(rows as unknown as { status: string; n: number }[])].map((r): [string, number] => [`orderflow_orders{status="${r.status}"}`, r.n]);
        const reported = [...metrics].filter(([k]) => k.startsWith('orderflow_orders{'));
        const norm = (pairs: [string, number][]) => JSON.stringify(pairs.sort(([a], [b]) => a.localeCompare(b)));
        return expected.length > 0 && norm(reported) === norm(expected) ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 1_000, message: 'orderflow_orders to match the orders table' },
    );
  });

  it('logs JSON lines, and a request about an order carries its orderId and workflowId', () => {
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(0);
    const placed = entries.find((e) => e.method === 'POST' && e.status === 201);
    expect(placed).toMatchObject({ component: 'http', route: '/v1/orders', orderId, workflowId: `order-${orderId}`, service: 'orderflow' });
    const read = entries.find((e) => e.method === 'GET' && e.route === '/v1/orders/:id');
    expect(read).toMatchObject({ orderId, workflowId: `order-${orderId}`, level: 30 });
    expect(typeof read!.durationMs).toBe('number');
    // Never a key in a log line.
    for (const key of Object.values(TEST_KEYS)) expect(logLines.join('\n')).not.toContain(key);
  });
});
