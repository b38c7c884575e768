import { createHash, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, asc, count, eq, gt, inArray, isNull, lt, lte, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../db/client';
import { sandboxEvents, sandboxShipments } from '../db/sandbox-schema';
import { scaleDuration } from '../domain/duration';
import { Booking, BookingRequest, CarrierTrackingEvent, DeliveryWindow, RateRequest } from './carrier-gateway';
import {
  FateRequest,
  addDays,
  deliveredStep,
  drawFate,
  journeyFromPickup,
  labelStep,
  outForDeliveryStep,
  pickupStep,
  placeSteps,
  type Fate,
  type FateProbabilities,
  type JourneyContext,
  type PlannedEvent,
  type Step,
} from './sandbox-fates';
import { billingCurrency, findCarrier, priceService, quoteRates, type SandboxCarrier } from './sandbox-rate-card';
import { SIGNATURE_HEADER, carrierWebhookSecret, signWebhook, type CarrierWebhookSecrets } from './webhook-signature';

// A stand-in for a multi-carrier API: quotes, bookings with idempotency keys, tracking,
// and signed webhooks pushed back to orderflow on the (scaled) schedule a real parcel
// would follow. Everything it promises lives in Postgres, so a restart loses nothing.

export interface CarrierSandboxOptions {
  db: Db;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** orderflow's public URL; a function when it is only known after the sandbox starts. */
  webhookBaseUrl: string | (() => string);
  /** Each carrier signs its webhooks with its own secret. */
  webhookSecrets: CarrierWebhookSecrets;
  /** ORDERFLOW_TIME_SCALE: 1 is real time, 0.001 turns a day into 86 s. */
  timeScale: number;
  /** CARRIER_SANDBOX_FATES: the chance of each fate, drawn at every booking; none by default. */
  fates?: FateProbabilities;
  /** CARRIER_SANDBOX_PICKUP_AFTER, unscaled: from booking to the pickup (in_transit) event; 6 h by default. */
  pickupAfterMs?: number;
  /** How often the dispatcher looks for due events. */
  pollIntervalMs?: number;
  /** First retry delay after a failed webhook; doubles each attempt up to 30 s. */
  retryBaseMs?: number;
  logger?: (message: string) => void;
}

export interface CarrierSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Runs one dispatcher pass now (tests use it instead of waiting for the interval). */
  tick(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const DEFAULT_PICKUP_AFTER_MS = 6 * HOUR_MS;
const RETRY_CAP_MS = 30_000;
const WEBHOOK_TIMEOUT_MS = 5_000;
/** A claimed event is hidden from other dispatchers this long; if we crash it comes back. */
const CLAIM_LEASE_MS = 60_000;
const CLAIM_BATCH = 50;
const SEND_CONCURRENCY = 8;

type ShipmentRow = typeof sandboxShipments.$inferSelect;
type EventRow = typeof sandboxEvents.$inferSelect;
type EventInsert = typeof sandboxEvents.$inferInsert;

export async function startCarrierSandbox(options: CarrierSandboxOptions): Promise<CarrierSandbox> {
  if (!(options.timeScale > 0)) throw new Error(`timeScale must be a positive number, got ${options.timeScale}`);
  const log = options.logger ?? ((message: string) => console.log(`[carrier-sandbox] ${message}`));
  const dispatcher = createDispatcher(options, log);
  const server = http.createServer(createApp(options, log));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  dispatcher.start();
  log(`listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    tick: () => dispatcher.pass(),
    close: () =>
      (closing ??= (async () => {
        await dispatcher.stop();
        // Requests in flight may finish (a booking half-answered would only be retried);
        // a client that holds its connection open is cut after a grace period.
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2_000).unref();
        });
      })()),
  };
}

const IdempotencyKey = z.string().min(1).max(255);
/** A verb may name the carrier it asks; a parcel of another carrier is then not found. */
const AskingCarrier = z.object({ carrier: z.string().min(1).optional() });

function createApp(options: CarrierSandboxOptions, log: (message: string) => void): express.Express {
  const { db } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb', type: ['application/json', 'application/*+json'] }));

  app.get('/healthz', async (_req, res) => {
    await db.execute(sql`select 1`);
    res.json({ status: 'ok' });
  });

  app.post('/v1/rates', (req, res) => {
    const parsed = RateRequest.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    res.json({ quotes: quoteRates(parsed.data) });
  });

  app.post('/v1/shipments', async (req, res) => {
    const key = IdempotencyKey.safeParse(req.get('Idempotency-Key'));
    if (!key.success) {
      return problem(res, 400, 'idempotency_key_required', 'Idempotency-Key header required', 'Send a unique Idempotency-Key (1–255 characters) with every booking.');
    }
    const parsed = BookingRequest.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const outcome = await bookShipment(options, parsed.data, key.data);
    if (!outcome.ok) return problem(res, 422, outcome.code, 'Booking refused', outcome.message);
    if (outcome.created) log(`booked ${outcome.shipment.carrier} ${outcome.shipment.trackingNumber} for ${outcome.shipment.reference}`);
    else res.set('Idempotent-Replayed', 'true');
    res.status(outcome.created ? 201 : 200).json(toBooking(outcome.shipment, baseUrlOf(req)));
  });

  app.get('/v1/shipments/:trackingNumber', async (req, res) => {
    const trackingNumber = req.params.trackingNumber;
    const [shipment] = await db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, trackingNumber));
    if (!shipment) return problem(res, 404, 'shipment_not_found', 'Shipment not found', `No shipment ${trackingNumber}.`);
    const events = await db
      .select()
      .from(sandboxEvents)
      .where(and(eq(sandboxEvents.trackingNumber, trackingNumber), isNull(sandboxEvents.cancelledAt), lte(sandboxEvents.occursAt, new Date())))
      .orderBy(asc(sandboxEvents.occursAt));
    const tracking = events.map((event) => toTrackingEvent(event, shipment));
    res.json({ ...toBooking(shipment, baseUrlOf(req)), status: tracking.at(-1)?.status ?? null, events: tracking });
  });

  // Real carriers hand out a printable label; a text one is enough to click through.
  app.get('/v1/shipments/:trackingNumber/label', async (req, res) => {
    const [shipment] = await db.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, req.params.trackingNumber));
    if (!shipment) return problem(res, 404, 'shipment_not_found', 'Shipment not found', `No shipment ${req.params.trackingNumber}.`);
    const request = BookingRequest.parse(shipment.request);
    const to = request.destination;
    res.type('text/plain').send(
      [
        `${findCarrier(shipment.carrier)?.name ?? shipment.carrier} — ${shipment.service}`,
        `Tracking: ${shipment.trackingNumber}`,
        `Ref: ${shipment.reference}`,
        '',
        to.name,
        to.line1,
        ...(to.line2 ? [to.line2] : []),
        `${to.postalCode} ${to.city}`,
        `${to.region} ${to.country}`,
      ].join('\n'),
    );
  });

  // ---- what a real carrier lets a shipper change (each idempotent) --------------------

  /** Runs a re-plan and answers it, or the carrier's refusal as problem+json. */
  const replanning =
    <B,>(schema: z.ZodType<B>, decide: (state: ParcelState, body: B, now: number) => Decision) =>
    async (req: Request<{ trackingNumber: string }>, res: Response) => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(res, parsed.error);
      const carrier = AskingCarrier.safeParse(req.body ?? {});
      if (!carrier.success) return invalid(res, carrier.error);
      try {
        const { answer, planned } = await replan(options, req.params.trackingNumber, carrier.data.carrier, (state, now) => decide(state, parsed.data, now));
        res.json({ trackingNumber: req.params.trackingNumber, ...answer, events: planned });
      } catch (error) {
        if (error instanceof Refusal) return problem(res, error.status, error.code, error.title, error.detail);
        throw error;
      }
    };

  app.post(
    '/v1/shipments/:trackingNumber/void',
    replanning(z.object({}).loose(), (state, _body, now) => {
      if (state.shipment.voidedAt) return { answer: { voided: true } };
      if (state.pickedUp) throw new Refusal(409, 'already_picked_up', 'Already picked up', `${state.shipment.trackingNumber} is in the carrier's hands and can no longer be voided.`);
      return { answer: { voided: true }, shipment: { voidedAt: new Date(now) } };
    }),
  );

  app.post(
    '/v1/shipments/:trackingNumber/reroute',
    replanning(z.object({ destination: BookingRequest.shape.destination }), (state, { destination }, now) => {
      refuseWhenClosed(state, 'rerouted');
      const ctx = { ...state.ctx, destination };
      const events = state.pickedUp
        ? placeSteps([outForDeliveryStep(ctx, 2 * HOUR_MS), deliveredStep(ctx, 3 * HOUR_MS)], now, ctx.timeScale, now + 1)
        : placeSteps(journeyFromPickup(ctx, undefined), Math.max(now, state.plannedPickupAt ?? now), ctx.timeScale, now + 1);
      return { answer: {}, events, shipment: { destination, fate: { fate: 'on_time' } } };
    }),
  );

  app.post(
    '/v1/shipments/:trackingNumber/delivery-window',
    replanning(
      DeliveryWindow,
      (state, window, now) => {
        refuseWhenClosed(state, 'scheduled');
        const { ctx } = state;
        const from = Date.parse(window.from);
        const middle = (from + Date.parse(window.to)) / 2;
        const outAt = now + scaleDuration(from - now, ctx.timeScale);
        const deliverAt = Math.max(outAt + 1, now + scaleDuration(middle - now, ctx.timeScale));
        const events: PlannedEvent[] = [];
        if (!state.pickedUp) {
          const pickupAt = Math.max(now + 1, Math.min(state.plannedPickupAt ?? now, outAt - 1));
          events.push(at(pickupStep(ctx), pickupAt));
        }
        events.push(at(outForDeliveryStep(ctx, 0), Math.max(outAt, (events.at(-1)?.at.getTime() ?? now) + 1)));
        events.push(at(deliveredStep(ctx, 0), Math.max(deliverAt, events.at(-1)!.at.getTime() + 1)));
        return { answer: {}, events };
      },
    ),
  );

  app.post(
    '/v1/shipments/:trackingNumber/pickup',
    replanning(z.object({ shipDate: z.iso.date() }), (state, { shipDate }, now) => {
      refuseWhenClosed(state, 'rescheduled');
      if (state.pickedUp) throw new Refusal(409, 'already_picked_up', 'Already picked up', `${state.shipment.trackingNumber} was picked up already.`);
      const pickupAt = now + scaleDuration(Date.parse(`${shipDate}T09:00:00Z`) - now, state.ctx.timeScale);
      if (state.plannedPickupAt === undefined) {
        return { answer: {}, events: placeSteps(journeyFromPickup(state.ctx, state.fate), pickupAt, state.ctx.timeScale, now + 1) };
      }
      const delta = pickupAt - state.plannedPickupAt;
      let previous = now;
      const events = state.cancelled.map((event) => {
        const time = Math.max(event.occursAt.getTime() + delta, previous + 1);
        previous = time;
        return { ...plannedOf(event), at: new Date(time) };
      });
      return { answer: {}, events };
    }),
  );

  app.post(
    '/v1/shipments/:trackingNumber/expedite',
    replanning(z.object({}).loose(), (state, _body, now) => {
      refuseWhenClosed(state, 'expedited');
      const { ctx } = state;
      const rest = [outForDeliveryStep(ctx, 12 * HOUR_MS), deliveredStep(ctx, 3 * HOUR_MS)];
      const events = placeSteps(state.pickedUp ? rest : [pickupStep(ctx), ...rest], now, ctx.timeScale, now + 1);
      return { answer: { newEta: addDays(new Date(now), 1) }, events };
    }),
  );

  // ---- the sandbox's own controls: what no real carrier offers ------------------------

  app.post(
    '/sandbox/shipments/:trackingNumber/fate',
    replanning(FateRequest, (state, body, now) => {
      refuseWhenClosed(state, 'given a new fate');
      const fate: Fate = {
        fate: body.fate,
        ...(body.fate === 'delayed' ? { days: body.days ?? 2 } : {}),
        ...(body.fate === 'lost' && body.silent ? { silent: true } : {}),
      };
      const steps = journeyFromPickup(state.ctx, fate);
      const events = state.pickedUp
        ? placeSteps(afterProgress(steps, state), now, state.ctx.timeScale, now + 1)
        : // A fate set by hand is what the caller wants to see: the parcel is collected now.
          placeSteps(steps, now, state.ctx.timeScale, now + 1);
      return { answer: fate, events, shipment: { fate } };
    }),
  );

  app.use((req, res) => problem(res, 404, 'not_found', 'Not found', `${req.method} ${req.path} is not part of the carrier API.`));

  // Express recognises an error handler by its four parameters, so `_next` must stay.
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.parse.failed') return problem(res, 400, 'invalid_json', 'Malformed JSON', 'The request body is not valid JSON.');
    if (type === 'entity.too.large') return problem(res, 413, 'body_too_large', 'Body too large', 'The request body exceeds 256 kB.');
    log(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    problem(res, 500, 'internal_error', 'Internal error', 'The carrier sandbox failed to handle the request.');
  };
  app.use(onError);
  return app;
}

function problem(
  res: Response,
  status: number,
  code: string,
  title: string,
  detail: string,
  errors?: { field: string; message: string }[],
): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: `urn:orderflow:carrier-sandbox:${code}`, title, status, detail, code, ...(errors ? { errors } : {}) });
}

function invalid(res: Response, error: z.ZodError): void {
  const errors = error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  problem(res, 400, 'invalid_request', 'Invalid request', `${errors.length} field(s) failed validation.`, errors);
}

function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

function toBooking(shipment: ShipmentRow, baseUrl: string): Booking {
  return Booking.parse({
    carrier: shipment.carrier,
    service: shipment.service,
    trackingNumber: shipment.trackingNumber,
    reference: shipment.reference,
    labelUrl: `${baseUrl}/v1/shipments/${encodeURIComponent(shipment.trackingNumber)}/label`,
    amount: shipment.amount,
    currency: shipment.currency,
    createdAt: shipment.createdAt.toISOString(),
  });
}

/** R6.1: what the booking asked the driver to collect, reported on the delivered event. */
function codOf(event: EventRow, shipment: Pick<ShipmentRow, 'request'>): { codCollected?: unknown } {
  if (event.status !== 'delivered') return {};
  const cod = (shipment.request as { cashOnDelivery?: unknown } | null)?.cashOnDelivery;
  return cod ? { codCollected: cod } : {};
}

function toTrackingEvent(event: EventRow, shipment: Pick<ShipmentRow, 'carrier' | 'reference' | 'request'>): CarrierTrackingEvent {
  return CarrierTrackingEvent.parse({
    eventId: event.eventId,
    carrier: shipment.carrier,
    trackingNumber: event.trackingNumber,
    reference: shipment.reference,
    status: event.status,
    ...(event.statusDetail ? { statusDetail: event.statusDetail } : {}),
    ...(event.newEta ? { newEta: event.newEta } : {}),
    ...codOf(event, shipment),
    occurredAt: event.occursAt.toISOString(),
    location: event.location,
    description: event.description,
  });
}

type BookOutcome =
  | { ok: true; created: boolean; shipment: ShipmentRow }
  | { ok: false; code: string; message: string };

async function bookShipment(options: CarrierSandboxOptions, request: BookingRequest, idempotencyKey: string): Promise<BookOutcome> {
  const { db } = options;
  const requestHash = fingerprint(request);
  const replay = await findByKey(db, idempotencyKey, requestHash);
  if (replay) return replay;

  const carrier = findCarrier(request.carrier);
  if (!carrier) return { ok: false, code: 'unknown_carrier', message: `No carrier "${request.carrier}".` };
  const service = carrier.services.find((candidate) => candidate.code === request.service);
  if (!service) {
    return {
      ok: false,
      code: 'unknown_service',
      message: `${carrier.name} has no service "${request.service}" (offers: ${carrier.services.map((s) => s.code).join(', ')}).`,
    };
  }
  const price = priceService(carrier, service, request);
  if (!price.ok) return { ok: false, code: price.code, message: price.message };

  // The unique index on idempotency_key decides concurrent twins: one insert wins, the
  // others insert nothing and read the winner back. A clash on the random tracking
  // number also inserts nothing; then we simply draw another.
  for (let attempt = 0; attempt < 5; attempt++) {
    const createdAt = new Date();
    const trackingNumber = newTrackingNumber(carrier, request.origin.country);
    const fate = drawFate(options.fates ?? {});
    const inserted = await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sandboxShipments)
        .values({
          trackingNumber,
          carrier: carrier.code,
          service: service.code,
          reference: request.reference,
          idempotencyKey,
          requestHash,
          request,
          amount: price.amount,
          currency: billingCurrency(request.origin.country),
          fate: fate ?? null,
          createdAt,
        })
        .onConflictDoNothing()
        .returning();
      if (row) await tx.insert(sandboxEvents).values(plannedEvents(row, carrier, request, price.transitDays, fate, options));
      return row;
    });
    if (inserted) return { ok: true, created: true, shipment: inserted };
    const winner = await findByKey(db, idempotencyKey, requestHash);
    if (winner) return winner;
  }
  throw new Error('could not allocate a unique tracking number');
}

async function findByKey(db: Db, idempotencyKey: string, requestHash: string): Promise<BookOutcome | undefined> {
  const [existing] = await db.select().from(sandboxShipments).where(eq(sandboxShipments.idempotencyKey, idempotencyKey));
  if (!existing) return undefined;
  if (existing.requestHash !== requestHash) {
    return {
      ok: false,
      code: 'idempotency_key_reused',
      message: 'This Idempotency-Key was already used for a different booking request.',
    };
  }
  return { ok: true, created: false, shipment: existing };
}

/** The same request always hashes the same, whatever order its keys arrived in. */
function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(randomInt(10));
  return out;
}

/** Each carrier's numbers look like its real-world counterpart's. */
function newTrackingNumber(carrier: SandboxCarrier, originCountry: string): string {
  switch (carrier.code) {
    case 'swiftship':
      return `SWS${digits(12)}`;
    case 'terraline':
      return `TL${digits(12)}`;
    case 'budgetpost': {
      // A UPU S10 number, as postal operators use: 2 letters, 8 digits, check digit, country.
      const serial = digits(8);
      const weights = [8, 6, 4, 2, 3, 5, 9, 7];
      const sum = [...serial].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
      const check = 11 - (sum % 11);
      return `BP${serial}${check === 10 ? 0 : check === 11 ? 5 : check}${originCountry.toUpperCase()}`;
    }
    default:
      return `${carrier.code.slice(0, 3).toUpperCase()}${digits(12)}`;
  }
}

/** The whole life of a parcel, decided at booking from its fate: times are scaled by the time scale. */
function plannedEvents(
  shipment: ShipmentRow,
  carrier: SandboxCarrier,
  request: BookingRequest,
  transitDays: number,
  fate: Fate | undefined,
  options: CarrierSandboxOptions,
): EventInsert[] {
  const ctx: JourneyContext = {
    carrierName: carrier.name,
    origin: request.origin,
    destination: request.destination,
    transitDays,
    bookedAt: shipment.createdAt,
    timeScale: options.timeScale,
  };
  const t0 = shipment.createdAt.getTime();
  const pickupAt = t0 + scaleDuration(options.pickupAfterMs ?? DEFAULT_PICKUP_AFTER_MS, options.timeScale);
  const planned = [...placeSteps([labelStep(ctx)], t0, options.timeScale), ...placeSteps(journeyFromPickup(ctx, fate), pickupAt, options.timeScale, t0 + 1)];
  return planned.map((event, index) => eventRow(shipment.trackingNumber, index + 1, event));
}

function eventRow(trackingNumber: string, sequence: number, event: PlannedEvent): EventInsert {
  return {
    eventId: `${trackingNumber}-${String(sequence).padStart(2, '0')}`,
    trackingNumber,
    status: event.status,
    statusDetail: event.statusDetail ?? null,
    newEta: event.newEta ?? null,
    description: event.description,
    location: event.location,
    occursAt: event.at,
    dueAt: event.at,
  };
}

// ---- re-planning a parcel's journey ------------------------------------------------

/** The carrier's "no" to a change: answered as problem+json, nothing written. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A parcel as a change finds it, once its future (unsent) events have been cancelled. */
interface ParcelState {
  shipment: ShipmentRow;
  ctx: JourneyContext;
  fate: Fate | undefined;
  /** What happened (or is being sent right now): the events left after cancelling the future. */
  happened: EventRow[];
  /** The future just cancelled, in order. */
  cancelled: EventRow[];
  /** A pickup (in_transit) event has happened: the parcel is in the carrier's hands. */
  pickedUp: boolean;
  lastStatus: string | undefined;
  closed: 'delivered' | 'returned' | 'voided' | undefined;
  /** When the cancelled plan had the pickup, if it had not happened yet. */
  plannedPickupAt: number | undefined;
}

interface Decision {
  answer: Record<string, unknown>;
  /** The new future; none leaves the parcel where it is. */
  events?: PlannedEvent[];
  shipment?: Partial<Pick<ShipmentRow, 'fate' | 'destination' | 'voidedAt'>>;
}

/**
 * Re-plans a parcel: under the shipment's row lock, cancels every event that has not
 * happened (its time still ahead, not claimed by a dispatcher), lets `decide` look at what
 * is left and plan the new future, and inserts it under fresh event ids (numbered on
 * after every event the parcel ever had). A Refusal rolls all of it back.
 */
async function replan(
  options: CarrierSandboxOptions,
  trackingNumber: string,
  carrier: string | undefined,
  decide: (state: ParcelState, now: number) => Decision,
): Promise<{ answer: Record<string, unknown>; planned: CarrierTrackingEvent[] }> {
  return options.db.transaction(async (tx) => {
    const [shipment] = await tx.select().from(sandboxShipments).where(eq(sandboxShipments.trackingNumber, trackingNumber)).for('update');
    if (!shipment || (carrier !== undefined && carrier !== shipment.carrier)) {
      throw new Refusal(404, 'shipment_not_found', 'Shipment not found', `No ${carrier ?? ''} shipment ${trackingNumber}.`.replace('  ', ' '));
    }
    const now = Date.now();
    const cancelled = await tx
      .update(sandboxEvents)
      .set({ cancelledAt: new Date(now) })
      .where(
        and(
          eq(sandboxEvents.trackingNumber, trackingNumber),
          isNull(sandboxEvents.cancelledAt),
          isNull(sandboxEvents.deliveredAt),
          gt(sandboxEvents.occursAt, new Date(now)),
          // A dispatcher that claimed it (its lease moved dueAt) is sending it: it happened.
          eq(sandboxEvents.dueAt, sandboxEvents.occursAt),
        ),
      )
      .returning();
    cancelled.sort((a, b) => a.occursAt.getTime() - b.occursAt.getTime());
    const happened = await tx
      .select()
      .from(sandboxEvents)
      .where(and(eq(sandboxEvents.trackingNumber, trackingNumber), isNull(sandboxEvents.cancelledAt)))
      .orderBy(asc(sandboxEvents.occursAt));
    const state = stateOf(shipment, happened, cancelled, options.timeScale);
    const decision = decide(state, now);

    const pickup = happened.find((event) => event.status === 'in_transit');
    const changes = { ...decision.shipment, ...(pickup && !shipment.pickedUpAt ? { pickedUpAt: pickup.occursAt } : {}) };
    if (Object.keys(changes).length > 0) await tx.update(sandboxShipments).set(changes).where(eq(sandboxShipments.trackingNumber, trackingNumber));
    const future = decision.events ?? [];
    if (future.length === 0) return { answer: decision.answer, planned: [] };
    const [{ total }] = (await tx.select({ total: count() }).from(sandboxEvents).where(eq(sandboxEvents.trackingNumber, trackingNumber))) as [
      { total: number },
    ];
    const rows = await tx
      .insert(sandboxEvents)
      .values(future.map((event, index) => eventRow(trackingNumber, total + index + 1, event)))
      .returning();
    return { answer: decision.answer, planned: rows.map((row) => toTrackingEvent(row, shipment)) };
  });
}

function stateOf(shipment: ShipmentRow, happened: EventRow[], cancelled: EventRow[], timeScale: number): ParcelState {
  const request = BookingRequest.parse(shipment.request);
  const carrier = findCarrier(shipment.carrier);
  const service = carrier?.services.find((candidate) => candidate.code === shipment.service);
  const price = carrier && service ? priceService(carrier, service, request) : undefined;
  const destination = shipment.destination ? BookingRequest.shape.destination.parse(shipment.destination) : request.destination;
  const statuses = new Set(happened.map((event) => event.status));
  const pickedUp = statuses.has('in_transit');
  return {
    shipment,
    ctx: {
      carrierName: carrier?.name ?? shipment.carrier,
      origin: request.origin,
      destination,
      transitDays: price?.ok ? price.transitDays : 2,
      bookedAt: shipment.createdAt,
      timeScale,
    },
    fate: (shipment.fate as Fate | null) ?? undefined,
    happened,
    cancelled,
    pickedUp,
    lastStatus: happened.at(-1)?.status,
    closed: shipment.voidedAt ? 'voided' : statuses.has('delivered') ? 'delivered' : statuses.has('returned') ? 'returned' : undefined,
    plannedPickupAt: pickedUp ? undefined : cancelled.find((event) => event.status === 'in_transit')?.occursAt.getTime(),
  };
}

function refuseWhenClosed(state: ParcelState, what: string): void {
  if (state.closed) {
    throw new Refusal(409, `already_${state.closed}`, `Already ${state.closed}`, `${state.shipment.trackingNumber} was ${state.closed} and can no longer be ${what}.`);
  }
}

/** A fate's journey for a parcel already on its way: no second pickup, no second round out for delivery. */
function afterProgress(steps: Step[], state: ParcelState): Step[] {
  const rest = steps.filter((step) => step.status !== 'in_transit');
  return state.lastStatus === 'out_for_delivery' && rest[0]?.status === 'out_for_delivery' ? rest.slice(1) : rest;
}

function at(step: Step, time: number): PlannedEvent {
  const { gapMs: _gap, ...event } = step;
  return { ...event, at: new Date(time) };
}

function plannedOf(event: EventRow): Omit<PlannedEvent, 'at'> {
  return {
    status: event.status as PlannedEvent['status'],
    ...(event.statusDetail ? { statusDetail: event.statusDetail } : {}),
    ...(event.newEta ? { newEta: event.newEta } : {}),
    location: event.location,
    description: event.description,
  };
}

interface Dispatcher {
  start(): void;
  pass(): Promise<void>;
  stop(): Promise<void>;
}

function createDispatcher(options: CarrierSandboxOptions, log: (message: string) => void): Dispatcher {
  const { db, webhookSecrets } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const retryBaseMs = options.retryBaseMs ?? 500;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Passes never overlap inside one process; `chain` is the one in flight (or the last).
  let chain: Promise<void> = Promise.resolve();

  const targetFor = (carrier: string) => {
    const base = typeof options.webhookBaseUrl === 'function' ? options.webhookBaseUrl() : options.webhookBaseUrl;
    return `${base.replace(/\/+$/, '')}/v1/carriers/${encodeURIComponent(carrier)}/webhooks`;
  };

  /** Claims due events, at most one per shipment and only its earliest undelivered one, so each parcel's events go out in order. */
  async function claimDue(): Promise<{ event: EventRow; shipment: Pick<ShipmentRow, 'carrier' | 'reference' | 'request'> }[]> {
    const now = new Date();
    const earlier = alias(sandboxEvents, 'earlier');
    const due = db
      .select({ eventId: sandboxEvents.eventId })
      .from(sandboxEvents)
      .where(
        and(
          isNull(sandboxEvents.deliveredAt),
          isNull(sandboxEvents.cancelledAt),
          lte(sandboxEvents.occursAt, now),
          lte(sandboxEvents.dueAt, now),
          notExists(
            db
              .select({ one: sql`1` })
              .from(earlier)
              .where(
                and(
                  eq(earlier.trackingNumber, sandboxEvents.trackingNumber),
                  isNull(earlier.deliveredAt),
                  isNull(earlier.cancelledAt),
                  lt(earlier.occursAt, sandboxEvents.occursAt),
                ),
              ),
          ),
        ),
      )
      .orderBy(asc(sandboxEvents.dueAt))
      .limit(CLAIM_BATCH)
      .for('update', { skipLocked: true });
    // Leasing (pushing dueAt ahead) rather than holding a lock keeps no transaction open
    // across the HTTP calls, and still lets two sandboxes on one database share the work.
    const claimed = await db
      .update(sandboxEvents)
      .set({ dueAt: new Date(now.getTime() + CLAIM_LEASE_MS) })
      .where(and(inArray(sandboxEvents.eventId, due), isNull(sandboxEvents.cancelledAt)))
      .returning();
    if (claimed.length === 0) return [];
    const shipments = await db
      .select({
        trackingNumber: sandboxShipments.trackingNumber,
        carrier: sandboxShipments.carrier,
        reference: sandboxShipments.reference,
        request: sandboxShipments.request,
      })
      .from(sandboxShipments)
      .where(inArray(sandboxShipments.trackingNumber, [...new Set(claimed.map((event) => event.trackingNumber))]));
    const byNumber = new Map(shipments.map((shipment) => [shipment.trackingNumber, shipment]));
    return claimed
      .sort((a, b) => a.occursAt.getTime() - b.occursAt.getTime())
      .flatMap((event) => {
        const shipment = byNumber.get(event.trackingNumber);
        return shipment ? [{ event, shipment }] : [];
      });
  }

  async function send(event: EventRow, shipment: Pick<ShipmentRow, 'carrier' | 'reference' | 'request'>): Promise<boolean> {
    const target = targetFor(shipment.carrier);
    let failure: string;
    try {
      const secret = carrierWebhookSecret(webhookSecrets, shipment.carrier);
      if (secret === undefined) throw new Error(`no webhook secret for carrier ${shipment.carrier}`);
      const body = JSON.stringify(toTrackingEvent(event, shipment));
      const response = await fetch(target, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, body),
          'User-Agent': 'orderflow-carrier-sandbox',
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) {
        await db
          .update(sandboxEvents)
          .set({ deliveredAt: new Date(), attempts: event.attempts + 1, lastError: null })
          .where(and(eq(sandboxEvents.eventId, event.eventId), isNull(sandboxEvents.deliveredAt)));
        // The parcel left the shipper: from now on it cannot be voided (see `stateOf`).
        if (event.status === 'in_transit') {
          await db
            .update(sandboxShipments)
            .set({ pickedUpAt: event.occursAt })
            .where(and(eq(sandboxShipments.trackingNumber, event.trackingNumber), isNull(sandboxShipments.pickedUpAt)));
        }
        return true;
      }
      failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = describeFailure(error);
    }
    const attempts = event.attempts + 1;
    const delayMs = Math.min(RETRY_CAP_MS, retryBaseMs * 2 ** Math.min(attempts - 1, 20));
    await db
      .update(sandboxEvents)
      .set({ attempts, lastError: failure.slice(0, 500), dueAt: new Date(Date.now() + delayMs) })
      .where(eq(sandboxEvents.eventId, event.eventId));
    // Attempts 1, 2, 4, 8, …: a long outage on orderflow's side should not flood the log.
    if ((attempts & (attempts - 1)) === 0) {
      log(`webhook ${event.eventId} (${event.status}) to ${target} failed, attempt ${attempts}: ${failure}; retrying in ${delayMs} ms`);
    }
    return false;
  }

  /** Sends until nothing due is left, so one pass walks a parcel through every event already due. */
  async function runPass(): Promise<void> {
    while (!stopped) {
      const batch = await claimDue();
      if (batch.length === 0) return;
      let delivered = 0;
      for (let i = 0; i < batch.length; i += SEND_CONCURRENCY) {
        const results = await Promise.all(batch.slice(i, i + SEND_CONCURRENCY).map(({ event, shipment }) => send(event, shipment)));
        delivered += results.filter(Boolean).length;
      }
      if (delivered === 0) return;
    }
  }

  function pass(): Promise<void> {
    if (stopped) return chain;
    chain = chain.then(runPass).catch((error: unknown) => {
      // A database hiccup must not kill the process; the next pass tries again.
      log(`dispatcher pass failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    return chain;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void pass().then(schedule);
    }, pollIntervalMs);
    timer.unref();
  }

  return {
    start: schedule,
    pass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
    },
  };
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED, …) in the cause.
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}
