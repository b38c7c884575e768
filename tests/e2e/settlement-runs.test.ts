import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlements } from '../../src/db/schema';
import { periodBounds, periodContaining, previousPeriod } from '../../src/domain/settlement-period';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.2, R6.3, R6.6–R6.9 through the HTTP API with everything real: agreements and the
// Schedule each gets, fx rates, settlement runs started by the Schedule or by finance
// (once per agreement and period), and finance's decisions on a run's discrepancies.

const FINANCE = TEST_KEYS.finance;
const ZONE = 'Europe/Berlin';
const lastMonth = () => previousPeriod(periodContaining('monthly', new Date(), ZONE));
const lastQuarter = () => previousPeriod(periodContaining('quarterly', new Date(), ZONE));

describe('agreements, fx rates and settlement runs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const terms = (overrides: Record<string, unknown> = {}) => ({
    counterparty: { kind: 'partner', id: `partner-${randomUUID()}` },
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: 5,
    settlementCurrency: 'EUR',
    timeZone: ZONE,
    ...overrides,
  });
  const post = (url: string, body: unknown, key: string | null = FINANCE) => stack.api('POST', url, { body, key });
  const get = (url: string, key: string | null = FINANCE) => stack.api('GET', url, { key });

  async function agreement(overrides: Record<string, unknown> = {}) {
    const res = await post('/v1/agreements', terms(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; counterparty: { kind: string; id: string }; schedule: { id: string } };
  }

  const settled = (id: string) =>
    waitFor(
      async () => {
        const res = await get(`/v1/settlements/${id}`);
        return res.status === 200 && res.body.status === 'settled' && res.body;
      },
      { timeoutMs: 20_000, message: `settlement ${id} settled` },
    );

  it('agreements: one per counterparty, the same terms again are the same agreement, other terms a conflict', async () => {
    const body = terms({ tolerance: 50 });
    const created = await post('/v1/agreements', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, id: expect.any(String), schedule: { id: `settlement-schedule-${created.body.id}` } });
    expect(created.headers.get('location')).toBe(`/v1/agreements/${created.body.id}`);

    const again = await post('/v1/agreements', body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);

    const other = await post('/v1/agreements', { ...body, cycle: 'quarterly' });
    expectProblem(other, 409);
    expect(fields(other)).toEqual(['counterparty']);

    const listed = await get(`/v1/agreements?counterpartyKind=partner&counterpartyId=${body.counterparty.id}`);
    expect(listed.body.data.map((a: { id: string }) => a.id)).toEqual([created.body.id]);
  });

  it('agreements: invalid terms name their fields; only finance (and admin) may call', async () => {
    const bad = await post('/v1/agreements', {
      counterparty: { kind: 'vendor', id: '' },
      method: 'barter',
      cycle: 'weekly',
      settlementDay: 29,
      settlementCurrency: 'XYZ',
      timeZone: 'Mars/Olympus_Mons',
      tolerance: -1,
    });
    expectProblem(bad, 422);
    expect(new Set(fields(bad))).toEqual(
      new Set(['counterparty.kind', 'counterparty.id', 'method', 'cycle', 'settlementDay', 'settlementCurrency', 'timeZone', 'tolerance']),
    );
    expect(fields(await post('/v1/agreements', terms({ settlementDay: 'first' })))).toEqual(['settlementDay']);

    expectProblem(await post('/v1/agreements', terms(), TEST_KEYS.integrator), 403);
    expectProblem(await post('/v1/agreements', terms(), TEST_KEYS.carrier), 403);
    expectProblem(await post('/v1/agreements', terms(), null), 401);
    expect((await post('/v1/agreements', terms(), TEST_KEYS.admin)).status).toBe(201);
    expectProblem(await get('/v1/agreements', TEST_KEYS.operator), 403);
    expectProblem(await get(`/v1/agreements/${randomUUID()}`), 404);
    expectProblem(await get('/v1/agreements/not-an-id'), 404);

    const paths = (await stack.api('GET', '/openapi.json', { key: null })).body.paths;
    expect(paths['/v1/agreements'].post['x-roles']).toEqual(['finance', 'admin']);
    for (const p of ['/v1/agreements/{id}', '/v1/fx-rates', '/v1/settlements', '/v1/settlements/{id}']) expect(paths[p]?.get, p).toBeDefined();
    expect(paths['/v1/settlements/{id}/discrepancies/{did}/resolution'].post.requestBody).toBeDefined();
    expect(paths['/v1/agreements/{id}/schedule/trigger'].post).toBeDefined();
  });

  it("an agreement's Schedule: its calendar in the agreement's time zone, catch-up window and overlap policy", async () => {
    const monthly = await agreement({ settlementDay: 5 });
    const described = await stack.running.client.schedule.getHandle(`settlement-schedule-${monthly.id}`).describe();
    expect(described.spec.timezone).toBe(ZONE);
    expect(described.spec.calendars).toHaveLength(1);
    expect(described.spec.calendars![0]).toMatchObject({
      dayOfMonth: [{ start: 5, end: 5, step: 1 }],
      hour: [{ start: 6, end: 6, step: 1 }],
      month: [{ start: 'JANUARY', end: 'JANUARY', step: 1 }, expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), expect.anything(), { start: 'DECEMBER', end: 'DECEMBER', step: 1 }],
    });
    expect(described.policies.overlap).toBe('BUFFER_ONE');
    expect(described.policies.catchupWindow).toBe(7 * 86_400_000);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'settlementLauncher', taskQueue: stack.config.temporal.taskQueues.finance });

    // GET shows the Schedule and when it fires next: the 5th, 06:00 in Berlin.
    const shown = await get(`/v1/agreements/${monthly.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.schedule).toMatchObject({ id: `settlement-schedule-${monthly.id}`, timeZone: ZONE, overlap: 'BUFFER_ONE' });
    const next = new Date(shown.body.schedule.nextRunTimes[0]);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, day: 'numeric', hour: 'numeric', hourCycle: 'h23' }).formatToParts(next);
    expect(local.find((p) => p.type === 'day')!.value).toBe('5');
    expect(local.find((p) => p.type === 'hour')!.value).toBe('06');

    // A quarterly one on the last day fires at the end of Jan/Apr/Jul/Oct only.
    const quarterly = await agreement({ cycle: 'quarterly', settlementDay: 'last' });
    const q = await stack.running.client.schedule.getHandle(`settlement-schedule-${quarterly.id}`).describe();
    const months = new Set(q.spec.calendars!.flatMap((c) => c.month.map((m) => m.start)));
    expect(months).toEqual(new Set(['JANUARY', 'APRIL', 'JULY', 'OCTOBER']));
  });

  it('triggering the Schedule settles the period just ended under settlement-{agreementId}-{period}', async () => {
    const a = await agreement();
    const fired = await post(`/v1/agreements/${a.id}/schedule/trigger`, {});
    expect(fired.status).toBe(202);
    const period = lastMonth();
    const id = `settlement-${a.id}-${period}`;
    await waitFor(
      async () => (await stack.running.client.workflow.getHandle(id).describe()).status.name === 'COMPLETED',
      { timeoutMs: 20_000, message: `${id} completed` },
    );
    // The launcher named the period from the Schedule's due time, not from when it ran.
    const schedule = await stack.running.client.schedule.getHandle(a.schedule.id).describe();
    const launch = await stack.running.client.workflow.getHandle(schedule.info.recentActions[0]!.action.workflow.workflowId).result();
    expect(launch).toMatchObject({ period, workflowId: id, started: true, dueFrom: 'schedule' });
    const run = await settled(id);
    const { start, end } = periodBounds(period, ZONE);
    expect(run).toMatchObject({ id, agreementId: a.id, period, periodStart: start.toISOString(), periodEnd: end.toISOString(), discrepancies: [] });
    expect((await get(`/v1/settlements?agreementId=${a.id}&status=settled`)).body.data.map((s: { id: string }) => s.id)).toEqual([id]);
    expectProblem(await post(`/v1/agreements/${a.id}/schedule/trigger`, {}, TEST_KEYS.integrator), 403);
  });

  it('POST /v1/settlements twice is one run under one id; a settled run is found, not run again', async () => {
    const a = await agreement({ cycle: 'quarterly', settlementDay: 'last' });
    const period = lastQuarter();
    const [first, second] = await Promise.all([post('/v1/settlements', { agreementId: a.id, period }), post('/v1/settlements', { agreementId: a.id, period })]);
    const id = `settlement-${a.id}-${period}`;
    for (const res of [first, second]) {
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id, url: `/v1/settlements/${id}`, period });
    }
    expect([first.body.started, second.body.started].sort()).toEqual([false, true]);
    await settled(id);
    const again = await post('/v1/settlements', { agreementId: a.id, period });
    expect(again.body).toMatchObject({ id, started: false });
    const runs = await waitFor(async () => (await stack.running.client.workflow.count(`WorkflowId = '${id}'`)).count || undefined, { message: 'the run listed' });
    expect(runs).toBe(1);
    expect(await stack.db.select().from(settlements).where(eq(settlements.agreementId, a.id))).toHaveLength(1);
  });

  it('POST /v1/settlements refuses what it cannot run, naming the field', async () => {
    const a = await agreement();
    const refused = async (body: unknown, field: string) => {
      const res = await post('/v1/settlements', body);
      expectProblem(res, 422);
      expect(fields(res)).toEqual([field]);
    };
    await refused({ agreementId: a.id, period: '2026-13' }, 'period');
    await refused({ agreementId: a.id, period: lastQuarter() }, 'period');
    await refused({ agreementId: a.id, period: periodContaining('monthly', new Date(), ZONE) }, 'period');
    await refused({ agreementId: randomUUID(), period: lastMonth() }, 'agreementId');
    await refused({ agreementId: 'nope', period: lastMonth() }, 'agreementId');
    expectProblem(await post('/v1/settlements', { agreementId: a.id, period: lastMonth() }, TEST_KEYS.operator), 403);
    expectProblem(await get('/v1/settlements/settlement-nothing-2026-01'), 404);
  });

  it("a run waits for finance's decision on a discrepancy, carries it out, and settles", async () => {
    const a = await agreement();
    const period = lastMonth();
    const { start } = periodBounds(period, ZONE);
    const day = new Date(start.getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    // Their statement shows a sale we never recorded.
    const statement = await post('/v1/statements', {
      agreementId: a.id,
      period,
      format: 'csv',
      content: `reference,kind,amount,currency,date\nOF-9999999,sale,12.30,EUR,${day}\n`,
    });
    expect(statement.status, JSON.stringify(statement.body)).toBe(201);
    const started = await post('/v1/settlements', { agreementId: a.id, period });
    const id = started.body.id as string;
    const waiting = await waitFor(
      async () => {
        const res = await get(`/v1/settlements/${id}`);
        return res.body.status === 'awaiting_decisions' && res.body;
      },
      { timeoutMs: 20_000, message: 'awaiting decisions' },
    );
    expect(waiting.discrepancies).toHaveLength(1);
    const d = waiting.discrepancies[0];
    expect(d).toMatchObject({ kind: 'missing_ours', reference: expect.stringContaining('OF-9999999'), status: 'open', likelyCause: expect.any(String) });
    const url = `/v1/settlements/${id}/discrepancies/${d.id}/resolution`;

    const bad = await post(url, { action: 'ignore', amount: 1.5 });
    expectProblem(bad, 422);
    expect(new Set(fields(bad))).toEqual(new Set(['action', 'amount', 'note']));
    expectProblem(await post(`/v1/settlements/${id}/discrepancies/${randomUUID()}/resolution`, { action: 'write_off', note: 'x' }), 404);
    expectProblem(await post(url, { action: 'write_off', note: 'x' }, TEST_KEYS.integrator), 403);

    const decided = await post(url, { action: 'write_off', note: 'their booking error, not worth chasing' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({ id: d.id, status: 'resolved', resolution: { action: 'write_off', note: 'their booking error, not worth chasing' } });
    expectProblem(await post(url, { action: 'adjust', note: 'again' }), 409);

    const done = await settled(id);
    expect(done.discrepancies).toEqual([expect.objectContaining({ id: d.id, status: 'resolved' })]);
    expect(done.summary).toMatchObject({ discrepancies: 1 });
  });

  it('fx rates: stored exactly, the same rate again is the same, another rate at the same moment a conflict', async () => {
    const asOf = new Date(Date.UTC(2026, 0, 1, 0, 0, Math.floor(Math.random() * 1e6))).toISOString();
    const body = { base: 'EUR', quote: 'CHF', rate: '0.9412500', source: 'ECB', asOf };
    const created = await post('/v1/fx-rates', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ base: 'EUR', quote: 'CHF', rate: '0.94125', source: 'ECB', asOf });
    const same = await post('/v1/fx-rates', { ...body, rate: '0.94125' });
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(created.body.id);
    const other = await post('/v1/fx-rates', { ...body, rate: '0.95' });
    expectProblem(other, 409);
    expect(fields(other)).toEqual(['rate']);

    await post('/v1/fx-rates', { ...body, quote: 'GBP', rate: '0.8612' });
    const listed = await get('/v1/fx-rates?base=EUR&quote=CHF');
    expect(listed.body.data.every((r: { quote: string }) => r.quote === 'CHF')).toBe(true);
    expect(listed.body.data.map((r: { id: number }) => r.id)).toContain(created.body.id);
  });

  it('fx rates: invalid ones name their fields; only finance may post', async () => {
    for (const rate of ['1,08', '-1', '0', '1e3', '1.0000000000001', '']) {
      const res = await post('/v1/fx-rates', { base: 'EUR', quote: 'USD', rate, source: 'ECB', asOf: '2026-01-01T00:00:00Z' });
      expectProblem(res, 422);
      expect(fields(res), rate).toEqual(['rate']);
    }
    const bad = await post('/v1/fx-rates', { base: 'EUR', quote: 'EUR', rate: '1', source: '', asOf: 'yesterday' });
    expect(new Set(fields(bad))).toEqual(new Set(['source', 'asOf', 'quote']));
    expect(fields(await post('/v1/fx-rates', { base: 'eur', quote: 'ABC', rate: '1', source: 'x', asOf: '2026-01-01T00:00:00Z' }))).toEqual(['base', 'quote']);
    expectProblem(await post('/v1/fx-rates', { base: 'EUR', quote: 'USD', rate: '1.1', source: 'x', asOf: '2026-01-01T00:00:00Z' }, TEST_KEYS.integrator), 403);
    expectProblem(await get('/v1/fx-rates', TEST_KEYS.carrier), 403);
  });
});
