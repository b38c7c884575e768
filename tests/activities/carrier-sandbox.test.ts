import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, isNotNull } from 'drizzle-orm';
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
