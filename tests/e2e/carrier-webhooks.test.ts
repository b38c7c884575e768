import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, carrierWebhookSecret, signWebhook } from '../../src/carriers/webhook-signature';
import { seedDemoCatalogue } from '../../src/db/seed';
import { sandboxEvents } from '../../src/db/sandbox-schema';
import { trackingEvents } from '../../src/db/schema';
import { FEEDBACK, SIGN_OFF, isSubsequence, sampleOrder, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { startTestStack, type ApiResponse, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Carrier webhooks (R4.5, R4.7): only correctly signed events get in; events that come
// twice or out of order never move an order backwards, and each is kept once; when the
// webhooks never arrive, the order learns the same from polling the carrier's API.

interface Shipment {
  id: string;
  carrier: string;
  trackingNumber: string;
}

type TrackingStatus = 'label_created' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';

/** How far along its life an order is, from dispatch on; earlier statuses rank lowest. */
const LATER_LIFE = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered', 'signed_off', 'awaiting_feedback', 'settling', 'completed'];
const rank = (status: string) => LATER_LIFE.indexOf(status);

function trackingEvent(shipment: Shipment, status: TrackingStatus, eventId: string, minutesFromNow = 0) {
  return {
    eventId,
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    reference: shipment.id,
    status,
    occurredAt: new Date(Date.now() + minutesFromNow * 60_000).toISOString(),
    location: 'Test hub',
    description: `test event: ${status}`,
  };
}

/** The secret a carrier signs its webhooks with (the sandbox's, derived per carrier). */
function secretOf(stack: TestStack, carrier: string): string {
  const secret = carrierWebhookSecret(stack.config.carriers.webhookSecrets, carrier);
  if (!secret) throw new Error(`no webhook secret for ${carrier}`);
  return secret;
}

async function postWebhook(
  stack: TestStack,
  carrier: string,
  raw: string,
  signature: string | null = signWebhook(secretOf(stack, carrier), raw),
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  return stack.api('POST', `/v1/carriers/${encodeURIComponent(carrier)}/webhooks`, { raw, key: null, headers });
}

const send = (stack: TestStack, event: ReturnType<typeof trackingEvent>) => postWebhook(stack, event.carrier, JSON.stringify(event));

async function storedEventIds(stack: TestStack, orderId: string): Promise<string[]> {
  const rows = await stack.db
    .select({ eventId: trackingEvents.carrierEventId })
    .from(trackingEvents)
    .where(eq(trackingEvents.orderId, orderId));
  return rows.map((r) => r.eventId);
}

async function waitForStored(stack: TestStack, orderId: string, eventId: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (await storedEventIds(stack, orderId)).includes(eventId), {
    timeoutMs,
    message: `tracking event ${eventId} to be stored for order ${orderId}`,
  });
}

/** Follows an order's status by polling the API, keeping every status it was seen in. */
function watchStatuses(stack: TestStack, orderId: string) {
  const seen: string[] = [];
  let watching = true;
  const loop = (async () => {
    while (watching) {
      const { status, body } = await stack.api('GET', `/v1/orders/${orderId}`);
      if (status === 200 && seen.at(-1) !== body.status) seen.push(body.status);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  })();
  return {
    seen,
    async stop() {
      watching = false;
      await loop;
      return seen;
    },
  };
}

async function dispatchedOrder(stack: TestStack): Promise<{ id: string; shipment: Shipment }> {
  const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
  expect(created.status).toBe(201);
  const order = await waitForStatus(stack, created.body.id, 'dispatched');
  expect(order.shipments).toHaveLength(1);
  const [s] = order.shipments;
  expect(s.trackingNumber).toBeTruthy();
  // The sandbox pushes label_created at booking; once it is in, the carrier stays quiet
  // for minutes, and what the order learns next comes from the test.
  await waitForStored(stack, order.id, `${s.trackingNumber}-01`);
  return { id: order.id, shipment: { id: s.id, carrier: s.carrier, trackingNumber: s.trackingNumber } };
}

describe('webhooks from a slow carrier', () => {
  // At this scale the sandbox's own in_transit comes ~3.6 minutes after booking: the
  // events these tests send are the only news the orders get.
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_TIME_SCALE: '0.01' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('refuses unsigned, wrongly signed, stale and tampered webhooks, and records none of them', async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const secret = secretOf(stack, shipment.carrier);
    const before = await storedEventIds(stack, id);

    const forged = (name: string) => trackingEvent(shipment, 'in_transit', `forged-${name}-${randomUUID()}`);
    const wrongSecret = JSON.stringify(forged('secret'));
    const unsigned = JSON.stringify(forged('unsigned'));
    const stale = JSON.stringify(forged('stale'));
    const original = forged('tampered');
    const tampered = JSON.stringify({ ...original, status: 'delivered' });
    const garbled = JSON.stringify(forged('garbled'));
    const attempts: [string, ApiResponse][] = [
      ['wrong secret', await postWebhook(stack, shipment.carrier, wrongSecret, signWebhook('not-the-carrier-secret-at-all', wrongSecret))],
      ['no signature', await postWebhook(stack, shipment.carrier, unsigned, null)],
      ['stale timestamp', await postWebhook(stack, shipment.carrier, stale, signWebhook(secret, stale, Math.floor(Date.now() / 1000) - 3600))],
      ['tampered body', await postWebhook(stack, shipment.carrier, tampered, signWebhook(secret, JSON.stringify(original)))],
      ['garbled header', await postWebhook(stack, shipment.carrier, garbled, 'not a signature')],
    ];
    for (const [what, res] of attempts) {
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, errors: [{ field: `header.${SIGNATURE_HEADER}` }] });
    }

    // A correctly signed event after them goes all the way to the database; the refused
    // ones, sent earlier, left no trace.
    const marker = trackingEvent(shipment, 'label_created', `marker-${randomUUID()}`);
    const accepted = await send(stack, marker);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ accepted: true, orderId: id, eventId: marker.eventId });
    await waitForStored(stack, id, marker.eventId);
    expect((await storedEventIds(stack, id)).sort()).toEqual([...before, marker.eventId].sort());
    const order = await stack.api('GET', `/v1/orders/${id}`);
    expect(order.body.status).toBe('dispatched');
    expect(order.body.shipments[0].status).toBe('label_created');
  });

  it('answers 404 for an unknown shipment and 422 for a wrong carrier or an invalid event', async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const before = await storedEventIds(stack, id);

    const unknown = { ...trackingEvent(shipment, 'in_transit', `unknown-${randomUUID()}`), trackingNumber: 'SWS000000000000', reference: 'no-such-shipment' };
    const notFound = await postWebhook(stack, shipment.carrier, JSON.stringify(unknown));
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const otherCarrier = shipment.carrier === 'swiftship' ? 'terraline' : 'swiftship';
    const mismatch = await postWebhook(stack, otherCarrier, JSON.stringify(trackingEvent(shipment, 'in_transit', `mismatch-${randomUUID()}`)));
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.errors.map((e: { field: string }) => e.field)).toContain('carrier');

    const { occurredAt: _dropped, ...noTime } = { ...trackingEvent(shipment, 'in_transit', `invalid-${randomUUID()}`), status: 'teleported' };
    void _dropped;
    const invalid = await postWebhook(stack, shipment.carrier, JSON.stringify(noTime));
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['status', 'occurredAt']));

    const notJson = await postWebhook(stack, shipment.carrier, '{"eventId": ');
    expect(notJson.status).toBe(400);

    // None of them reached the order (a signed marker flushes the path first).
    const marker = trackingEvent(shipment, 'label_created', `marker-${randomUUID()}`);
    expect((await send(stack, marker)).status).toBe(202);
    await waitForStored(stack, id, marker.eventId);
    expect((await storedEventIds(stack, id)).sort()).toEqual([...before, marker.eventId].sort());
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.status).toBe('dispatched');
  });

  it('takes events twice and out of order without moving the order backwards, keeping each once', async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const watch = watchStatuses(stack, id);
    const inTransit = trackingEvent(shipment, 'in_transit', `it-${randomUUID()}`, 1);
    const outForDelivery = trackingEvent(shipment, 'out_for_delivery', `ofd-${randomUUID()}`, 2);
    const delivered = trackingEvent(shipment, 'delivered', `del-${randomUUID()}`, 3);

    // out_for_delivery first…
    expect((await send(stack, outForDelivery)).status).toBe(202);
    await waitForStatus(stack, id, 'out_for_delivery', 10_000);
    // …then the earlier in_transit, late: kept, but the order stays where it is.
    expect((await send(stack, inTransit)).status).toBe(202);
    await waitForStored(stack, id, inTransit.eventId);
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.status).toBe('out_for_delivery');
    // The same out_for_delivery again, then delivered (signals are taken in order, so
    // once delivered is stored, the repeat has been dealt with), then delivered again.
    expect((await send(stack, outForDelivery)).status).toBe(202);
    expect((await send(stack, delivered)).status).toBe(202);
    await waitForStatus(stack, id, 'delivered', 10_000);
    await waitForStored(stack, id, delivered.eventId);
    const repeated = await send(stack, delivered);
    expect(repeated.status).toBe(202);
    expect((await send(stack, inTransit)).status).toBe(202);

    // A query is answered only after the workflow has taken in the signals before it.
    const view = await stack.running.client.workflow.getHandle(`order-${id}`).query<{ status: string }>('view');
    expect(view.status).toBe('delivered');
    const seen = await watch.stop();

    const ranks = seen.map(rank);
    expect(ranks.every((r, i) => i === 0 || r >= ranks[i - 1]!), `statuses seen: ${seen.join(' → ')}`).toBe(true);
    expect(seen.at(-1)).toBe('delivered');

    const mine = (await storedEventIds(stack, id)).filter((e) => [inTransit, outForDelivery, delivered].some((x) => x.eventId === e));
    expect(mine.sort()).toEqual([inTransit.eventId, outForDelivery.eventId, delivered.eventId].sort());

    const order = (await stack.api('GET', `/v1/orders/${id}`)).body;
    const statuses = order.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['dispatched', 'in_transit', 'out_for_delivery', 'delivered'], statuses)).toBe(true);
    for (const s of ['in_transit', 'out_for_delivery', 'delivered']) expect(statuses.filter((x: string) => x === s)).toHaveLength(1);
    expect(order.shipments[0].status).toBe('delivered');
    // The tracking look-up tells the journey in the order it happened.
    const tracking = await stack.api('GET', `/v1/orders/${id}/tracking`);
    const journey = tracking.body.shipments[0].events.map((e: { status: string }) => e.status);
    expect(isSubsequence(['in_transit', 'out_for_delivery', 'delivered'], journey)).toBe(true);
  });

  it('keeps an in_transit event that arrives after delivered, without moving the order back', async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const watch = watchStatuses(stack, id);
    const inTransit = trackingEvent(shipment, 'in_transit', `late-it-${randomUUID()}`, 1);
    const delivered = trackingEvent(shipment, 'delivered', `early-del-${randomUUID()}`, 3);

    expect((await send(stack, delivered)).status).toBe(202);
    await waitForStatus(stack, id, 'delivered', 10_000);
    const late = await send(stack, inTransit);
    expect(late.status).toBe(202);
    expect(late.body).toMatchObject({ accepted: true, eventId: inTransit.eventId });
    expect((await send(stack, delivered)).status).toBe(202);

    const view = await stack.running.client.workflow.getHandle(`order-${id}`).query<{ status: string }>('view');
    expect(view.status).toBe('delivered');
    const seen = await watch.stop();
    const ranks = seen.map(rank);
    expect(ranks.every((r, i) => i === 0 || r >= ranks[i - 1]!), `statuses seen: ${seen.join(' → ')}`).toBe(true);

    const order = (await stack.api('GET', `/v1/orders/${id}`)).body;
    const statuses = order.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['dispatched', 'in_transit', 'out_for_delivery', 'delivered'], statuses)).toBe(true);
    expect(statuses.indexOf('in_transit')).toBeLessThan(statuses.indexOf('delivered'));

    // The webhook said "accepted": the event must be kept, once.
    await waitForStored(stack, id, inTransit.eventId, 5_000);
    const stored = await storedEventIds(stack, id);
    expect(stored.filter((e) => e === inTransit.eventId)).toHaveLength(1);
    expect(stored.filter((e) => e === delivered.eventId)).toHaveLength(1);
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.status).toBe('delivered');
  });
});

describe('one carrier cannot speak for another', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_TIME_SCALE: '0.01' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it("refuses a webhook signed with another carrier's secret, and an event naming another carrier's shipment", async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const other = shipment.carrier === 'swiftship' ? 'terraline' : 'swiftship';
    expect(secretOf(stack, other)).not.toBe(secretOf(stack, shipment.carrier));
    const before = await storedEventIds(stack, id);

    // The other carrier's secret does not open this carrier's route.
    const event = trackingEvent(shipment, 'delivered', `cross-secret-${randomUUID()}`);
    const raw = JSON.stringify(event);
    const wrongKey = await postWebhook(stack, shipment.carrier, raw, signWebhook(secretOf(stack, other), raw));
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('content-type')).toMatch(/application\/problem\+json/);

    // The other carrier, on its own route with its own secret, names this carrier's
    // shipment by its reference (our shipment id): not its shipment, so not found.
    const foreign = { ...trackingEvent(shipment, 'delivered', `cross-ref-${randomUUID()}`), carrier: other, trackingNumber: 'XX000000000' };
    const refused = await postWebhook(stack, other, JSON.stringify(foreign));
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    // …nor by the shipment's tracking number.
    const byNumber = { ...trackingEvent(shipment, 'delivered', `cross-number-${randomUUID()}`), carrier: other, reference: randomUUID() };
    expect((await postWebhook(stack, other, JSON.stringify(byNumber))).status).toBe(404);

    // Nothing reached the order: a signed marker of its own carrier flushes the path.
    const marker = trackingEvent(shipment, 'label_created', `marker-${randomUUID()}`);
    expect((await send(stack, marker)).status).toBe(202);
    await waitForStored(stack, id, marker.eventId);
    expect((await storedEventIds(stack, id)).sort()).toEqual([...before, marker.eventId].sort());
    const order = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(order.status).toBe('dispatched');
    expect(order.shipments[0].status).toBe('label_created');
  });
});

describe('poison tracking events', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_TIME_SCALE: '0.01' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('refuses an event with a NUL, a lone surrogate or a time Postgres cannot hold, and the events behind it still go through', async () => {
    const { id, shipment } = await dispatchedOrder(stack);
    const poisons: [string, Record<string, unknown>, string][] = [
      ['NUL in the description', { description: 'left at the door\u0000' }, 'description'],
      ['lone surrogate in the location', { location: 'hub \ud800' }, 'location'],
      ['year 0000', { occurredAt: '0000-01-01T00:00:00Z' }, 'occurredAt'],
      ['year 10000 in UTC', { occurredAt: '9999-12-31T23:59:59-01:00' }, 'occurredAt'],
    ];
    for (const [what, change, field] of poisons) {
      const poison = { ...trackingEvent(shipment, 'in_transit', `poison-${randomUUID()}`), ...change };
      const res = await send(stack, poison as ReturnType<typeof trackingEvent>);
      expect({ what, status: res.status }).toEqual({ what, status: 422 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field), what).toContain(field);
    }

    // The parcel's next events are not held up behind them.
    const inTransit = trackingEvent(shipment, 'in_transit', `after-poison-${randomUUID()}`, 1);
    expect((await send(stack, inTransit)).status).toBe(202);
    await waitForStatus(stack, id, 'in_transit', 10_000);
    await waitForStored(stack, id, inTransit.eventId);
    const order = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(order.needsAttention).toBe(false);
    expect((await storedEventIds(stack, id)).filter((e) => e.startsWith('poison-'))).toEqual([]);
  });
});

describe('a carrier whose webhooks never arrive', () => {
  // The sandbox pushes its webhooks to a port where nothing listens; orderflow still
  // asks the carrier's tracking API itself every poll interval (12 h ≈ 0.4 s here).
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_PUBLIC_URL: 'http://127.0.0.1:9', ORDERFLOW_TRACKING_POLL_INTERVAL: '12h' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('learns of the delivery by polling, and keeps the events a carrier sends after the order has ended', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const delivered = await waitForStatus(stack, id, 'delivered', 30_000);
    await waitForWorkflowStatus(stack, id, 'delivered');
    const [shipment] = delivered.shipments;
    expect(shipment.status).toBe('delivered');
    expect(shipment.tracking.map((t: { status: string }) => t.status)).toEqual(['label_created', 'in_transit', 'out_for_delivery', 'delivered']);
    const statuses = delivered.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['dispatched', 'in_transit', 'out_for_delivery', 'delivered'], statuses)).toBe(true);

    // Not one webhook got through: all of it came from polling.
    const pushed = await stack.db.select().from(sandboxEvents).where(eq(sandboxEvents.trackingNumber, shipment.trackingNumber));
    expect(pushed).toHaveLength(4);
    expect(pushed.filter((e) => e.deliveredAt !== null)).toEqual([]);
    expect(pushed.some((e) => e.attempts > 0 && e.lastError !== null)).toBe(true);
    const stored = await stack.db
      .select({ eventId: trackingEvents.carrierEventId })
      .from(trackingEvents)
      .where(and(eq(trackingEvents.orderId, id), inArray(trackingEvents.carrierEventId, pushed.map((e) => e.eventId))));
    expect(stored.map((e) => e.eventId).sort()).toEqual(pushed.map((e) => e.eventId).sort());

    // Finish the order, then a carrier's late webhook is kept on the shipment, once, and
    // moves nothing: the order has ended.
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(delivered.number) })).status).toBe(200);
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    await waitForStatus(stack, id, 'completed');
    await waitFor(
      async () => {
        const d = await stack.running.client.workflow.getHandle(`order-${id}`).describe();
        return d.status.name === 'COMPLETED';
      },
      { message: 'the order workflow to close' },
    );

    const before = await storedEventIds(stack, id);
    const ship = { id: shipment.id, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber };
    const lateEvent = { ...trackingEvent(ship, 'exception', `after-end-${randomUUID()}`), description: 'parcel returned: damaged on delivery' };
    const afterwards = await send(stack, lateEvent);
    expect(afterwards.status).toBe(200);
    expect(afterwards.body).toMatchObject({ accepted: true, stored: true, orderEnded: true, orderId: id, eventId: lateEvent.eventId });
    expect((await storedEventIds(stack, id)).sort()).toEqual([...before, lateEvent.eventId].sort());
    // The same event again is answered the same way and kept once.
    const again = await send(stack, lateEvent);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ accepted: true, stored: false, orderEnded: true, orderId: id });
    expect((await storedEventIds(stack, id)).filter((e) => e === lateEvent.eventId)).toHaveLength(1);

    const tracking = await stack.api('GET', `/v1/orders/${id}/tracking`);
    expect(tracking.status).toBe(200);
    expect(tracking.body.shipments[0].events).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'exception', description: 'parcel returned: damaged on delivery' })]),
    );
    // Kept, not acted on: the order and the shipment stay where they ended.
    const ended = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(ended.status).toBe('completed');
    expect(ended.shipments[0].status).toBe('delivered');
  });
});
