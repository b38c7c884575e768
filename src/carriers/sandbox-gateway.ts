import { z } from 'zod';
import {
  Booking,
  BookingRequest,
  CarrierRejection,
  DeliveryWindow,
  type CarrierTrackingEvent,
  RateQuote,
  RateRequest,
  type CarrierGateway,
} from './carrier-gateway';
import type { VoidOutcome } from '../domain/carrier-contract';
import { parsePolledEvents, type RefusedTrackingEvent } from './tracking-event-schema';

// Talks to a carrier API shaped like the sandbox's over HTTP. The split of failures is what
// Temporal needs: a CarrierRejection is the carrier's "no" (the activity turns it into a
// non-retryable failure); any other Error is infrastructure and is retried.

export interface HttpCarrierGatewayOptions {
  baseUrl: string;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  /** Told of each tracking event in a poll answer that is set aside as unusable. */
  onRefusedEvent?: (shipment: { carrier: string; trackingNumber: string }, refused: RefusedTrackingEvent) => void;
}

const QuotesResponse = z.object({ quotes: z.array(RateQuote) });
// Events are parsed one by one (see track): one bad event must not fail the whole answer.
const TrackingResponse = Booking.extend({ events: z.array(z.unknown()) });
// The verbs' answers: what they say beyond "done" is read where it matters (void, expedite).
const Done = z.object({}).loose();
const VoidAnswer = z.object({ voided: z.literal(true) }).loose();
const ExpediteAnswer = z.object({ newEta: z.iso.date() }).loose();
const Problem = z.object({ code: z.string().optional(), title: z.string().optional(), detail: z.string().optional() }).loose();

// Too many requests and request timeouts are 4xx but say "later", not "no".
const TRANSIENT_4XX = new Set([408, 425, 429]);

export class HttpCarrierGateway implements CarrierGateway {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly onRefusedEvent: NonNullable<HttpCarrierGatewayOptions['onRefusedEvent']>;

  constructor({ baseUrl, timeoutMs = 10_000, onRefusedEvent }: HttpCarrierGatewayOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.onRefusedEvent =
      onRefusedEvent ??
      ((shipment, refused) =>
        console.warn(`[carriers] ${shipment.carrier} ${shipment.trackingNumber}: tracking event ${refused.eventId ?? `#${refused.index}`} set aside: ${refused.reason}`));
  }

  async quote(request: RateRequest): Promise<RateQuote[]> {
    const body = await this.call('POST', '/v1/rates', QuotesResponse, checked(RateRequest, request));
    return body.quotes;
  }

  async book(request: BookingRequest, idempotencyKey: string): Promise<Booking> {
    if (idempotencyKey.trim() === '') throw new CarrierRejection('an idempotency key is required to book', 'idempotency_key_required');
    return this.call('POST', '/v1/shipments', Booking, checked(BookingRequest, request), { 'Idempotency-Key': idempotencyKey });
  }

  async track(carrier: string, trackingNumber: string): Promise<CarrierTrackingEvent[]> {
    const shipment = await this.call('GET', `/v1/shipments/${encodeURIComponent(trackingNumber)}`, TrackingResponse);
    if (shipment.carrier !== carrier) {
      throw new CarrierRejection(`${trackingNumber} is a ${shipment.carrier} shipment, not ${carrier}`, 'shipment_not_found');
    }
    const { events, refused } = parsePolledEvents(shipment.events);
    for (const r of refused) this.onRefusedEvent({ carrier, trackingNumber }, r);
    // An event about another parcel (or carrier) in this answer is not this parcel's news.
    return events.filter((e) => {
      const mine = e.carrier === carrier && e.trackingNumber === trackingNumber;
      if (!mine) this.onRefusedEvent({ carrier, trackingNumber }, { index: -1, eventId: e.eventId, reason: `it is about ${e.carrier} ${e.trackingNumber}` });
      return mine;
    });
  }

  async voidShipment(carrier: string, trackingNumber: string): Promise<VoidOutcome> {
    try {
      await this.call('POST', this.shipmentPath(trackingNumber, 'void'), VoidAnswer, { carrier });
      return { voided: true };
    } catch (error) {
      // Too late is an answer, not a failure: the parcel is on its way.
      if (error instanceof CarrierRejection && error.code === 'already_picked_up') return { voided: false, reason: error.message };
      throw error;
    }
  }

  async reroute(carrier: string, trackingNumber: string, destination: BookingRequest['destination']): Promise<void> {
    await this.call('POST', this.shipmentPath(trackingNumber, 'reroute'), Done, {
      carrier,
      destination: checked(BookingRequest.shape.destination, destination),
    });
  }

  async scheduleDelivery(carrier: string, trackingNumber: string, window: DeliveryWindow): Promise<void> {
    await this.call('POST', this.shipmentPath(trackingNumber, 'delivery-window'), Done, { carrier, ...checked(DeliveryWindow, window) });
  }

  async reschedulePickup(carrier: string, trackingNumber: string, shipDate: string): Promise<void> {
    await this.call('POST', this.shipmentPath(trackingNumber, 'pickup'), Done, { carrier, shipDate: checked(z.iso.date(), shipDate) });
  }

  async expedite(carrier: string, trackingNumber: string): Promise<{ newEta: string }> {
    const answer = await this.call('POST', this.shipmentPath(trackingNumber, 'expedite'), ExpediteAnswer, { carrier });
    return { newEta: answer.newEta };
  }

  private shipmentPath(trackingNumber: string, verb: string): string {
    return `/v1/shipments/${encodeURIComponent(trackingNumber)}/${verb}`;
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : describe(error);
      throw new Error(`carrier API ${method} ${url} failed: ${reason}`, { cause: error });
    }

    if (response.status >= 400 && response.status < 500 && !TRANSIENT_4XX.has(response.status)) {
      const problem = Problem.safeParse(safeJson(text));
      const detail = problem.success ? (problem.data.detail ?? problem.data.title) : undefined;
      const code = problem.success && problem.data.code ? problem.data.code : `http_${response.status}`;
      throw new CarrierRejection(detail ?? `carrier API answered ${response.status} to ${method} ${path}`, code);
    }
    if (!response.ok) throw new Error(`carrier API ${method} ${url} answered ${response.status}: ${text.slice(0, 200)}`);

    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new Error(`carrier API ${method} ${url} sent a malformed response: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }
}

/** A request the carrier would refuse with 400 is refused here already, the same way. */
function checked<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CarrierRejection(`invalid carrier request: ${z.prettifyError(parsed.error)}`, 'invalid_request');
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici hides the useful part (ECONNREFUSED, …) in the cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
