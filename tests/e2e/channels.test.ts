import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { orders } from '../../src/db/schema';
import { waitForStatus } from '../helpers/orders';
import { deliveryAddress, marketplaceOrder, travelBooking } from '../helpers/partner-payloads';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// Partner channels (R1.1) over HTTP against the real API, workers, Temporal and database:
// each adapter's payload becomes an order the workflow verifies; an unknown partner, a
// payload that does not map and a repeat are answered as the README says; orders are
// filtered by partner; operators keep the marketplace's SKU aliases.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const PAST_VERIFY = ['reserved', 'planned', 'awaiting_payment', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered', 'signed_off'];

const placeFrom = (partner: string, body: unknown, key: string = TEST_KEYS.integrator) => stack.api('POST', `/v1/channels/${partner}/orders`, { body, key });

async function rowsWith(partner: string, externalId: string) {
  return stack.db
    .select()
    .from(orders)
    .where(and(eq(orders.partner, partner), eq(orders.externalId, externalId)));
}

async function orderCount(): Promise<number> {
  const [row] = await stack.db.select({ n: sql<number>`count(*)::int` }).from(orders);
  return row!.n;
}

describe('POST /v1/channels/{partner}/orders', () => {
  it("takes a marketplace feed: its aliases, gross prices and flat ship-to become an order the workflow verifies and carries on", async () => {
    const id = unique('MP');
    const res = await placeFrom('marketplace', marketplaceOrder({ order_id: id }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      externalId: id,
      channel: 'marketplace',
      partner: 'marketplace',
      priority: 'high',
      verification: { passed: true, reasons: [] },
      customer: { name: 'Grace Hopper', address: { line1: 'Friedrichstraße 43', postalCode: '10117', country: 'DE' } },
      total: { amount: 2 * 1290 + 1850, currency: 'EUR' },
    });
    expect(res.body.items.map((i: { sku: string; unitPrice: number }) => [i.sku, i.unitPrice])).toEqual([
      ['TEA-OOLONG-100', 1290],
      ['MUG-STONE-350', 1850],
    ]);
    expect(res.headers.get('location')).toBe(`/v1/orders/${res.body.id}`);
    await waitForStatus(stack, res.body.id, PAST_VERIFY);
  });

  it('takes a travel agency booking: the lead passenger is the customer, every passenger’s extras are lines, delivery before departure', async () => {
    const reference = unique('TRV');
    const res = await placeFrom('travel-agency', travelBooking({ reference }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      externalId: reference,
      channel: 'partner',
      partner: 'travel-agency',
      verification: { passed: true },
      customer: { name: 'Ada Lovelace', email: 'lead@example.com', address: { line1: 'Jungfernstieg 7', city: 'Hamburg' } },
      total: { amount: 1290 + 2 * 1850, currency: 'EUR' },
    });
    const [row] = await rowsWith('travel-agency', reference);
    expect(row!.requestedDeliveryBy?.toISOString()).toBe('2099-06-01T00:00:00.000Z');
    await waitForStatus(stack, res.body.id, PAST_VERIFY);
  });

  it('never makes two orders of one partner order: a repeat, even at once, answers 200 with the same order', async () => {
    const id = unique('MP');
    const body = marketplaceOrder({ order_id: id });
    const [a, b] = await Promise.all([placeFrom('marketplace', body), placeFrom('marketplace', body)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.id).toBe(b.body.id);
    const again = await placeFrom('marketplace', body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(a.body.id);
    expect(await rowsWith('marketplace', id)).toHaveLength(1);

    // The same id with other content is a conflict named in the partner's field.
    const changed = await placeFrom('marketplace', { ...body, ship_to_street1: 'Chausseestraße 1' });
    expectProblem(changed, 409);
    expect(fields(changed)).toEqual(['order_id']);
    expect(changed.body.orderId).toBe(a.body.id);
    expect(await rowsWith('marketplace', id)).toHaveLength(1);
  });

  it('refuses an unknown partner with a 404', async () => {
    const before = await orderCount();
    const res = await placeFrom('nobody-we-know', marketplaceOrder());
    expectProblem(res, 404);
    expect(res.body.detail).toMatch(/no partner channel "nobody-we-know"; known: marketplace, travel-agency/);
    expect(await orderCount()).toBe(before);
  });

  it("refuses a payload that does not map with a 422 naming the partner's own fields, and places nothing", async () => {
    const before = await orderCount();
    const items = [
      { marketplace_sku: 'MKT-OOLONG-TIN', quantity: 1, item_price_gross: '15.35', tax_rate: '19' },
      { marketplace_sku: 'MKT-MUG-SLATE', quantity: 1, item_price_gross: '22.02', tax_rate: '19' },
      { marketplace_sku: 'MKT-UNHEARD-OF', quantity: 1, item_price_gross: '9.99', tax_rate: '19' },
    ];
    const unknownAlias = await placeFrom('marketplace', marketplaceOrder({ order_id: unique('MP'), items }));
    expectProblem(unknownAlias, 422);
    expect(unknownAlias.body).toMatchObject({ partner: 'marketplace', errors: [{ field: 'items[2].marketplace_sku', message: 'unknown SKU alias "MKT-UNHEARD-OF"' }] });
    expect(unknownAlias.body.detail).toContain('items[2].marketplace_sku: unknown SKU alias');

    const { ship_to_zip: _zip, ...noZip } = marketplaceOrder({ order_id: unique('MP') });
    const malformed = await placeFrom('marketplace', noZip);
    expectProblem(malformed, 422);
    expect(fields(malformed)).toEqual(['ship_to_zip']);

    const twoAddresses = travelBooking({ reference: unique('TRV') });
    twoAddresses.booking.passengers[1] = { ...twoAddresses.booking.passengers[1]!, deliver_to: deliveryAddress('Reeperbahn 1') } as never;
    const refused = await placeFrom('travel-agency', twoAddresses);
    expectProblem(refused, 422);
    expect(fields(refused)).toEqual(['booking.passengers[1].deliver_to']);
    expect(refused.body.errors[0].message).toMatch(/delivered to one address.*2 different addresses in one booking/);

    expect(await orderCount()).toBe(before);
  });

  it('is for integrators (and admins)', async () => {
    const operator = await placeFrom('marketplace', marketplaceOrder({ order_id: unique('MP') }), TEST_KEYS.operator);
    expectProblem(operator, 403);
    const admin = await placeFrom('travel-agency', travelBooking({ reference: unique('TRV') }), TEST_KEYS.admin);
    expect(admin.status, JSON.stringify(admin.body)).toBe(201);
    expectProblem(await stack.api('POST', '/v1/channels/marketplace/orders', { body: marketplaceOrder(), key: null }), 401);
  });
});

describe('orders by partner', () => {
  it('GET /v1/orders?partner= lists only that partner’s orders', async () => {
    const mine = await placeFrom('travel-agency', travelBooking({ reference: unique('TRV') }));
    expect(mine.status).toBe(201);
    const travel = await stack.api('GET', '/v1/orders?partner=travel-agency&limit=200');
    expect(travel.status).toBe(200);
    expect(travel.body.data.length).toBeGreaterThan(0);
    expect(travel.body.data.every((o: { partner: string; channel: string }) => o.partner === 'travel-agency' && o.channel === 'partner')).toBe(true);
    expect(travel.body.data.map((o: { id: string }) => o.id)).toContain(mine.body.id);

    const market = await stack.api('GET', '/v1/orders?partner=marketplace&limit=200');
    expect(market.body.data.length).toBeGreaterThan(0);
    expect(market.body.data.every((o: { partner: string }) => o.partner === 'marketplace')).toBe(true);
    expect((await stack.api('GET', '/v1/orders?partner=nobody')).body.data).toEqual([]);
  });
});

describe('the marketplace SKU aliases', () => {
  it('are seeded, kept by operators, and map the next order', async () => {
    const seeded = await stack.api('GET', '/v1/channels/marketplace/sku-aliases', { key: TEST_KEYS.operator });
    expect(seeded.status).toBe(200);
    expect(seeded.body.aliases).toContainEqual({ alias: 'MKT-OOLONG-TIN', sku: 'TEA-OOLONG-100' });

    const aliases = [...seeded.body.aliases, { alias: 'MKT-HONEY-JAR', sku: 'HONEY-ACACIA-500' }];
    const put = await stack.api('PUT', '/v1/channels/marketplace/sku-aliases', { body: { aliases }, key: TEST_KEYS.operator });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.aliases).toContainEqual({ alias: 'MKT-HONEY-JAR', sku: 'HONEY-ACACIA-500' });

    // 9.90 net at 7 %: the marketplace quotes 10.59.
    const honey = await placeFrom(
      'marketplace',
      marketplaceOrder({ order_id: unique('MP'), items: [{ marketplace_sku: 'MKT-HONEY-JAR', quantity: 3, item_price_gross: '10.59', tax_rate: '7' }] }),
    );
    expect(honey.status, JSON.stringify(honey.body)).toBe(201);
    expect(honey.body).toMatchObject({ verification: { passed: true }, items: [{ sku: 'HONEY-ACACIA-500', quantity: 3, unitPrice: 990 }] });

    const unknownSku = await stack.api('PUT', '/v1/channels/marketplace/sku-aliases', {
      body: { aliases: [...aliases, { alias: 'MKT-GHOST', sku: 'NO-SUCH-SKU' }] },
      key: TEST_KEYS.operator,
    });
    expectProblem(unknownSku, 422);
    expect(fields(unknownSku)).toEqual([`aliases.${aliases.length}.sku`]);
    expect((await stack.api('GET', '/v1/channels/marketplace/sku-aliases')).body.aliases).toHaveLength(aliases.length);

    expectProblem(await stack.api('PUT', '/v1/channels/marketplace/sku-aliases', { body: { aliases }, key: TEST_KEYS.integrator }), 403);
    expectProblem(await stack.api('GET', '/v1/channels/travel-agency/sku-aliases'), 404);
  });
});

describe('the OpenAPI document', () => {
  it('has the channel routes with their roles, and the partner filter', async () => {
    const paths = (await stack.api('GET', '/openapi.json', { key: null })).body.paths;
    expect(paths['/v1/channels/{partner}/orders'].post['x-roles']).toEqual(['integrator', 'admin']);
    expect(paths['/v1/channels/{partner}/orders'].post.requestBody.content['application/json'].schema.description).toMatch(/marketplace, travel-agency/);
    expect(paths['/v1/channels/{partner}/sku-aliases'].put['x-roles']).toEqual(['operator', 'admin']);
    expect(paths['/v1/orders'].get.parameters.map((p: { name: string }) => p.name)).toContain('partner');
  });
});
