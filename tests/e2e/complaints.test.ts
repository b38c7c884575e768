import { randomUUID } from 'node:crypto';
import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { notifications } from '../../src/db/schema';
import { sampleOrder } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, TEST_TIME_SCALE, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Complaints and suggestions (R1.10) through the HTTP API on the real stack: tickets
// filed on an order and as suggestions, answered and resolved by operators, and one left
// unanswered past its (scaled, short) deadline until its workflow flags it and, later,
// escalates it and ends.

const DAY = 86_400_000;
/** 3 days at the test time scale: about 2.6 s; long enough for a test to answer in time. */
const WINDOW = '3d';
const WINDOW_MS = Math.round(3 * DAY * Number(TEST_TIME_SCALE));

describe('complaints and suggestions', () => {
  let stack: TestStack;
  let order: { id: string; number: string };

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_COMPLAINT_RESPONSE_WINDOW: WINDOW, ORDERFLOW_COMPLAINT_ESCALATION_WINDOW: WINDOW });
    await seedDemoCatalogue(stack.db);
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    order = { id: created.body.id, number: created.body.number };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const operator = { key: TEST_KEYS.operator };
  const complain = (orderRef: string, body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) =>
    stack.api('POST', `/v1/orders/${orderRef}/complaints`, { body, ...options });
  const suggest = (body: unknown, options: { key?: string } = {}) => stack.api('POST', '/v1/complaints', { body, ...options });
  const respond = (id: string, body: unknown, key = TEST_KEYS.operator) => stack.api('POST', `/v1/complaints/${id}/responses`, { body, key });
  const list = (query: string) => stack.api('GET', `/v1/complaints?${query}`, operator);
  const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((c) => c.id);
  const workflowResult = (id: string) => stack.running.client.workflow.getHandle(`complaint-${id}`).result();

  it('files a complaint on an order as an open ticket with a deadline, shown on the order', async () => {
    const res = await complain(order.id, { category: 'delivery', message: 'The box arrived dented', channel: 'phone' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/complaints/${res.body.id}`);
    expect(res.body).toMatchObject({
      kind: 'complaint',
      orderId: order.id,
      orderNumber: order.number,
      category: 'delivery',
      channel: 'phone',
      status: 'open',
      filedBy: 'integrator',
      respondedAt: null,
      resolvedAt: null,
      minutesToFirstResponse: null,
      workflowId: `complaint-${res.body.id}`,
    });
    const due = Date.parse(res.body.responseDueAt) - Date.parse(res.body.createdAt);
    expect(due).toBe(WINDOW_MS);

    // By number too; and the order shows it, without its workflow being told.
    const byNumber = await complain(order.number, { category: 'product_quality', message: 'One mug is chipped', channel: 'email' });
    expect(byNumber.status).toBe(201);
    const shown = await stack.api('GET', `/v1/orders/${order.id}`);
    expect(shown.body.complaints.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([res.body.id, byNumber.body.id]));
    expect(shown.body.complaints.find((c: { id: string }) => c.id === res.body.id)).toMatchObject({ category: 'delivery', status: 'open' });
  });

  it('files a suggestion about no order, and the same Idempotency-Key files it once', async () => {
    const body = { category: 'suggestion', message: 'Offer gift wrapping', channel: 'online' };
    const headers = { 'idempotency-key': `sugg-${randomUUID()}` };
    const first = await stack.api('POST', '/v1/complaints', { body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ kind: 'suggestion', orderId: null, orderNumber: null, status: 'open' });
    const again = await stack.api('POST', '/v1/complaints', { body, headers });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await stack.api('POST', '/v1/complaints', { body: { ...body, message: 'Something else' }, headers });
    expectProblem(other, 422);
    expect(fields(other)).toEqual(['header.Idempotency-Key']);
    const read = await stack.api('GET', `/v1/complaints/${first.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: first.body.id, responses: [] });
  });

  it('refuses what it cannot file or answer, naming the field, and lets only the right roles in', async () => {
    expectProblem(await complain(randomUUID(), { category: 'delivery', message: 'late', channel: 'phone' }), 404);
    expectProblem(await complain('OF-999999999', { category: 'delivery', message: 'late', channel: 'phone' }), 404);
    const badChannel = await complain(order.id, { category: 'delivery', message: 'late', channel: 'fax' });
    expectProblem(badChannel, 422);
    expect(fields(badChannel)).toEqual(['channel']);
    const bad = await suggest({ category: 'weather', message: '  ', channel: 'online', extra: 1 });
    expectProblem(bad, 422);
    expect(fields(bad).sort()).toEqual(['category', 'extra', 'message']);

    expectProblem(await respond(randomUUID(), { message: 'hello', by: 'Olga' }), 404);
    expectProblem(await respond('not-a-uuid', { message: 'hello', by: 'Olga' }), 404);
    expectProblem(await stack.api('GET', `/v1/complaints/${randomUUID()}`), 404);

    const filed = await suggest({ category: 'other', message: 'hello', channel: 'email' });
    const noBy = await respond(filed.body.id, { message: 'thanks' });
    expectProblem(noBy, 422);
    expect(fields(noBy)).toEqual(['by']);
    expectProblem(await respond(filed.body.id, { message: 'thanks', by: 'me' }, TEST_KEYS.integrator), 403);
    expectProblem(await stack.api('GET', '/v1/complaints'), 403);
    expectProblem(await stack.api('GET', '/v1/complaints', { key: TEST_KEYS.finance }), 403);
    expectProblem(await suggest({ category: 'other', message: 'hi', channel: 'email' }, { key: TEST_KEYS.carrier }), 403);
  });

  it('moves a ticket open → responded → resolved with its times, refuses answers after that, and its workflow ends', async () => {
    const filed = await complain(order.id, { category: 'billing', message: 'Charged twice', channel: 'in_person' }, operator);
    expect(filed.status).toBe(201);
    expect(filed.body.filedBy).toBe('operator');
    const id = filed.body.id as string;

    const first = await respond(id, { message: 'Looking into it', by: 'Olga' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ status: 'responded', resolvedAt: null, minutesToResolution: null, needsAttention: false });
    expect(first.body.respondedAt).toEqual(expect.any(String));
    expect(first.body.minutesToFirstResponse).toEqual(expect.any(Number));
    expect(first.body.responses).toEqual([{ message: 'Looking into it', by: 'Olga', resolves: false, at: first.body.respondedAt }]);

    const second = await respond(id, { message: 'Found the second charge', by: 'Olga' });
    expect(second.body.status).toBe('responded');
    expect(second.body.respondedAt).toBe(first.body.respondedAt);

    const resolved = await respond(id, { message: 'Refunded the duplicate charge', by: 'Max', resolve: true });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'Refunded the duplicate charge', respondedAt: first.body.respondedAt });
    expect(Date.parse(resolved.body.resolvedAt)).toBeGreaterThanOrEqual(Date.parse(resolved.body.respondedAt));
    expect(resolved.body.minutesToResolution).toBeGreaterThanOrEqual(resolved.body.minutesToFirstResponse);
    expect(resolved.body.responses.map((r: { resolves: boolean }) => r.resolves)).toEqual([false, false, true]);

    const late = await respond(id, { message: 'One more thing', by: 'Max' });
    expectProblem(late, 409);
    expect(late.body.ticketStatus).toBe('resolved');
    expect((await stack.api('GET', `/v1/complaints/${id}`)).body.responses).toHaveLength(3);

    // Resolved: its timer has nothing left to wait for.
    await expect(workflowResult(id)).resolves.toMatchObject({ status: 'resolved', escalated: false });
  });

  it('flags a ticket nobody answers in time for an operator, escalates it once more, and then ends', async () => {
    const filed = await complain(order.id, { category: 'service', message: 'Nobody called back', channel: 'phone' });
    const id = filed.body.id as string;
    const flagged = await waitFor(
      async () => {
        const res = await stack.api('GET', `/v1/complaints/${id}`, operator);
        return res.body.needsAttention ? res.body : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: 'the ticket to be flagged overdue' },
    );
    expect(flagged).toMatchObject({ status: 'open', overdue: true, needsAttention: true });
    const notices = () => stack.db.select().from(notifications).where(like(notifications.dedupeKey, `complaint:${id}:%`));
    const [overdue] = await notices();
    expect(overdue).toMatchObject({ orderId: order.id, channel: 'email', recipient: 'operators', template: 'complaint_overdue' });
    expect(overdue!.subject).toContain(order.number);
    expect(ids(await list('overdue=true'))).toContain(id);
    expect(ids(await list('needsAttention=true'))).toContain(id);
    expect(ids(await list('overdue=false'))).not.toContain(id);

    // Nobody resolves it either: one last escalation, and the timer ends (nothing waits forever).
    await expect(workflowResult(id)).resolves.toMatchObject({ status: 'open', overdue: true, escalated: true });
    expect((await notices()).map((n) => n.template).sort()).toEqual(['complaint_escalated', 'complaint_overdue']);

    // An answer still counts, and it is the attention the flag asked for; the ticket stays known as overdue.
    const late = await respond(id, { message: 'Sorry, calling now', by: 'Olga', resolve: true });
    expect(late.body).toMatchObject({ status: 'resolved', overdue: true, needsAttention: false });
  });

  it('lists tickets by status, category, channel, order, kind and time, newest first, a page at a time', async () => {
    const start = new Date().toISOString();
    const a = await complain(order.id, { category: 'product_quality', message: 'Tea tastes stale', channel: 'online' });
    const b = await suggest({ category: 'suggestion', message: 'Sell tea samplers', channel: 'in_person' });
    const c = await complain(order.id, { category: 'product_quality', message: 'Lid does not close', channel: 'email' });
    await respond(c.body.id, { message: 'Replacement on its way', by: 'Max', resolve: true });
    const mine = [a.body.id, b.body.id, c.body.id];

    const since = await list(`from=${encodeURIComponent(start)}`);
    expect(since.status).toBe(200);
    expect(ids(since)).toEqual([c.body.id, b.body.id, a.body.id]);
    expect(ids(await list(`from=${encodeURIComponent(start)}&category=product_quality`))).toEqual([c.body.id, a.body.id]);
    expect(ids(await list(`from=${encodeURIComponent(start)}&status=resolved`))).toEqual([c.body.id]);
    expect(ids(await list(`from=${encodeURIComponent(start)}&status=open,responded`))).toEqual([b.body.id, a.body.id]);
    expect(ids(await list(`from=${encodeURIComponent(start)}&channel=in_person,email`))).toEqual([c.body.id, b.body.id]);
    expect(ids(await list(`from=${encodeURIComponent(start)}&kind=suggestion`))).toEqual([b.body.id]);
    const onOrder = ids(await list(`orderId=${order.id}`));
    expect(onOrder).toEqual(expect.arrayContaining([a.body.id, c.body.id]));
    expect(onOrder).not.toContain(b.body.id);
    expect(ids(await list(`to=${encodeURIComponent(start)}`))).not.toContain(a.body.id);

    // A page at a time: every ticket once, none twice.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await list(`from=${encodeURIComponent(start)}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...ids(page));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([c.body.id, b.body.id, a.body.id]);
    expect(new Set(seen)).toEqual(new Set(mine));

    const badStatus = await list('status=closed');
    expectProblem(badStatus, 422);
    expect(fields(badStatus)).toEqual(['query.status.0']);
    const badCursor = await list('cursor=nonsense');
    expectProblem(badCursor, 422);
    expect(fields(badCursor)).toEqual(['query.cursor']);
    expectProblem(await list('from=yesterday'), 422);
  });

  it('is in the OpenAPI document with its roles', async () => {
    const doc = await stack.api('GET', '/openapi.json', { key: null });
    const paths = doc.body.paths;
    expect(paths['/v1/orders/{id}/complaints'].post['x-roles']).toEqual(['integrator', 'operator', 'admin']);
    expect(Object.keys(paths['/v1/complaints']).sort()).toEqual(['get', 'post']);
    expect(paths['/v1/complaints'].get['x-roles']).toEqual(['operator', 'admin']);
    expect(paths['/v1/complaints'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'category', 'channel', 'orderId', 'overdue', 'from', 'to', 'limit', 'cursor']),
    );
    expect(paths['/v1/complaints/{id}'].get).toBeDefined();
    expect(paths['/v1/complaints/{id}/responses'].post['x-roles']).toEqual(['operator', 'admin']);
  });
});
