import { z } from 'zod';
import { exceptionKindOf, isReturnToSender } from '../domain/delivery-exception';
import { storableText, textFault } from '../domain/safe-text';
import { CarrierMoney, TRACKING_STATUSES, type CarrierTrackingEvent, type TrackingStatus } from './carrier-gateway';

// A carrier's tracking event as it comes over the wire (webhook body or poll answer),
// parsed so that whatever passes can be stored: an event Postgres would refuse must be
// stopped here, or it fails `recordTracking` for ever and every event behind it waits.

/** Parcels were not tracked before this, and a carrier's clock is not a day ahead of ours. */
const EARLIEST_EVENT = Date.UTC(2000, 0, 1);
const FUTURE_SLACK_MS = 24 * 3_600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An identifier is compared and deduplicated on: refused, never silently changed. */
const identifier = z
  .string()
  .min(1)
  .max(200)
  .superRefine((value, ctx) => {
    const fault = textFault(value);
    if (fault) ctx.addIssue({ code: 'custom', message: fault });
  });

const occurredAt = z.iso
  .datetime({ offset: true })
  .superRefine((value, ctx) => {
    const ms = Date.parse(value);
    if (!(ms >= EARLIEST_EVENT && ms <= Date.now() + FUTURE_SLACK_MS)) {
      ctx.addIssue({ code: 'custom', message: 'a time between 2000-01-01 and a day from now' });
    }
  })
  // One spelling (UTC, milliseconds) for every event, whatever offset the carrier used.
  .transform((value) => new Date(value).toISOString());

/**
 * Carriers' own words for trouble that are not one of our statuses (EasyPost's statuses,
 * karrio's incident reasons): each is an `exception` whose statusDetail is the word.
 */
const EXCEPTION_WORDS = new Set(['failure', 'available_for_pickup', 'cancelled', 'canceled', 'error', 'held', 'on_hold', 'attempted_delivery', 'delivery_attempted']);

/** A carrier's status word, spelled the one way: lower case, words joined by `_`. */
function wordOf(text: string): string {
  return text.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** Our status as it is, or a carrier's word for an exception; undefined: a word we do not know. */
export function normaliseStatus(text: string): { status: TrackingStatus; statusDetail?: string } | undefined {
  if ((TRACKING_STATUSES as readonly string[]).includes(text)) return { status: text as TrackingStatus };
  const word = wordOf(text);
  if ((TRACKING_STATUSES as readonly string[]).includes(word)) return { status: word as TrackingStatus };
  if (exceptionKindOf(word) || isReturnToSender(word) || EXCEPTION_WORDS.has(word)) return { status: 'exception', statusDetail: word };
  return undefined;
}

const status = z
  .string()
  .max(100)
  .transform((text, ctx) => {
    const normalised = normaliseStatus(text);
    if (!normalised) {
      ctx.addIssue({
        code: 'custom',
        message: `"${storableText(text).slice(0, 100)}" is not a tracking status (${TRACKING_STATUSES.join(', ')}) nor a carrier's word for an exception`,
      });
      return z.NEVER;
    }
    return normalised;
  });

/** A date Postgres and the calendar agree on, YYYY-MM-DD. */
const newEta = z.iso.date();

function eventSchema(freeText: z.ZodType<string>) {
  return z
    .object({
      eventId: identifier,
      carrier: identifier,
      trackingNumber: identifier,
      // Our shipment id comes back as the reference; a UUID is the same in any case.
      reference: identifier.transform((r) => (UUID.test(r) ? r.toLowerCase() : r)),
      status,
      // The carrier's own word: an explicit one wins over the one its status implied.
      statusDetail: identifier.transform(wordOf).optional(),
      newEta: newEta.optional(),
      // R6.1: the cash a carrier collected at the door (on `delivered`, cash on delivery).
      codCollected: CarrierMoney.optional(),
      occurredAt,
      location: freeText,
      description: freeText,
    })
    .transform(({ status: { status: normalised, statusDetail: implied }, statusDetail, newEta: eta, codCollected, ...rest }): CarrierTrackingEvent => {
      const detail = statusDetail ?? implied;
      return {
        ...rest,
        status: normalised,
        ...(detail ? { statusDetail: detail } : {}),
        ...(eta ? { newEta: eta } : {}),
        ...(codCollected ? { codCollected } : {}),
      };
    }) satisfies z.ZodType<CarrierTrackingEvent, unknown>;
}

/**
 * A webhook body: the carrier is there to be told, so text Postgres cannot store is
 * refused (422) like at every other boundary, and the carrier may send it again fixed.
 */
export const WebhookTrackingEvent = eventSchema(
  z
    .string()
    .max(1_000)
    .superRefine((value, ctx) => {
      const fault = textFault(value);
      if (fault) ctx.addIssue({ code: 'custom', message: fault });
    }),
);

/**
 * An event in a poll answer: nobody is there to be told, so free text is cleaned (NULs
 * dropped, lone surrogates replaced, cut to length) rather than losing the event.
 */
export const PolledTrackingEvent = eventSchema(z.string().transform((value) => storableText(value).slice(0, 1_000)));

export interface RefusedTrackingEvent {
  index: number;
  eventId?: string;
  reason: string;
}

/**
 * Parses a poll answer event by event: one bad event is set aside with its reason, and
 * the rest still reach the order, so a poison event never holds up those behind it.
 */
export function parsePolledEvents(raw: readonly unknown[]): { events: CarrierTrackingEvent[]; refused: RefusedTrackingEvent[] } {
  const events: CarrierTrackingEvent[] = [];
  const refused: RefusedTrackingEvent[] = [];
  raw.forEach((item, index) => {
    const parsed = PolledTrackingEvent.safeParse(item);
    if (parsed.success) events.push(parsed.data);
    else {
      const eventId = (item as { eventId?: unknown } | null)?.eventId;
      refused.push({
        index,
        eventId: typeof eventId === 'string' ? storableText(eventId).slice(0, 200) : undefined,
        reason: z.prettifyError(parsed.error),
      });
    }
  });
  return { events, refused };
}
