import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CarrierRejection,
  CarrierTrackingEvent,
  type BookingRequest,
  type Parcel,
  type Place,
  type TrackingStatus,
} from '../../src/carriers/carrier-gateway';
import { createCarrierActivities } from '../../activities/carriers';
import { HttpCarrierGateway } from '../../src/carriers/sandbox-gateway';
import { startCarrierSandbox, type CarrierSandbox, type CarrierSandboxOptions } from '../../src/carriers/sandbox-server';
import { SIGNATURE_HEADER, deriveCarrierSecret, verifyWebhook } from '../../src/carriers/webhook-signature';
import type { Database } from '../../src/db/client';
import { sandboxEvents, sandboxShipments } from '../../src/db/sandbox-schema';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitFor } from '../helpers/wait-for';

// The sandbox for real: an HTTP server over an in-memory Postgres, a real webhook
// receiver, and the gateway the activities use.

const SECRET = 'carrier-sandbox-test-secret';
const TINY_SCALE = 0.00001; // a one-day parcel delivers in under a second
const ALL_STATUSES: TrackingStatus[] = ['label_created', 'in_transit', 'out_for_delivery', 'delivered'];

const box = (weightGrams: number): Parcel => ({ weightGrams, lengthCm: 30, widthCm: 20, heightCm: 15 });
const munich: Place = { country: 'DE', region: 'BY', postalCode: '80331' };
const nuremberg = { country: 'DE', region: 'BY', postalCode: '90402', name: 'Ada Lovelace', line1: 'Hauptmarkt 1', city: 'Nürnberg' };

function bookingRequest(overrides: Partial<BookingRequest> = {}): BookingRequest {
  return {
    carrier: 'swiftship',
    service: 'express',
    reference: `shp-${randomUUID()}`,
    origin: munich,
    destination: nuremberg,
    parcels: [box(2_500)],
    ...overrides,
  };
}

interface Delivery {
  carrier: string;
  rawBody: string;
  signature: string | undefined;
  event: CarrierTrackingEvent;
  answered: number;
}

/** orderflow's webhook endpoint, played by a tiny express app whose answers a test can script. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  let answer: (event: CarrierTrackingEvent, attempt: number) => number = () => 204;
  const attempts = new Map<string, number>();
  const app = express();
  app.post('/v1/carriers/:carrier/webhooks', express.raw({ type: () => true }), (req, res) => {
    const rawBody = (req.body as Buffer).toString('utf8');
    const event = CarrierTrackingEvent.parse(JSON.parse(rawBody));
    const attempt = (attempts.get(event.eventId) ?? 0) + 1;
    attempts.set(event.eventId, attempt);
    const status = answer(event, attempt);
    deliveries.push({ carrier: req.params.carrier, rawBody, signature: req.get(SIGNATURE_HEADER), event, answered: status });
    res.status(status).end();
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    script(fn: typeof answer) {
      answer = fn;
    },
    accepted(trackingNumber: string) {
      return deliveries.filter((d) => d.event.trackingNumber === trackingNumber && d.answered < 300);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let testDatabase: TestDatabase | undefined;
let database: Database;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const running: CarrierSandbox[] = [];

async function sandbox(options: Partial<CarrierSandboxOptions> = {}) {
  const started = await startCarrierSandbox({
    db: database.db,
    port: 0,
    webhookBaseUrl: receiver.url,
    webhookSecrets: { base: SECRET },
    timeScale: 1,
    pollIntervalMs: 20,
    retryBaseMs: 20,
    logger: () => undefined,
    ...options,
  });
  running.push(started);
  return { sandbox: started, gateway: new HttpCarrierGateway({ baseUrl: started.url, timeoutMs: 5_000 }) };
}

const shipmentsFor = (idempotencyKey: string) =>
  database.db.select().from(sandboxShipments).where(eq(sandboxShipments.idempotencyKey, idempotencyKey));
const eventsOf = (trackingNumber: string) =>
  database.db.select().from(sandboxEvents).where(eq(sandboxEvents.trackingNumber, trackingNumber)).orderBy(sandboxEvents.occursAt);

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = testDatabase.database;
  receiver = await startReceiver();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  receiver.script(() => 204);
});

afterAll(async () => {
  await receiver?.close();
  await testDatabase?.drop();
});

describe('carrier sandbox over HTTP', { timeout: 20_000 }, () => {
  it('quotes a domestic lane from several carriers', async () => {
    const { gateway } = await sandbox();
    const quotes = await gateway.quote({
      origin: munich,
      destination: nuremberg,
      parcels: [box(2_500)],
      declaredValue: { amount: 5_000, currency: 'EUR' },
    });
    expect(new Set(quotes.map((q) => q.carrier)).size).toBeGreaterThanOrEqual(2);
    expect(quotes.every((q) => Number.isInteger(q.amount) && q.currency === 'EUR')).toBe(true);
  });

  it('books once per idempotency key, however often it is asked', async () => {
    const { gateway } = await sandbox();
    const key = randomUUID();
    const request = bookingRequest();
    const first = await gateway.book(request, key);
    expect(first.trackingNumber).toMatch(/^SWS\d{12}$/);
    expect(first).toMatchObject({ carrier: 'swiftship', service: 'express', reference: request.reference, amount: 1500 + 3 * 250, currency: 'EUR' });
    // Same body with its keys in another order is still the same request.
    const reordered = Object.fromEntries(Object.entries(request).reverse()) as BookingRequest;
    const again = await gateway.book(reordered, key);
    expect(again).toEqual(first);
    expect(await shipmentsFor(key)).toHaveLength(1);
    expect(await eventsOf(first.trackingNumber)).toHaveLength(4);
  });

  it('books one shipment for ten concurrent identical requests', async () => {
    const { gateway } = await sandbox();
    const key = randomUUID();
    const request = bookingRequest({ carrier: 'terraline', service: 'ground' });
    const bookings = await Promise.all(Array.from({ length: 10 }, () => gateway.book(request, key)));
    expect(new Set(bookings.map((b) => b.trackingNumber)).size).toBe(1);
    expect(bookings[0]!.trackingNumber).toMatch(/^TL\d{12}$/);
    expect(await shipmentsFor(key)).toHaveLength(1);
    expect(await eventsOf(bookings[0]!.trackingNumber)).toHaveLength(4);
  });

  it('refuses a reused key with a different body, unknown carriers and lanes it does not run', async () => {
    const { gateway } = await sandbox();
    const key = randomUUID();
    await gateway.book(bookingRequest({ reference: 'shp-original' }), key);
    const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

    const reused = await rejection(gateway.book(bookingRequest({ reference: 'shp-other' }), key));
    expect(reused).toBeInstanceOf(CarrierRejection);
    expect(reused).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await shipmentsFor(key)).toHaveLength(1);

    expect(await rejection(gateway.book(bookingRequest({ carrier: 'nopost' }), randomUUID()))).toMatchObject({ code: 'unknown_carrier' });
    expect(await rejection(gateway.book(bookingRequest({ service: 'teleport' }), randomUUID()))).toMatchObject({ code: 'unknown_service' });
    const abroad = { ...nuremberg, country: 'JP' };
    const budgetAbroad = bookingRequest({ carrier: 'budgetpost', service: 'economy', destination: abroad });
    expect(await rejection(gateway.book(budgetAbroad, randomUUID()))).toMatchObject({ name: 'CarrierRejection', code: 'lane_not_served' });
  });

  it('pushes all four tracking events, signed and in order, on the scaled schedule', async () => {
    const { gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book(bookingRequest(), randomUUID());

    const accepted = await waitFor(() => receiver.accepted(booking.trackingNumber).length === 4 && receiver.accepted(booking.trackingNumber), {
      message: 'four webhooks',
    });
    expect(accepted.map((d) => d.event.status)).toEqual(ALL_STATUSES);
    for (const delivery of accepted) {
      expect(delivery.carrier).toBe('swiftship');
      // Signed with swiftship's own secret, which no other carrier's secret opens.
      expect(verifyWebhook(deriveCarrierSecret(SECRET, 'swiftship'), delivery.rawBody, delivery.signature)).toEqual({ ok: true });
      expect(verifyWebhook(deriveCarrierSecret(SECRET, 'terraline'), delivery.rawBody, delivery.signature).ok).toBe(false);
      expect(verifyWebhook(SECRET, delivery.rawBody, delivery.signature).ok).toBe(false);
      expect(verifyWebhook('a-different-secret-entirely', delivery.rawBody, delivery.signature).ok).toBe(false);
      expect(delivery.event).toMatchObject({ trackingNumber: booking.trackingNumber, reference: booking.reference });
    }
    const times = accepted.map((d) => Date.parse(d.event.occurredAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(accepted.map((d) => d.event.eventId)).size).toBe(4);

    const delivered = await waitFor(async () => {
      const rows = await eventsOf(booking.trackingNumber);
      return rows.every((row) => row.deliveredAt !== null) && rows;
    });
    expect(delivered.map((row) => row.attempts)).toEqual([1, 1, 1, 1]);
    expect(await gateway.track('swiftship', booking.trackingNumber)).toEqual(accepted.map((d) => d.event));
  });

  it('retries a webhook the receiver refuses, with backoff, and keeps each parcel\'s events in order', async () => {
    // label_created is refused long enough (20+40+80+160+320 ms) for in_transit to fall due behind it.
    receiver.script((event, attempt) => (attempt <= (event.status === 'label_created' ? 5 : 2) ? 500 : 200));
    const { gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book(bookingRequest(), randomUUID());

    const accepted = await waitFor(() => receiver.accepted(booking.trackingNumber).length === 4 && receiver.accepted(booking.trackingNumber), {
      message: 'four webhooks after retries',
    });
    expect(accepted.map((d) => d.event.status)).toEqual(ALL_STATUSES);
    const tried = receiver.deliveries.filter((d) => d.event.trackingNumber === booking.trackingNumber);
    expect(tried.filter((d) => d.answered === 500)).toHaveLength(5 + 2 * 3);
    // Nothing later was even attempted before label_created was taken.
    expect(tried.slice(0, 6).map((d) => d.event.status)).toEqual(Array(6).fill('label_created'));
    const rows = await waitFor(async () => {
      const events = await eventsOf(booking.trackingNumber);
      return events.every((row) => row.deliveredAt !== null) && events;
    });
    expect(rows.map((row) => row.attempts)).toEqual([6, 3, 3, 3]);
    expect(rows.every((row) => row.lastError === null)).toBe(true);
  });

  it('keeps its promises across a restart: pending webhooks and idempotency keys', async () => {
    // The first sandbox cannot reach orderflow at all (nothing listens on port 1).
    const first = await sandbox({ timeScale: TINY_SCALE, webhookBaseUrl: 'http://127.0.0.1:1', retryBaseMs: 10 });
    const key = randomUUID();
    const request = bookingRequest();
    const booking = await first.gateway.book(request, key);
    const failing = await waitFor(async () => {
      const [head] = await eventsOf(booking.trackingNumber);
      return head && head.attempts >= 2 && head;
    });
    expect(failing.deliveredAt).toBeNull();
    expect(failing.lastError).toBeTruthy();
    await first.sandbox.close();
    await first.sandbox.close(); // closing twice is harmless

    const second = await sandbox({ timeScale: TINY_SCALE });
    const accepted = await waitFor(() => receiver.accepted(booking.trackingNumber).length === 4 && receiver.accepted(booking.trackingNumber), {
      message: 'pending webhooks after restart',
    });
    expect(accepted.map((d) => d.event.status)).toEqual(ALL_STATUSES);
    expect(await second.gateway.book(request, key)).toEqual({
      ...booking,
      labelUrl: booking.labelUrl.replace(first.sandbox.url, second.sandbox.url),
    });
    expect(await shipmentsFor(key)).toHaveLength(1);
  });

  it('collects cash on delivery: the delivered event, pushed or polled, reports what was collected', async () => {
    const { gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book({ ...bookingRequest(), cashOnDelivery: { amount: 4_430, currency: 'EUR' } }, randomUUID());
    const accepted = await waitFor(() => receiver.accepted(booking.trackingNumber).length === 4 && receiver.accepted(booking.trackingNumber), {
      message: 'four webhooks',
    });
    expect(accepted.map((d) => d.event.codCollected)).toEqual([undefined, undefined, undefined, { amount: 4_430, currency: 'EUR' }]);
    expect((await gateway.track('swiftship', booking.trackingNumber)).at(-1)).toMatchObject({ status: 'delivered', codCollected: { amount: 4_430, currency: 'EUR' } });
  });

  it('tracks only the events whose time has come', async () => {
    const { gateway } = await sandbox({ timeScale: 1 });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    const events = await gateway.track('swiftship', booking.trackingNumber);
    expect(events.map((e) => e.status)).toEqual(['label_created']);
    const future = await database.db
      .select()
      .from(sandboxEvents)
      .where(and(eq(sandboxEvents.trackingNumber, booking.trackingNumber), eq(sandboxEvents.status, 'delivered')));
    // Delivery is a day out at scale 1: 24h − 5h + 3h after booking.
    expect(future[0]!.occursAt.getTime() - Date.parse(booking.createdAt)).toBe(22 * 3_600_000);

    await expect(gateway.track('terraline', booking.trackingNumber)).rejects.toBeInstanceOf(CarrierRejection);
    await expect(gateway.track('swiftship', 'SWS000000000000')).rejects.toMatchObject({ code: 'shipment_not_found' });
  });

  it('runs a dispatcher pass on demand and delivers nothing twice', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE, pollIntervalMs: 60_000 });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    await waitFor(async () => {
      await s.tick();
      return receiver.accepted(booking.trackingNumber).length === 4;
    });
    await s.tick();
    await s.tick();
    expect(receiver.accepted(booking.trackingNumber)).toHaveLength(4);
    const rows = await database.db
      .select()
      .from(sandboxEvents)
      .where(and(eq(sandboxEvents.trackingNumber, booking.trackingNumber), isNotNull(sandboxEvents.deliveredAt)));
    expect(rows).toHaveLength(4);
  });

  it('answers bad requests with problem+json and field errors', async () => {
    const { sandbox: s } = await sandbox();
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

    const badRates = await post('/v1/rates', JSON.stringify({ origin: munich, parcels: [] }));
    expect(badRates.status).toBe(400);
    expect(badRates.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await badRates.json()) as { status: number; errors: { field: string }[] };
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['destination', 'parcels', 'declaredValue']));

    expect((await post('/v1/rates', '{not json')).status).toBe(400);
    const noKey = await post('/v1/shipments', JSON.stringify(bookingRequest()));
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ code: 'idempotency_key_required' });
    expect((await post('/v1/shipments', '{}', { 'Idempotency-Key': randomUUID() })).status).toBe(400);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/v1/nowhere`)).status).toBe(404);
  });

  it('serves the label it links to', async () => {
    const { gateway } = await sandbox();
    const booking = await gateway.book(bookingRequest({ carrier: 'budgetpost', service: 'economy' }), randomUUID());
    expect(booking.trackingNumber).toMatch(/^BP\d{9}DE$/);
    const label = await fetch(booking.labelUrl);
    expect(label.status).toBe(200);
    expect(await label.text()).toContain(booking.trackingNumber);
  });
});

describe('HttpCarrierGateway failures', { timeout: 20_000 }, () => {
  const request = { origin: munich, destination: nuremberg, parcels: [box(1_000)], declaredValue: { amount: 0, currency: 'EUR' } };

  async function fakeCarrier(handler: http.RequestListener) {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

  it('treats 5xx, 429, timeouts, refused connections and malformed bodies as retryable errors', async () => {
    const cases: [string, http.RequestListener][] = [
      ['5xx', (_req, res) => res.writeHead(503).end('down')],
      ['429', (_req, res) => res.writeHead(429, { 'Content-Type': 'application/problem+json' }).end('{"code":"slow_down"}')],
      ['malformed', (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"quotes":[{"carrier":1}]}')],
      ['not json', (_req, res) => res.writeHead(200).end('<html>')],
      ['timeout', () => undefined],
    ];
    for (const [name, handler] of cases) {
      const carrier = await fakeCarrier(handler);
      try {
        const error = await failureOf(new HttpCarrierGateway({ baseUrl: carrier.url, timeoutMs: 300 }).quote(request));
        expect(error, name).toBeInstanceOf(Error);
        expect(error, name).not.toBeInstanceOf(CarrierRejection);
      } finally {
        await carrier.close();
      }
    }
    const refused = await failureOf(new HttpCarrierGateway({ baseUrl: 'http://127.0.0.1:1' }).quote(request));
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(CarrierRejection);
  });

  it('turns a 4xx into a CarrierRejection with the carrier code', async () => {
    const carrier = await fakeCarrier((_req, res) =>
      res.writeHead(422, { 'Content-Type': 'application/problem+json' }).end('{"code":"address_invalid","detail":"No such street"}'),
    );
    try {
      const error = await failureOf(new HttpCarrierGateway({ baseUrl: carrier.url }).book(bookingRequest(), 'k-1'));
      expect(error).toBeInstanceOf(CarrierRejection);
      expect(error).toMatchObject({ code: 'address_invalid', message: 'No such street' });
    } finally {
      await carrier.close();
    }
  });
});

describe('the sandbox learns to fail', { timeout: 30_000 }, () => {
  const DAY_MS = 86_400_000;
  /** swiftship express inside Bavaria: one day in transit. */
  const TRANSIT_DAYS = 1;
  const berlin = { country: 'DE', region: 'BE', postalCode: '10117', name: 'Ada Lovelace', line1: 'Unter den Linden 1', city: 'Berlin' };

  const journey = (trackingNumber: string) =>
    receiver.accepted(trackingNumber).map(({ event }) => (event.statusDetail ? `${event.status}/${event.statusDetail}` : event.status));

  /** Waits until the parcel's webhooks begin with `expected`, driving the dispatcher rather than sleeping. */
  async function journeyOf(s: CarrierSandbox, trackingNumber: string, expected: string[], timeoutMs = 15_000): Promise<Delivery[]> {
    await waitFor(
      async () => {
        await s.tick();
        return journey(trackingNumber).length >= expected.length;
      },
      { timeoutMs, message: `${expected.join(' → ')} (so far: ${journey(trackingNumber).join(' → ')})` },
    );
    expect(journey(trackingNumber).slice(0, expected.length)).toEqual(expected);
    return receiver.accepted(trackingNumber);
  }

  async function call(s: CarrierSandbox, path: string, body: unknown = {}) {
    const response = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  }
  const fate = (s: CarrierSandbox, trackingNumber: string, body: unknown) => call(s, `/sandbox/shipments/${trackingNumber}/fate`, body);

  const liveEvents = (trackingNumber: string) =>
    database.db
      .select()
      .from(sandboxEvents)
      .where(and(eq(sandboxEvents.trackingNumber, trackingNumber), isNull(sandboxEvents.cancelledAt)))
      .orderBy(sandboxEvents.occursAt);

  /** Cancelled events were never sent, and nothing is left to send once the journey is over. */
  async function expectSettled(trackingNumber: string) {
    const rows = await eventsOf(trackingNumber);
    const cancelled = rows.filter((row) => row.cancelledAt !== null);
    expect(cancelled.every((row) => row.deliveredAt === null && row.attempts === 0)).toBe(true);
    const sent = new Set(receiver.deliveries.filter((d) => d.event.trackingNumber === trackingNumber).map((d) => d.event.eventId));
    expect(cancelled.filter((row) => sent.has(row.eventId))).toEqual([]);
    expect(rows.filter((row) => row.cancelledAt === null).every((row) => row.deliveredAt !== null)).toBe(true);
    return { cancelled: cancelled.length };
  }

  const fates: [string, Record<string, unknown>, string[]][] = [
    ['lost', { fate: 'lost' }, ['label_created', 'in_transit', 'exception/lost']],
    ['silently lost', { fate: 'lost', silent: true }, ['label_created', 'in_transit']],
    ['damaged', { fate: 'damaged' }, ['label_created', 'in_transit', 'exception/damaged']],
    ['delayed', { fate: 'delayed', days: 2 }, ['label_created', 'in_transit', 'exception/delayed', 'out_for_delivery', 'delivered']],
    ['refused', { fate: 'refused' }, ['label_created', 'in_transit', 'out_for_delivery', 'exception/refused', 'exception/return_to_sender', 'returned']],
    [
      'address_problem',
      { fate: 'address_problem' },
      ['label_created', 'in_transit', 'out_for_delivery', 'exception/address_not_found', 'exception/return_to_sender', 'returned'],
    ],
  ];

  it.each(fates)('a parcel fated %s sends exactly its fate\'s events, signed, with the carrier\'s word', async (_name, body, expected) => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    const answer = await fate(s, booking.trackingNumber, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ trackingNumber: booking.trackingNumber, ...body });
    // The answer lists what is planned from now on: the journey past the label (past the pickup, on a slow day).
    const planned = (answer.body.events as CarrierTrackingEvent[]).map((e) => (e.statusDetail ? `${e.status}/${e.statusDetail}` : e.status));
    expect(planned.length).toBeGreaterThanOrEqual(expected.length - 2);
    expect(planned).toEqual(expected.slice(expected.length - planned.length));

    const accepted = await journeyOf(s, booking.trackingNumber, expected);
    for (const delivery of accepted) {
      expect(verifyWebhook(deriveCarrierSecret(SECRET, 'swiftship'), delivery.rawBody, delivery.signature)).toEqual({ ok: true });
      const raw = JSON.parse(delivery.rawBody) as Record<string, unknown>;
      if (delivery.event.status === 'exception') expect(raw.statusDetail).toBe(delivery.event.statusDetail);
      else expect(raw).not.toHaveProperty('statusDetail');
    }
    expect(new Set(accepted.map((d) => d.event.eventId)).size).toBe(accepted.length);
    const times = accepted.map((d) => Date.parse(d.event.occurredAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    if (body.fate === 'delayed') {
      const delay = accepted.find((d) => d.event.statusDetail === 'delayed')!;
      const raw = JSON.parse(delay.rawBody) as { newEta?: string };
      const eta = new Date(Date.parse(booking.createdAt.slice(0, 10)) + (TRANSIT_DAYS + 2) * DAY_MS).toISOString().slice(0, 10);
      expect(raw.newEta).toBe(eta);
      expect(delay.event.newEta).toBe(eta);
    }
    if (expected.at(-1) === 'returned') expect(accepted.at(-1)!.event.description).toBe('Returned to sender');
    if (body.fate === 'lost' && !body.silent) expect(accepted.at(-1)!.event.description).toBe('Parcel lost in transit');

    // Nothing is left to send: the journey ends where the fate says.
    await expectSettled(booking.trackingNumber);
    await s.tick();
    expect(journey(booking.trackingNumber)).toEqual(expected);
    // The fate is on the books, and the carrier's record tells the same story.
    const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
    expect(row!.fate).toMatchObject(body);
    expect(await gateway.track('swiftship', booking.trackingNumber)).toEqual(accepted.map((d) => d.event));
    const status = (await (await fetch(`${s.url}/v1/shipments/${booking.trackingNumber}`)).json()) as { status: string };
    expect(status.status).toBe(expected.at(-1)!.split('/')[0]);
  });

  it('draws fates at booking from the per-run probabilities', async () => {
    const { gateway } = await sandbox({ timeScale: 1, fates: { refused: 1 } });
    const bookings = await Promise.all(Array.from({ length: 5 }, () => gateway.book(bookingRequest(), randomUUID())));
    for (const booking of bookings) {
      const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
      expect(row!.fate).toEqual({ fate: 'refused' });
      expect((await eventsOf(booking.trackingNumber)).map((e) => e.statusDetail ?? e.status)).toEqual([
        'label_created',
        'in_transit',
        'out_for_delivery',
        'refused',
        'return_to_sender',
        'returned',
      ]);
    }

    const delayed = await sandbox({ timeScale: 1, fates: { delayed: 1 } });
    for (let i = 0; i < 5; i++) {
      const booking = await delayed.gateway.book(bookingRequest(), randomUUID());
      const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
      expect(row!.fate).toMatchObject({ fate: 'delayed', days: expect.any(Number) });
      expect([1, 2, 3]).toContain((row!.fate as { days: number }).days);
    }

    const none = await sandbox({ timeScale: 1, fates: { lost: 0 } });
    const booking = await none.gateway.book(bookingRequest(), randomUUID());
    const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
    expect(row!.fate).toBeNull();
    expect(await eventsOf(booking.trackingNumber)).toHaveLength(4);
  });

  it('answers the fate trigger with 404, 400 naming the field, and 409 once the journey is over', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE });
    expect((await fate(s, 'SWS000000000000', { fate: 'lost' })).status).toBe(404);
    const booking = await gateway.book(bookingRequest(), randomUUID());
    for (const [body, field] of [
      [{ fate: 'vanished' }, 'fate'],
      [{ fate: 'delayed', days: 0 }, 'days'],
      [{ fate: 'delayed', days: 61 }, 'days'],
      [{ fate: 'lost', silent: 'yes' }, 'silent'],
    ] as const) {
      const answer = await fate(s, booking.trackingNumber, body);
      expect(answer.status).toBe(400);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect((answer.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    }
    await journeyOf(s, booking.trackingNumber, ALL_STATUSES);
    const late = await fate(s, booking.trackingNumber, { fate: 'lost' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'already_delivered' });
  });

  it('turns a parcel back on time, picking it up now, with fresh event ids', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    // Waiting for its pickup a month (26 s) out; on_time picks it up now.
    const answer = await fate(s, booking.trackingNumber, { fate: 'on_time' });
    expect(answer.status).toBe(200);
    const accepted = await journeyOf(s, booking.trackingNumber, ALL_STATUSES);
    const rows = await eventsOf(booking.trackingNumber);
    expect(rows).toHaveLength(1 + 3 + 3);
    expect(accepted.map((d) => d.event.eventId)).toEqual([`${booking.trackingNumber}-01`, ...['05', '06', '07'].map((n) => `${booking.trackingNumber}-${n}`)]);
    await expectSettled(booking.trackingNumber);
  });

  it('starts a fate set by hand now, not at the planned pickup', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    expect((await fate(s, booking.trackingNumber, { fate: 'damaged' })).status).toBe(200);
    const seen = await journeyOf(s, booking.trackingNumber, ['label_created', 'in_transit', 'exception/damaged']);
    expect(seen.at(-1)!.event).toMatchObject({ status: 'exception', statusDetail: 'damaged' });
  });

  it('voids before pickup (twice is fine), and refuses once the parcel is picked up', async () => {
    const waiting = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const booking = await waiting.gateway.book(bookingRequest(), randomUUID());
    expect(await waiting.gateway.voidShipment('swiftship', booking.trackingNumber)).toEqual({ voided: true });
    const again = await call(waiting.sandbox, `/v1/shipments/${booking.trackingNumber}/void`);
    expect(again).toMatchObject({ status: 200, body: { voided: true } });
    expect(await waiting.gateway.voidShipment('swiftship', booking.trackingNumber)).toEqual({ voided: true });
    const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
    expect(row!.voidedAt).toBeInstanceOf(Date);
    expect((await liveEvents(booking.trackingNumber)).map((e) => e.status)).toEqual(['label_created']);
    await journeyOf(waiting.sandbox, booking.trackingNumber, ['label_created']);
    await waiting.sandbox.tick();
    expect(journey(booking.trackingNumber)).toEqual(['label_created']);
    await expectSettled(booking.trackingNumber);
    // A voided parcel has no future to change.
    expect(await call(waiting.sandbox, `/v1/shipments/${booking.trackingNumber}/expedite`)).toMatchObject({ status: 409, body: { code: 'already_voided' } });
    // Another carrier's gateway call finds no such parcel.
    await expect(waiting.gateway.voidShipment('terraline', booking.trackingNumber)).rejects.toMatchObject({ code: 'shipment_not_found' });

    const moving = await sandbox({ timeScale: TINY_SCALE });
    const picked = await moving.gateway.book(bookingRequest(), randomUUID());
    await journeyOf(moving.sandbox, picked.trackingNumber, ['label_created', 'in_transit']);
    const refused = await moving.gateway.voidShipment('swiftship', picked.trackingNumber);
    expect(refused).toMatchObject({ voided: false, reason: expect.stringContaining(picked.trackingNumber) });
    const raw = await call(moving.sandbox, `/v1/shipments/${picked.trackingNumber}/void`);
    expect(raw).toMatchObject({ status: 409, body: { code: 'already_picked_up' } });
    const [pickedRow] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, picked.trackingNumber));
    expect(pickedRow!.voidedAt).toBeNull();
    expect(pickedRow!.pickedUpAt).toBeInstanceOf(Date);
    await journeyOf(moving.sandbox, picked.trackingNumber, ALL_STATUSES);
  });

  it('delivers to a corrected address after an address problem, and sends nothing back', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    await fate(s, booking.trackingNumber, { fate: 'address_problem' });
    await journeyOf(s, booking.trackingNumber, ['label_created', 'in_transit', 'out_for_delivery', 'exception/address_not_found']);
    await gateway.reroute('swiftship', booking.trackingNumber, berlin);
    const accepted = await journeyOf(s, booking.trackingNumber, [
      'label_created',
      'in_transit',
      'out_for_delivery',
      'exception/address_not_found',
      'out_for_delivery',
      'delivered',
    ]);
    expect(accepted.at(-1)!.event.location).toContain('Berlin');
    const [row] = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, booking.trackingNumber));
    expect(row!.destination).toEqual(berlin);
    const { cancelled } = await expectSettled(booking.trackingNumber);
    expect(cancelled).toBeGreaterThanOrEqual(2); // return_to_sender and returned
    await expect(gateway.reroute('swiftship', booking.trackingNumber, berlin)).rejects.toMatchObject({
      name: 'CarrierRejection',
      code: 'already_delivered',
    });
    const bad = await call(s, `/v1/shipments/${booking.trackingNumber}/reroute`, { destination: { city: 'Berlin' } });
    expect(bad.status).toBe(400);
  });

  it('moves the delivery into the customer\'s window, bringing the pickup forward', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    const before = Date.now();
    const from = new Date(before + 2 * DAY_MS);
    const to = new Date(from.getTime() + 4 * 3_600_000);
    await gateway.scheduleDelivery('swiftship', booking.trackingNumber, { from: from.toISOString(), to: to.toISOString() });
    const after = Date.now();
    const planned = await liveEvents(booking.trackingNumber);
    expect(planned.map((e) => e.status)).toEqual(ALL_STATUSES);
    const [, pickup, out, delivered] = planned.map((e) => e.occursAt.getTime());
    // Scaled: two days become 1.7 s; the middle of the window 1.8 s.
    expect(out!).toBeGreaterThanOrEqual(before + Math.round((from.getTime() - after) * TINY_SCALE) - 1);
    expect(out!).toBeLessThanOrEqual(after + Math.round((from.getTime() - before) * TINY_SCALE) + 1);
    expect(Math.abs(delivered! - out! - 2 * 3_600_000 * TINY_SCALE)).toBeLessThanOrEqual(1);
    expect(pickup!).toBeLessThan(out!);
    await journeyOf(s, booking.trackingNumber, ALL_STATUSES);
    await expectSettled(booking.trackingNumber);
    await expect(gateway.scheduleDelivery('swiftship', booking.trackingNumber, { from: from.toISOString(), to: to.toISOString() })).rejects.toMatchObject({
      code: 'already_delivered',
    });
    const backwards = await call(s, `/v1/shipments/${booking.trackingNumber}/delivery-window`, { from: to.toISOString(), to: from.toISOString() });
    expect(backwards.status).toBe(400);
  });

  it('moves the pickup to a new ship date, the rest of the journey with it', async () => {
    const real = await sandbox({ timeScale: 1 });
    const booking = await real.gateway.book(bookingRequest(), randomUUID());
    const original = (await liveEvents(booking.trackingNumber)).map((e) => e.occursAt.getTime());
    const shipDate = new Date(Date.now() + 3 * DAY_MS).toISOString().slice(0, 10);
    await real.gateway.reschedulePickup('swiftship', booking.trackingNumber, shipDate);
    const moved = await liveEvents(booking.trackingNumber);
    expect(moved.map((e) => e.status)).toEqual(ALL_STATUSES);
    const times = moved.map((e) => e.occursAt.getTime());
    // At scale 1 the pickup is the ship date's 09:00 UTC; everything after keeps its distance.
    expect(times[1]).toBe(Date.parse(`${shipDate}T09:00:00Z`));
    const delta = times[1]! - original[1]!;
    expect(times.slice(2)).toEqual(original.slice(2).map((t) => t + delta));
    expect(times[0]).toBe(original[0]);
    await expect(real.gateway.reschedulePickup('swiftship', booking.trackingNumber, '2030-02-30')).rejects.toMatchObject({ code: 'invalid_request' });

    // A parcel waiting a month is picked up at once when its ship date has come.
    const tiny = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const waiting = await tiny.gateway.book(bookingRequest(), randomUUID());
    const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    await tiny.gateway.reschedulePickup('swiftship', waiting.trackingNumber, yesterday);
    await journeyOf(tiny.sandbox, waiting.trackingNumber, ALL_STATUSES);
    await expectSettled(waiting.trackingNumber);
    await expect(tiny.gateway.reschedulePickup('swiftship', waiting.trackingNumber, yesterday)).rejects.toMatchObject({ code: 'already_delivered' });

    const moving = await sandbox({ timeScale: TINY_SCALE });
    const picked = await moving.gateway.book(bookingRequest(), randomUUID());
    await journeyOf(moving.sandbox, picked.trackingNumber, ['label_created', 'in_transit']);
    const late = await call(moving.sandbox, `/v1/shipments/${picked.trackingNumber}/pickup`, { shipDate: yesterday });
    expect(late).toMatchObject({ status: 409, body: { code: 'already_picked_up' } });
  });

  it('expedites a delayed parcel: out for delivery within half a day, tomorrow\'s ETA', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE });
    const booking = await gateway.book(bookingRequest(), randomUUID());
    // Thirty days late would be 26 s here; expedited it arrives in well under a second more.
    await fate(s, booking.trackingNumber, { fate: 'delayed', days: 30 });
    await journeyOf(s, booking.trackingNumber, ['label_created', 'in_transit', 'exception/delayed']);
    const { newEta } = await gateway.expedite('swiftship', booking.trackingNumber);
    expect(newEta).toBe(new Date(Date.now() + DAY_MS).toISOString().slice(0, 10));
    const planned = await liveEvents(booking.trackingNumber);
    const [out, delivered] = planned.slice(-2).map((e) => e.occursAt.getTime());
    expect(planned.slice(-2).map((e) => e.status)).toEqual(['out_for_delivery', 'delivered']);
    expect(delivered! - out!).toBe(Math.round(3 * 3_600_000 * TINY_SCALE));
    await journeyOf(s, booking.trackingNumber, ['label_created', 'in_transit', 'exception/delayed', 'out_for_delivery', 'delivered'], 5_000);
    await expectSettled(booking.trackingNumber);
    await expect(gateway.expedite('swiftship', booking.trackingNumber)).rejects.toMatchObject({ code: 'already_delivered' });
  });

  it('reaches the verbs through the carrier activities, a carrier\'s "no" as a business failure', async () => {
    const { sandbox: s, gateway } = await sandbox({ timeScale: TINY_SCALE, pickupAfterMs: 30 * DAY_MS });
    const activities = createCarrierActivities(gateway);
    const booking = await gateway.book(bookingRequest(), randomUUID());
    const target = { carrier: 'swiftship', trackingNumber: booking.trackingNumber };
    await activities.reschedulePickup({ ...target, shipDate: new Date(Date.now() + 2 * DAY_MS).toISOString().slice(0, 10) });
    await activities.rerouteShipment({ ...target, destination: berlin });
    await activities.scheduleDelivery({ ...target, window: { from: new Date(Date.now() + DAY_MS).toISOString(), to: new Date(Date.now() + DAY_MS + 3_600_000).toISOString() } });
    expect(await activities.expediteShipment(target)).toEqual({ newEta: new Date(Date.now() + DAY_MS).toISOString().slice(0, 10) });
    await journeyOf(s, booking.trackingNumber, ALL_STATUSES);
    expect(await activities.voidShipment(target)).toMatchObject({ voided: false });
    await expect(activities.expediteShipment(target)).rejects.toMatchObject({
      type: 'CarrierRejected',
      nonRetryable: true,
      details: [{ code: 'already_delivered' }],
    });
    await expect(activities.voidShipment({ carrier: 'swiftship', trackingNumber: 'SWS000000000000' })).rejects.toMatchObject({
      nonRetryable: true,
      details: [{ code: 'shipment_not_found' }],
    });
  });
});
