// What orderflow and a carrier say to each other, whichever carrier it is: the shapes
// workflows, activities and the carrier adapters share. The carrier boundary parses
// them with zod (src/carriers/carrier-gateway.ts), checked against these types. Type
// aliases, not interfaces: they are stored as JSON columns, which want plain records.

export const SHIPPING_METHODS = ['express_parcel', 'ground', 'air', 'freight'] as const;
export type ShippingMethod = (typeof SHIPPING_METHODS)[number];

// `exception`: something went wrong (its `statusDetail` says what); `returned`: the parcel
// is back at the shipper (after a refusal or an address nobody could find).
export const TRACKING_STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

export const HANDLING_KINDS = ['standard', 'fragile', 'perishable', 'hazardous'] as const;
export type HandlingKind = (typeof HANDLING_KINDS)[number];

export type Place = {
  country: string;
  region: string;
  postalCode: string;
};

export type Parcel = {
  weightGrams: number;
  lengthCm: number;
  widthCm: number;
  heightCm: number;
};

export type RateRequest = {
  origin: Place;
  destination: Place;
  parcels: Parcel[];
  /** Goods that need care (fragile, perishable, hazardous) narrow the services offered. */
  handling?: HandlingKind[];
  declaredValue: { amount: number; currency: string };
};

export type RateQuote = {
  carrier: string;
  carrierName: string;
  method: ShippingMethod;
  service: string;
  amount: number;
  currency: string;
  transitDays: number;
  /** Share of shipments delivered on the promised day, 0–1. */
  onTimeRate: number;
  /** Share of shipments damaged or lost, 0–1. */
  damageRate: number;
  /** Public rating, 0–5. */
  reputation: number;
};

/** An amount of money: minor units of `currency`. */
export type CarrierMoney = { amount: number; currency: string };

export type BookingRequest = {
  carrier: string;
  service: string;
  /** Our shipment id; every tracking event carries it back. */
  reference: string;
  origin: Place;
  destination: Place & { name: string; line1: string; line2?: string; city: string; phone?: string };
  parcels: Parcel[];
  /** R6.1: cash on delivery: what the carrier collects from the recipient at the door. */
  cashOnDelivery?: CarrierMoney;
};

export type Booking = {
  carrier: string;
  service: string;
  trackingNumber: string;
  reference: string;
  labelUrl: string;
  amount: number;
  currency: string;
  createdAt: string;
};

export type CarrierTrackingEvent = {
  eventId: string;
  carrier: string;
  trackingNumber: string;
  reference: string;
  status: TrackingStatus;
  /** The carrier's own word for an exception: lost, damaged, delayed, refused, address_not_found, return_to_sender, … */
  statusDetail?: string;
  /** A delay's new delivery date, YYYY-MM-DD. */
  newEta?: string;
  /** R6.1: on a `delivered` event, the cash the carrier collected at the door (COD). */
  codCollected?: CarrierMoney;
  occurredAt: string;
  location: string;
  description: string;
};

/** The customer's delivery window (R5.1), ISO instants. */
export type DeliveryWindow = { from: string; to: string };

/** The carrier's answer to a void: refused once the parcel is in its hands. */
export type VoidOutcome = { voided: true } | { voided: false; reason: string };
