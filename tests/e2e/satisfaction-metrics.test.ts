import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, feedback, incidents, orders, shipments, trackingEvents } from '../../src/db/schema';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// Satisfaction metrics (R5.5) through the running service. The rows are written here as
// the workflows would have left them, in a June of the past no other order is placed in,
// so every figure can be worked out by hand below and traced back to its orders.

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const WINDOW = 'from=2025-06-01&to=2025-06-30';

describe('GET /v1/metrics/satisfaction', () => {
  let stack: TestStack;
  const id = { a: randomUUID(), b: randomUUID(), c: randomUUID(), d: randomUUID() };
  const get = (query: string, key = TEST_KEYS.operator) => stack.api('GET', `/v1/metrics/satisfaction${query}`, { key });

  async function placeOrder(orderId: string, values: { channel: string; region: string; createdAt: string }) {
    await stack.db.insert(orders).values({
      id: orderId,
      channel: values.channel,
      customer: { name: 'Someone', email: 'someone@example.com', address: { line1: 'x', city: 'y', region: values.region, postalCode: '1', country: 'DE' } },
      customerId: `cust-${orderId}`,
      region: values.region,
      priority: 'normal',
      currency: 'EUR',
      subtotalAmount: 1000,
      totalAmount: 1000,
      settlementMethod: 'prepaid',
      status: 'completed',
      stage: 'settle',
      stateVersion: 10,
      workflowId: `order-${orderId}`,
      requestFingerprint: 'fixture',
      createdAt: at(values.createdAt),
    });
  }

  async function ship(orderId: string, values: Partial<typeof shipments.$inferInsert> & { carrier: string; warehouseCode: string; shipDate: string }) {
    const shipmentId = randomUUID();
    await stack.db.insert(shipments).values({
      id: shipmentId,
      orderId,
      sequence: 1,
      method: 'parcel',
      service: 'standard',
      status: 'delivered',
      costAmount: 500,
      costCurrency: 'EUR',
      packingList: { shipmentId, orderNumber: 'OF-0', warehouseCode: values.warehouseCode, lines: [], totalWeightGrams: 0, parcelCount: 1, checkedAgainstOrder: true },
      decision: {},
      bookingKey: `booking:${shipmentId}`,
      ...values,
    });
    return shipmentId;
  }

  const rate = (orderId: string, r: [number, number, number, number]) =>
    stack.db.insert(feedback).values({ orderId, channel: 'online', productQuality: r[0], serviceAttitude: r[1], deliveryPunctuality: r[2], resolutionEfficiency: r[3] });

  beforeAll(async () => {
    stack = await startTestStack();
    // A: web, BE, by speedy from BER-1 — dispatched and delivered on time; a 2 h incident.
    await placeOrder(id.a, { channel: 'web', region: 'BE', createdAt: '2025-06-01T09:00:00Z' });
    const sa = await ship(id.a, {
      carrier: 'speedy',
      warehouseCode: 'BER-1',
      shipDate: '2025-06-02',
      handedOverAt: at('2025-06-02T15:00:00Z'),
      promisedDeliveryDate: '2025-06-04',
      deliveredAt: at('2025-06-04T10:00:00Z'),
    });
    await rate(id.a, [5, 4, 5, 4]);
    await stack.db.insert(incidents).values({
      id: randomUUID(),
      orderId: id.a,
      kind: 'delay',
      status: 'resolved',
      reportedBy: 'carrier',
      shipmentIds: [sa],
      carrier: 'speedy',
      openedAt: at('2025-06-03T00:00:00Z'),
      resolvedAt: at('2025-06-03T02:00:00Z'),
    });

    // B: store, HH, by speedy from HAM-1 — handed over a day late, delivered (by the carrier's event only) a day late; a 6 h complaint.
    await placeOrder(id.b, { channel: 'store', region: 'HH', createdAt: '2025-06-01T10:00:00Z' });
    const sb = await ship(id.b, {
      carrier: 'speedy',
      warehouseCode: 'HAM-1',
      shipDate: '2025-06-02',
      handedOverAt: at('2025-06-03T09:00:00Z'),
      promisedDeliveryDate: '2025-06-05',
      trackingNumber: `TN-${id.b}`,
    });
    await stack.db.insert(trackingEvents).values({
      shipmentId: sb,
      orderId: id.b,
      carrier: 'speedy',
      carrierEventId: `ev-${sb}`,
      status: 'delivered',
      occurredAt: at('2025-06-06T08:00:00Z'),
    });
    await rate(id.b, [3, 2, 3, 2]);
    await stack.db.insert(complaints).values({
      id: randomUUID(),
      orderId: id.b,
      kind: 'complaint',
      category: 'delivery',
      channel: 'email',
      message: 'late',
      status: 'resolved',
      filedBy: 'operator',
      responseDueAt: at('2025-06-05T00:00:00Z'),
      createdAt: at('2025-06-04T00:00:00Z'),
      resolvedAt: at('2025-06-04T06:00:00Z'),
    });

    // C: web, BE, by slowpost from BER-1 — all on time, no rating, an incident still open.
    await placeOrder(id.c, { channel: 'web', region: 'BE', createdAt: '2025-06-09T10:00:00Z' });
    const sc = await ship(id.c, {
      carrier: 'slowpost',
      warehouseCode: 'BER-1',
      shipDate: '2025-06-10',
      handedOverAt: at('2025-06-10T08:00:00Z'),
      promisedDeliveryDate: '2025-06-12',
      deliveredAt: at('2025-06-11T12:00:00Z'),
    });
    await stack.db.insert(incidents).values({
      id: randomUUID(),
      orderId: id.c,
      kind: 'damaged',
      status: 'open',
      reportedBy: 'customer',
      shipmentIds: [sc],
      carrier: 'slowpost',
      openedAt: at('2025-06-12T00:00:00Z'),
    });

    // D: placed in July, outside the window: its poor rating is not June's.
    await placeOrder(id.d, { channel: 'web', region: 'BE', createdAt: '2025-07-05T10:00:00Z' });
    await ship(id.d, { carrier: 'speedy', warehouseCode: 'BER-1', shipDate: '2025-07-06', handedOverAt: at('2025-07-09T10:00:00Z') });
    await rate(id.d, [1, 1, 1, 1]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('gives per carrier the mean rating per dimension, on-time rates and resolution times worked out by hand', async () => {
    const res = await get(`?${WINDOW}&groupBy=carrier`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ groupBy: 'carrier', from: '2025-06-01', to: '2025-06-30', improvements: '/v1/improvements' });
    expect(res.body.groups.map((g: { key: string }) => g.key)).toEqual(['slowpost', 'speedy']);
    const [slowpost, speedy] = res.body.groups;

    expect(speedy).toMatchObject({
      key: 'speedy',
      orders: 2,
      ratings: {
        productQuality: { mean: 4, count: 2 },
        serviceAttitude: { mean: 3, count: 2 },
        deliveryPunctuality: { mean: 4, count: 2 },
        resolutionEfficiency: { mean: 3, count: 2 },
      },
      onTimeDelivery: { rate: 0.5, onTime: 1, due: 2 },
      dispatchOnTime: { rate: 0.5, onTime: 1, due: 2 },
      // 2 h and 6 h: the median is their mean, p90 the nearest rank (the 2nd of 2).
      resolution: { count: 2, medianMs: 4 * HOUR, p90Ms: 6 * HOUR, unresolved: 0, incidents: { count: 1, medianMs: 2 * HOUR }, complaints: { count: 1, medianMs: 6 * HOUR } },
    });
    expect(slowpost).toMatchObject({
      orders: 1,
      ratings: { productQuality: { mean: null, count: 0 } },
      onTimeDelivery: { rate: 1, onTime: 1, due: 1 },
      dispatchOnTime: { rate: 1, onTime: 1, due: 1 },
      resolution: { count: 0, medianMs: null, p90Ms: null, unresolved: 1 },
    });
  });

  it('traces every figure of a group to its orders', async () => {
    const res = await get(`?${WINDOW}&groupBy=carrier`);
    const speedy = res.body.groups.find((g: { key: string }) => g.key === 'speedy');
    const drill = await stack.api('GET', speedy.orderIds, { key: TEST_KEYS.finance });
    expect(drill.status).toBe(200);
    const both = [id.a, id.b].sort();
    expect(drill.body).toEqual({
      groupBy: 'carrier',
      group: 'speedy',
      from: '2025-06-01',
      to: '2025-06-30',
      orders: {
        ratings: both,
        onTimeDelivery: { onTime: [id.a], late: [id.b] },
        dispatchOnTime: { onTime: [id.a], late: [id.b] },
        resolution: { resolved: both, unresolved: [] },
      },
    });
    expect(JSON.stringify(drill.body)).not.toContain(id.d);

    const slow = await get(`/orders?${WINDOW}&groupBy=carrier&group=slowpost`);
    expect(slow.body.orders).toMatchObject({ ratings: [], onTimeDelivery: { onTime: [id.c], late: [] }, resolution: { resolved: [], unresolved: [id.c] } });
    expect((await get(`/orders?${WINDOW}&groupBy=carrier&group=nobody`)).status).toBe(404);
  });

  it('groups by region, channel and warehouse', async () => {
    const keys = async (groupBy: string) => {
      const res = await get(`?${WINDOW}&groupBy=${groupBy}`);
      expect(res.status).toBe(200);
      return Object.fromEntries(res.body.groups.map((g: { key: string; orders: number; onTimeDelivery: { rate: number } }) => [g.key, [g.orders, g.onTimeDelivery.rate]]));
    };
    expect(await keys('region')).toEqual({ BE: [2, 1], HH: [1, 0] });
    expect(await keys('channel')).toEqual({ store: [1, 0], web: [2, 1] });
    expect(await keys('warehouse')).toEqual({ 'BER-1': [2, 1], 'HAM-1': [1, 0] });

    const region = await get(`?${WINDOW}&groupBy=region`);
    const be = region.body.groups.find((g: { key: string }) => g.key === 'BE');
    expect(be.ratings.productQuality).toEqual({ mean: 5, count: 1 });
    expect(be.resolution).toMatchObject({ count: 1, medianMs: 2 * HOUR, unresolved: 1 });
  });

  it('refuses an unknown grouping, naming groupBy, and readers other than operators, finance and admin', async () => {
    const bad = await get(`?${WINDOW}&groupBy=colour`);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.groupBy' })]);
    expect((await get(`?from=2025-06-30&to=2025-06-01`)).status).toBe(422);
    expect((await get(`?${WINDOW}`, TEST_KEYS.integrator)).status).toBe(403);
    expect((await get(`?${WINDOW}`, TEST_KEYS.admin)).status).toBe(200);
  });
});
