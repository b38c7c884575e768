import { z } from 'zod';
import type * as contract from '../domain/carrier-contract';
import { HANDLING_KINDS, SHIPPING_METHODS, TRACKING_STATUSES } from '../domain/carrier-contract';

// What orderflow needs from a carrier, whichever carrier it is. The sandbox speaks this
// over HTTP today; real carrier adapters implement the same interface later. The shapes
// are the domain's contract (src/domain/carrier-contract.ts); the parsers here check
// what crosses the boundary and must yield those shapes (`satisfies`).

export { SHIPPING_METHODS, TRACKING_STATUSES, type ShippingMethod, type TrackingStatus } from '../domain/carrier-contract';

export const Place = z.object({
  country: z.string().length(2),
  region: z.string().min(1),
  postalCode: z.string().min(1),
}) satisfies z.ZodType<contract.Place>;
export type Place = contract.Place;

export const Parcel = z.object({
  weightGrams: z.number().int().positive(),
  lengthCm: z.number().int().positive(),
  widthCm: z.number().int().positive(),
  heightCm: z.number().int().positive(),
}) satisfies z.ZodType<contract.Parcel>;
export type Parcel = contract.Parcel;

export const RateRequest = z.object({
  origin: Place,
  destination: Place,
  parcels: z.array(Parcel).min(1),
  /** Goods that need care (fragile, perishable, hazardous) narrow the services offered. */
  handling: z.array(z.enum(HANDLING_KINDS)).default([]),
  declaredValue: z.object({ amount: z.number().int().nonnegative(), currency: z.string().length(3) }),
}) satisfies z.ZodType<contract.RateRequest>;
export type RateRequest = contract.RateRequest;

export const RateQuote = z.object({
  carrier: z.string(),
  carrierName: z.string(),
  method: z.enum(SHIPPING_METHODS),
  service: z.string(),
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3),
  transitDays: z.number().int().positive(),
  /** Share of shipments delivered on the promised day, 0–1. */
  onTimeRate: z.number().min(0).max(1),
  /** Share of shipments damaged or lost, 0–1. */
  damageRate: z.number().min(0).max(1),
  /** Public rating, 0–5. */
  reputation: z.number().min(0).max(5),
}) satisfies z.ZodType<contract.RateQuote>;
export type RateQuote = contract.RateQuote;

/** R6.1: cash collected (or to collect) at the door, in minor units. */
export const CarrierMoney = z.object({
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
}) satisfies z.ZodType<contract.CarrierMoney>;

export const BookingRequest = z.object({
  carrier: z.string().min(1),
  service: z.string().min(1),
  /** Our shipment id; every tracking event carries it back. */
  reference: z.string().min(1),
  origin: Place,
  destination: Place.extend({
    name: z.string().min(1),
    line1: z.string().min(1),
    line2: z.string().optional(),
    city: z.string().min(1),
    phone: z.string().optional(),
  }),
  parcels: z.array(Parcel).min(1),
  cashOnDelivery: CarrierMoney.optional(),
}) satisfies z.ZodType<contract.BookingRequest>;
export type BookingRequest = contract.BookingRequest;

export const Booking = z.object({
  carrier: z.string(),
  service: z.string(),
  trackingNumber: z.string(),
  reference: z.string(),
  labelUrl: z.string(),
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3),
  createdAt: z.string(),
}) satisfies z.ZodType<contract.Booking>;
export type Booking = contract.Booking;

export const CarrierTrackingEvent = z.object({
  eventId: z.string().min(1),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
  reference: z.string().min(1),
  status: z.enum(TRACKING_STATUSES),
  /** The carrier's own word for an exception: lost, damaged, delayed, refused, address_not_found, return_to_sender, … */
  statusDetail: z.string().min(1).optional(),
  /** A delay's new delivery date, YYYY-MM-DD. */
  newEta: z.iso.date().optional(),
  codCollected: CarrierMoney.optional(),
  occurredAt: z.iso.datetime({ offset: true }),
  location: z.string(),
  description: z.string(),
}) satisfies z.ZodType<contract.CarrierTrackingEvent>;
export type CarrierTrackingEvent = contract.CarrierTrackingEvent;

/** The carrier said no (bad address, no service there, …): retrying will not help. */
export class CarrierRejection extends Error {
  override name = 'CarrierRejection';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface CarrierGateway {
  /** Quotes from every carrier that serves the lane. */
  quote(request: RateRequest): Promise<RateQuote[]>;
  /** Books a shipment; the same idempotency key always yields the same booking. */
  book(request: BookingRequest, idempotencyKey: string): Promise<Booking>;
  /** Every tracking event the carrier has for a shipment so far. */
  track(carrier: string, trackingNumber: string): Promise<CarrierTrackingEvent[]>;
  /** Voids a booking before pickup; once the carrier has the parcel the answer is `voided: false` with its reason. */
  voidShipment(carrier: string, trackingNumber: string): Promise<contract.VoidOutcome>;
  /** Sends the parcel to a corrected address. */
  reroute(carrier: string, trackingNumber: string, destination: BookingRequest['destination']): Promise<void>;
  /** Delivers within the customer's window. */
  scheduleDelivery(carrier: string, trackingNumber: string, window: contract.DeliveryWindow): Promise<void>;
  /** Moves the pickup to a new ship date (YYYY-MM-DD), before the parcel is handed over. */
  reschedulePickup(carrier: string, trackingNumber: string, shipDate: string): Promise<void>;
  /** Speeds up the rest of the journey; answers the new ETA (YYYY-MM-DD). */
  expedite(carrier: string, trackingNumber: string): Promise<{ newEta: string }>;
}

export const DeliveryWindow = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine((w) => Date.parse(w.from) <= Date.parse(w.to), { message: 'from must not be after to', path: ['to'] }) satisfies z.ZodType<contract.DeliveryWindow>;
export type DeliveryWindow = contract.DeliveryWindow;
