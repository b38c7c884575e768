import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';

// The customer's own look-up (issue 10): no API key, order number and contact in, status,
// timeline and tracking out — and nothing personal. A wrong contact and an unknown number
// answer alike; guessing is slowed per client address and per order number. Each test
// calls from an address of its own on the loopback network (127.0.0.x), so the buckets
// of one test do not empty another's.

const CUSTOMER = {
  name: 'Zebulon Quartermaine',
  email: 'Zeb.Quartermaine@Example.com',
  phone: '+49 30 9876543',
  address: { line1: 'Kastanienallee 77', city: 'Berlin', region: 'BE', postalCode: '10435', country: 'DE' },
};
/** What must never show in a look-up's answer. */
const PERSONAL = ['Zebulon', 'Quartermaine', 'quartermaine@example.com', '9876543', 'Kastanienallee', '10435'];

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

describe('POST /v1/lookup', () => {
  let stack: TestStack;
  let order: { id: string; number: string };
  let nextAddress = 10;
  /** A client address no other test uses. */
  const freshClient = () => `127.0.0.${nextAddress++}`;

  /** A look-up sent without any API key, from the given loopback address. */
  function lookup(body: unknown, from: string): Promise<Answer> {
    const url = new URL('/v1/lookup', stack.apiUrl);
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ customer: CUSTOMER }) });
    expect(created.status).toBe(201);
    const delivered = await waitForStatus(stack, created.body.id, 'delivered');
    order = { id: delivered.id, number: delivered.number };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers status, timeline and tracking to the e-mail on the order, with no key and nothing personal', async () => {
    const res = await lookup({ orderNumber: order.number.toLowerCase(), contact: '  zeb.quartermaine@example.COM ' }, freshClient());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orderNumber: order.number, status: 'delivered', statusText: 'Delivered' });
    expect(Object.keys(res.body).sort()).toEqual(['orderNumber', 'status', 'statusText', 'timeline', 'tracking']);

    const statuses = res.body.timeline.map((t: { status: string }) => t.status);
    expect(statuses[0]).toBe('received');
    expect(statuses).toEqual(expect.arrayContaining(['reserved', 'planned', 'dispatched', 'delivered']));
    expect(statuses).not.toContain('verifying');
    for (const step of res.body.timeline) expect(Object.keys(step).sort()).toEqual(['at', 'status', 'text']);

    expect(res.body.tracking.length).toBeGreaterThan(0);
    const parcel = res.body.tracking[0];
    expect(parcel).toMatchObject({ carrier: expect.any(String), trackingNumber: expect.any(String), status: 'delivered' });
    expect(parcel.lastEvent).toMatchObject({ status: 'delivered', at: expect.any(String) });
    expect(parcel).toHaveProperty('estimatedDelivery');

    for (const value of PERSONAL) expect(res.text.toLowerCase()).not.toContain(value.toLowerCase());
    for (const key of ['customer', 'name', 'email', 'phone', 'address', 'items', 'total', 'id']) expect(res.text).not.toContain(`"${key}"`);
    expect(res.text).not.toContain(order.id);
  });

  it('takes the phone on the order with or without the country code', async () => {
    const from = freshClient();
    for (const contact of ['030 987 6543', '+49 (30) 987-6543']) {
      const res = await lookup({ orderNumber: order.number, contact }, from);
      expect(res.status, contact).toBe(200);
      expect(res.body.orderNumber).toBe(order.number);
    }
  });

  it('answers a wrong contact and an unknown number identically', async () => {
    const wrong = await lookup({ orderNumber: order.number, contact: 'someone.else@example.com' }, freshClient());
    const unknown = await lookup({ orderNumber: 'OF-999999999', contact: 'someone.else@example.com' }, freshClient());
    const wrongPhone = await lookup({ orderNumber: 'OF-999999998', contact: '+49 30 9876543' }, freshClient());
    expect(wrong.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrongPhone.body).toEqual(unknown.body);
    expect(wrong.headers['content-type']).toBe(unknown.headers['content-type']);
    expect(wrong.text).toBe(unknown.text);
    for (const value of [...PERSONAL, order.id]) expect(wrong.text).not.toContain(value);
  });

  it('refuses a request without the contact, naming the field', async () => {
    const res = await lookup({ orderNumber: order.number }, freshClient());
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'contact' })]);
  });

  it('slows guessing for one order number, from whatever address, with 429 and Retry-After', async () => {
    const number = 'OF-888888888';
    for (let i = 0; i < 5; i++) expect((await lookup({ orderNumber: number, contact: `guess${i}@example.com` }, freshClient())).status).toBe(404);
    const refused = await lookup({ orderNumber: number, contact: 'guess5@example.com' }, freshClient());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  });

  it('slows guessing from one client address across numbers, with 429 and Retry-After', async () => {
    const from = freshClient();
    for (let i = 0; i < 10; i++) expect((await lookup({ orderNumber: `OF-77777770${i}`, contact: 'x@example.com' }, from)).status).toBe(404);
    const refused = await lookup({ orderNumber: 'OF-777777799', contact: 'x@example.com' }, from);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another client is not held back by this one.
    expect((await lookup({ orderNumber: 'OF-777777798', contact: 'x@example.com' }, freshClient())).status).toBe(404);
  });
});
