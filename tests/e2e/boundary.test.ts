import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor } from '../../src/intake/order-identity';
import type { CreateOrderBody } from '../../src/api/schemas';
import { seedDemoCatalogue } from '../../src/db/seed';
import { orders } from '../../src/db/schema';
import { sampleOrder, workflowExists } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// What an attacker tries at the HTTP boundary (issue 6, section 3): text Postgres cannot
// store, times outside its range, ids in another case. Each is a clear 4xx naming the
// field, and nothing is stored or started.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';


const idOf = (externalId: string) => orderIdFor({ externalId, channel: 'web' } as CreateOrderBody, undefined, '');

describe('text Postgres cannot store', () => {
  it('refuses a NUL or a lone surrogate anywhere in an order with a 422 naming the field, and starts no workflow', async () => {
    const base = sampleOrder();
    const cases: { name: string; body: Record<string, unknown>; field: string }[] = [
      { name: 'NUL in the name', body: { customer: { ...base.customer, name: `Ada${NUL}Lovelace` } }, field: 'customer.name' },
      {
        name: 'lone surrogate in the city',
        body: { customer: { ...base.customer, address: { ...base.customer.address, city: `Berlin${LONE_SURROGATE}` } } },
        field: 'customer.address.city',
      },
      { name: 'NUL in an item name', body: { items: [{ sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1290, name: `tea${NUL}` }] }, field: 'items.0.name' },
      { name: 'lone low surrogate in the e-mail', body: { customer: { ...base.customer, email: `ada\udc00@example.com` } }, field: 'customer.email' },
    ];
    for (const c of cases) {
      const externalId = `text-${randomUUID()}`;
      const res = await stack.api('POST', '/v1/orders', { body: sampleOrder({ externalId, ...c.body }) });
      expectProblem(res, 422);
      expect(fields(res), c.name).toContain(c.field);
      expect(await workflowExists(stack, idOf(externalId)), c.name).toBe(false);
      expect(await stack.db.select().from(orders).where(eq(orders.id, idOf(externalId))), c.name).toEqual([]);
    }
  });

  it('refuses such text in a filter, a cursor and a path segment with a 422 naming it', async () => {
    const filter = await stack.api('GET', `/v1/orders?customerId=${encodeURIComponent(`ada${NUL}`)}`);
    expectProblem(filter, 422);
    expect(fields(filter)).toContain('query.customerId');

    const sku = await stack.api('GET', `/v1/inventory?sku=${encodeURIComponent(NUL)}`);
    expectProblem(sku, 422);
    expect(fields(sku)).toContain('query.sku');

    // A cursor is opaque, but one made up by a caller may still carry a NUL inside.
    const forged = Buffer.from(JSON.stringify([`TEA${NUL}`])).toString('base64url');
    const cursor = await stack.api('GET', `/v1/products?cursor=${forged}`, { key: TEST_KEYS.operator });
    expectProblem(cursor, 422);
    expect(fields(cursor)).toContain('query.cursor');

    const path = await stack.api('GET', `/v1/orders/${encodeURIComponent(`OF-1${NUL}`)}`);
    expectProblem(path, 422);
    expect(fields(path)).toContain('path.id');

    const message = await stack.api('POST', `/v1/orders/${randomUUID()}${encodeURIComponent(NUL)}/cancel`, { body: { reason: 'x' } });
    expectProblem(message, 422);
    expect(fields(message)).toContain('path.id');

    const reason = await stack.api('POST', `/v1/orders/${randomUUID()}/cancel`, { body: { reason: `changed my mind${NUL}` } });
    expectProblem(reason, 422);
    expect(fields(reason)).toContain('reason');
  });
});

describe('times at the edges of the year range', () => {
  it('refuses createdFrom/createdTo that Postgres cannot hold with a 422 naming the field', async () => {
    const from = await stack.api('GET', `/v1/orders?createdFrom=${encodeURIComponent('0000-01-01T00:00:00Z')}`);
    expectProblem(from, 422);
    expect(fields(from)).toContain('query.createdFrom');

    const to = await stack.api('GET', `/v1/orders?createdTo=${encodeURIComponent('9999-12-31T23:59:59-01:00')}`);
    expectProblem(to, 422);
    expect(fields(to)).toContain('query.createdTo');

    // The last instant Postgres can hold, and an ordinary range, are fine.
    const edge = await stack.api('GET', `/v1/orders?createdFrom=${encodeURIComponent('2020-01-01T00:00:00Z')}&createdTo=${encodeURIComponent('9999-12-31T23:59:59Z')}`);
    expect(edge.status).toBe(200);
  });

  it('refuses an order whose requested delivery date Postgres cannot hold, and starts no workflow', async () => {
    for (const requestedDeliveryBy of ['9999-12-31T23:59:59-01:00', '0000-01-01']) {
      const externalId = `year-${randomUUID()}`;
      const res = await stack.api('POST', '/v1/orders', { body: sampleOrder({ externalId, requestedDeliveryBy }) });
      expectProblem(res, 422);
      expect(fields(res)).toContain('requestedDeliveryBy');
      expect(await workflowExists(stack, idOf(externalId))).toBe(false);
    }
  });
});

describe('order ids in upper case', () => {
  it('reads and messages an order by its id in upper case as by the id itself', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1 }] }) });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('needs_correction');
    const id: string = created.body.id;
    const ID = id.toUpperCase();
    expect(ID).not.toBe(id);

    const read = await stack.api('GET', `/v1/orders/${ID}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, status: 'needs_correction' });
    const tracking = await stack.api('GET', `/v1/orders/${ID}/tracking`);
    expect(tracking.status).toBe(200);
    expect(tracking.body.orderId).toBe(id);

    const cancelled = await stack.api('POST', `/v1/orders/${ID}/cancel`, { body: { reason: 'typed the id in capitals' } });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    expect(cancelled.headers.get('location')).toBe(`/v1/orders/${id}`);

    // An order number works in any case too.
    const byNumber = await stack.api('GET', `/v1/orders/${String(read.body.number).toLowerCase()}`);
    expect(byNumber.status).toBe(200);
    expect(byNumber.body.id).toBe(id);
  });
});
