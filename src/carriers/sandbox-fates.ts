import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { TrackingStatus } from '../domain/carrier-contract';
import { scaleDuration } from '../domain/duration';

// What becomes of a sandbox parcel: its fate, drawn at booking from per-run probabilities
// (CARRIER_SANDBOX_FATES) or set by a test (`POST /sandbox/shipments/{tn}/fate`), and the
// tracking events each fate means. Pure: the sandbox server stores and sends them.

export const FATES = ['lost', 'damaged', 'delayed', 'refused', 'address_problem', 'on_time'] as const;
export type FateName = (typeof FATES)[number];
/** The fates CARRIER_SANDBOX_FATES may give a probability (on_time is what is left). */
export const DRAWN_FATES = ['lost', 'damaged', 'delayed', 'refused', 'address_problem'] as const satisfies readonly FateName[];
export type DrawnFate = (typeof DRAWN_FATES)[number];

/** A parcel's fate as stored in `shipments.fate`. */
export type Fate = {
  fate: FateName;
  /** delayed: how many days late (1–60). */
  days?: number;
  /** lost: the carrier never reports it; orderflow must presume it lost. */
  silent?: boolean;
};

export const FateRequest = z
  .object({
    fate: z.enum(FATES),
    days: z.number().int().min(1).max(60).optional(),
    silent: z.boolean().optional(),
  })
  .strict();

export type FateProbabilities = Partial<Record<DrawnFate, number>>;

/**
 * Parses CARRIER_SANDBOX_FATES: `lost=0.05,damaged=0.05,…`, each a probability 0–1, their
 * sum at most 1. Answers the probabilities, or a message saying what is wrong.
 */
export function parseFateProbabilities(text: string): { ok: true; value: FateProbabilities } | { ok: false; message: string } {
  const value: FateProbabilities = {};
  if (text.trim() === '' || text.trim().toLowerCase() === 'none') return { ok: true, value };
  let sum = 0;
  for (const [index, pair] of text.split(',').entries()) {
    const [rawName, rawProbability, ...rest] = pair.split('=');
    const name = (rawName ?? '').trim();
    const probabilityText = (rawProbability ?? '').trim();
    const probability = Number(probabilityText);
    if (!DRAWN_FATES.includes(name as DrawnFate)) {
      return { ok: false, message: `entry ${index + 1} ("${pair.trim()}"): "${name}" is not a fate (fates: ${DRAWN_FATES.join(', ')})` };
    }
    if (rest.length > 0 || probabilityText === '' || !Number.isFinite(probability) || probability < 0 || probability > 1) {
      return { ok: false, message: `entry ${index + 1} ("${pair.trim()}") is not fate=probability with a probability between 0 and 1` };
    }
    if (Object.hasOwn(value, name)) return { ok: false, message: `fate "${name}" is given twice` };
    value[name as DrawnFate] = probability;
    sum += probability;
  }
  if (sum > 1 + 1e-9) return { ok: false, message: `the probabilities add up to ${Number(sum.toFixed(6))}, more than 1` };
  return { ok: true, value };
}

/** Draws a booking's fate; undefined: the normal journey. `random` is 0 ≤ x < 1. */
export function drawFate(probabilities: FateProbabilities, random: () => number = Math.random): Fate | undefined {
  const roll = random();
  let cumulative = 0;
  for (const fate of DRAWN_FATES) {
    const p = probabilities[fate] ?? 0;
    if (p <= 0) continue;
    cumulative += p;
    if (roll < cumulative) return fate === 'delayed' ? { fate, days: randomInt(1, 4) } : { fate };
  }
  return undefined;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** An address nobody finds is held this long for a reroute, then sent back. */
export const ADDRESS_HOLD_MS = 5 * DAY_MS;

export interface Where {
  country: string;
  region: string;
  postalCode: string;
  city?: string;
}

export interface JourneyContext {
  carrierName: string;
  origin: Where;
  /** Where the parcel goes now (the booking's destination until a reroute). */
  destination: Where;
  transitDays: number;
  /** When it was booked: the original ETA is this date plus the transit days. */
  bookedAt: Date;
  timeScale: number;
}

/** One planned event, its gap (unscaled) after the one before it. */
export interface Step {
  status: TrackingStatus;
  statusDetail?: string;
  newEta?: string;
  gapMs: number;
  location: string;
  description: string;
}

export interface PlannedEvent {
  status: TrackingStatus;
  statusDetail?: string;
  newEta?: string;
  at: Date;
  location: string;
  description: string;
}

/** YYYY-MM-DD, `days` after `date` in the UTC calendar. */
export function addDays(date: Date, days: number): string {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days)).toISOString().slice(0, 10);
}

/** The date the booking promised, in the real calendar. */
export function originalEta(ctx: JourneyContext): string {
  return addDays(ctx.bookedAt, ctx.transitDays);
}

function places(ctx: JourneyContext) {
  const { origin, destination } = ctx;
  const city = destination.city ? `${destination.city}, ` : '';
  return {
    origin: `${origin.postalCode} ${origin.region}, ${origin.country}`,
    hub: `${ctx.carrierName} hub ${origin.region}, ${origin.country}`,
    depot: `${city}${destination.region}, ${destination.country}`,
    door: `${destination.postalCode} ${destination.city ?? destination.region}, ${destination.country}`,
  };
}

export function labelStep(ctx: JourneyContext): Step {
  return { status: 'label_created', gapMs: 0, location: places(ctx).origin, description: 'Shipment information received, label created' };
}

export function pickupStep(ctx: JourneyContext): Step {
  const domestic = ctx.origin.country === ctx.destination.country;
  return {
    status: 'in_transit',
    gapMs: 0,
    location: places(ctx).hub,
    description: domestic ? 'Departed origin facility' : `Departed origin facility, on its way to ${ctx.destination.country}`,
  };
}

export function outForDeliveryStep(ctx: JourneyContext, gapMs: number): Step {
  return { status: 'out_for_delivery', gapMs, location: places(ctx).depot, description: 'Out for delivery' };
}

export function deliveredStep(ctx: JourneyContext, gapMs: number): Step {
  return { status: 'delivered', gapMs, location: places(ctx).door, description: 'Delivered to the recipient' };
}

/**
 * The events from pickup (in_transit, gap 0) to the end of the journey a fate means.
 * The default journey keeps the sandbox's old timing: out for delivery transitDays·24 h − 5 h
 * after booking with the pickup 6 h after it, delivered 3 h later.
 */
export function journeyFromPickup(ctx: JourneyContext, fate: Fate | undefined): Step[] {
  const p = places(ctx);
  const transitLeg = Math.max(1, ctx.transitDays * 24 - 11) * HOUR_MS;
  const exception = (statusDetail: string, gapMs: number, description: string, location = p.hub): Step => ({
    status: 'exception',
    statusDetail,
    gapMs,
    location,
    description,
  });
  const returnToSender = (gapMs: number): Step => exception('return_to_sender', gapMs, 'Returning to sender', p.depot);
  const returned = (): Step => ({ status: 'returned', gapMs: ctx.transitDays * DAY_MS, location: p.origin, description: 'Returned to sender' });
  const pickup = pickupStep(ctx);
  switch (fate?.fate ?? 'on_time') {
    case 'lost':
      return fate?.silent ? [pickup] : [pickup, exception('lost', DAY_MS, 'Parcel lost in transit')];
    case 'damaged':
      return [pickup, exception('damaged', DAY_MS, 'Parcel damaged in transit')];
    case 'delayed': {
      const days = fate?.days ?? 2;
      const newEta = addDays(new Date(`${originalEta(ctx)}T00:00:00Z`), days);
      return [
        pickup,
        { ...exception('delayed', transitLeg / 2, `Delayed in transit, now expected on ${newEta}`), newEta },
        outForDeliveryStep(ctx, transitLeg / 2 + days * DAY_MS),
        deliveredStep(ctx, 3 * HOUR_MS),
      ];
    }
    case 'refused':
      return [
        pickup,
        outForDeliveryStep(ctx, transitLeg),
        exception('refused', 3 * HOUR_MS, 'Delivery refused by the recipient', p.door),
        returnToSender(HOUR_MS),
        returned(),
      ];
    case 'address_problem':
      return [
        pickup,
        outForDeliveryStep(ctx, transitLeg),
        exception('address_not_found', 3 * HOUR_MS, 'Address not found; held for a corrected address', p.depot),
        returnToSender(ADDRESS_HOLD_MS),
        returned(),
      ];
    case 'on_time':
      return [pickup, outForDeliveryStep(ctx, transitLeg), deliveredStep(ctx, 3 * HOUR_MS)];
  }
}

/**
 * Places steps in time: the first at `startAt` plus its (scaled) gap, each next one its
 * scaled gap later, strictly increasing (even at absurd scales) and never before `notBefore`.
 */
export function placeSteps(steps: readonly Step[], startAt: number, timeScale: number, notBefore = startAt): PlannedEvent[] {
  let previous = notBefore - 1;
  let cursor = startAt;
  return steps.map(({ gapMs, ...step }) => {
    cursor += gapMs === 0 ? 0 : scaleDuration(gapMs, timeScale);
    const at = Math.max(cursor, previous + 1);
    previous = at;
    cursor = at;
    return { ...step, at: new Date(at) };
  });
}
