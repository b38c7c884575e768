import { RateRequest, type Parcel, type Place, type RateQuote, type ShippingMethod } from './carrier-gateway';

// The sandbox carriers' published tariffs. Pure and deterministic, so the planner's tests
// can reason about which carrier wins. Every amount is integer minor units of whatever
// currency the shipper declared in; the sandbox does no currency conversion, so a price
// is the same number in EUR as in USD.

export type Zone = 'region' | 'country' | 'international';
export type Handling = 'standard' | 'fragile' | 'perishable' | 'hazardous';
export type Lane = { origin: Place; destination: Place };

export interface SandboxService {
  /** The service code a booking names. */
  code: string;
  method: ShippingMethod;
  name: string;
  baseAmount: number;
  perKgAmount: number;
  zoneSurcharge: Record<Zone, number>;
  /** Absent for a zone the service does not run. */
  transitDays: Partial<Record<Zone, number>>;
  /** Heaviest single parcel the service takes. */
  maxParcelGrams: number;
  /** Lightest consignment worth the service (a pallet for freight). */
  minTotalGrams: number;
  accepts: readonly Handling[];
}

export interface SandboxCarrier {
  code: string;
  name: string;
  reputation: number;
  onTimeRate: number;
  damageRate: number;
  /** Countries whose pairs the carrier runs across borders; domestic is covered separately. */
  crossBorder: 'everywhere' | 'none' | readonly (readonly [string, string])[];
  services: readonly SandboxService[];
}

const KG = 1000;
const ALL_HANDLING = ['standard', 'fragile', 'perishable', 'hazardous'] as const;
// Perishables need speed; dangerous goods may not fly.
const GROUND_HANDLING = ['standard', 'fragile', 'hazardous'] as const;
const AIR_HANDLING = ['standard', 'fragile', 'perishable'] as const;

export const SANDBOX_CARRIERS: readonly SandboxCarrier[] = [
  {
    code: 'swiftship',
    name: 'SwiftShip Express',
    reputation: 4.6,
    onTimeRate: 0.96,
    damageRate: 0.004,
    crossBorder: 'everywhere',
    services: [
      {
        code: 'express',
        method: 'express_parcel',
        name: 'SwiftShip Express Parcel',
        baseAmount: 1500,
        perKgAmount: 250,
        zoneSurcharge: { region: 0, country: 400, international: 2500 },
        transitDays: { region: 1, country: 2, international: 4 },
        maxParcelGrams: 30 * KG,
        minTotalGrams: 0,
        accepts: ALL_HANDLING,
      },
      {
        code: 'air',
        method: 'air',
        name: 'SwiftShip Air Priority',
        baseAmount: 2500,
        perKgAmount: 450,
        zoneSurcharge: { region: 0, country: 600, international: 4000 },
        transitDays: { region: 1, country: 1, international: 2 },
        maxParcelGrams: 70 * KG,
        minTotalGrams: 0,
        accepts: AIR_HANDLING,
      },
    ],
  },
  {
    code: 'terraline',
    name: 'TerraLine Logistics',
    reputation: 4.2,
    onTimeRate: 0.9,
    damageRate: 0.01,
    crossBorder: [
      ['DE', 'AT'],
      ['DE', 'FR'],
      ['DE', 'NL'],
      ['DE', 'PL'],
      ['DE', 'CH'],
      ['FR', 'BE'],
      ['FR', 'ES'],
      ['NL', 'BE'],
      ['GB', 'IE'],
      ['US', 'CA'],
      ['US', 'MX'],
    ],
    services: [
      {
        code: 'ground',
        method: 'ground',
        name: 'TerraLine Ground',
        baseAmount: 700,
        perKgAmount: 90,
        zoneSurcharge: { region: 0, country: 250, international: 1500 },
        transitDays: { region: 2, country: 3, international: 5 },
        maxParcelGrams: 40 * KG,
        minTotalGrams: 0,
        accepts: GROUND_HANDLING,
      },
      {
        code: 'freight',
        method: 'freight',
        name: 'TerraLine Freight',
        baseAmount: 3000,
        perKgAmount: 30,
        zoneSurcharge: { region: 0, country: 800, international: 3000 },
        transitDays: { region: 3, country: 4, international: 6 },
        maxParcelGrams: 1000 * KG,
        minTotalGrams: 30 * KG,
        accepts: GROUND_HANDLING,
      },
    ],
  },
  {
    code: 'budgetpost',
    name: 'BudgetPost',
    reputation: 2.7,
    onTimeRate: 0.78,
    damageRate: 0.05,
    crossBorder: 'none',
    services: [
      {
        code: 'economy',
        method: 'ground',
        name: 'BudgetPost Economy',
        baseAmount: 450,
        perKgAmount: 60,
        zoneSurcharge: { region: 0, country: 150, international: 0 },
        transitDays: { region: 3, country: 5 },
        maxParcelGrams: 20 * KG,
        minTotalGrams: 0,
        // No dangerous-goods licence.
        accepts: ['standard', 'fragile'],
      },
    ],
  },
];

export function findCarrier(code: string): SandboxCarrier | undefined {
  return SANDBOX_CARRIERS.find((carrier) => carrier.code === code);
}

export function zoneOf({ origin, destination }: Lane): Zone {
  if (origin.country.toUpperCase() !== destination.country.toUpperCase()) return 'international';
  return origin.region.toUpperCase() === destination.region.toUpperCase() ? 'region' : 'country';
}

/**
 * Places no sandbox carrier delivers to, as real carriers leave out some islands. They
 * let a user (and our tests) meet "no carrier serves this order" on purpose.
 */
export const UNSERVED_PLACES: readonly { country: string; postalCode: string; name: string }[] = [
  { country: 'DE', postalCode: '27498', name: 'Heligoland' },
];

/** The unserved place an end of the lane lies in, if any. */
export function unservedEnd(lane: Lane): (typeof UNSERVED_PLACES)[number] | undefined {
  const at = (place: Place) => (p: (typeof UNSERVED_PLACES)[number]) =>
    p.country === place.country.toUpperCase() && p.postalCode === place.postalCode.replace(/\s+/g, '').toUpperCase();
  return UNSERVED_PLACES.find(at(lane.origin)) ?? UNSERVED_PLACES.find(at(lane.destination));
}

export function servesLane(carrier: SandboxCarrier, lane: Lane): boolean {
  if (unservedEnd(lane)) return false;
  const from = lane.origin.country.toUpperCase();
  const to = lane.destination.country.toUpperCase();
  if (from === to || carrier.crossBorder === 'everywhere') return true;
  if (carrier.crossBorder === 'none') return false;
  return carrier.crossBorder.some(([a, b]) => (a === from && b === to) || (a === to && b === from));
}

/** Carriers bill every started kilogram of the whole consignment. */
export function chargeableKg(parcels: readonly Parcel[]): number {
  const grams = parcels.reduce((sum, parcel) => sum + parcel.weightGrams, 0);
  return Math.ceil(grams / KG);
}

export type PriceResult =
  | { ok: true; amount: number; transitDays: number; zone: Zone }
  | { ok: false; code: 'lane_not_served' | 'parcel_too_heavy' | 'consignment_too_light' | 'handling_not_accepted'; message: string };

/** Prices one service for one consignment, or says why the carrier would refuse it. */
export function priceService(
  carrier: SandboxCarrier,
  service: SandboxService,
  shipment: Lane & { parcels: readonly Parcel[]; handling?: readonly Handling[] },
): PriceResult {
  const unserved = unservedEnd(shipment);
  if (unserved) return { ok: false, code: 'lane_not_served', message: `${carrier.name} does not go to ${unserved.name} (${unserved.country} ${unserved.postalCode})` };
  const zone = zoneOf(shipment);
  const transitDays = service.transitDays[zone];
  if (!servesLane(carrier, shipment) || transitDays === undefined) {
    return {
      ok: false,
      code: 'lane_not_served',
      message: `${carrier.name} ${service.name} does not run ${shipment.origin.country} → ${shipment.destination.country}`,
    };
  }
  const refused = (shipment.handling ?? []).find((kind) => !service.accepts.includes(kind));
  if (refused) return { ok: false, code: 'handling_not_accepted', message: `${service.name} does not accept ${refused} goods` };
  const heaviest = Math.max(...shipment.parcels.map((parcel) => parcel.weightGrams));
  if (heaviest > service.maxParcelGrams) {
    return { ok: false, code: 'parcel_too_heavy', message: `${service.name} takes parcels up to ${service.maxParcelGrams / KG} kg` };
  }
  const totalGrams = shipment.parcels.reduce((sum, parcel) => sum + parcel.weightGrams, 0);
  if (totalGrams < service.minTotalGrams) {
    return { ok: false, code: 'consignment_too_light', message: `${service.name} starts at ${service.minTotalGrams / KG} kg` };
  }
  const amount = service.baseAmount + service.perKgAmount * chargeableKg(shipment.parcels) + service.zoneSurcharge[zone];
  return { ok: true, amount, transitDays, zone };
}

/** Every service of every sandbox carrier that would take this consignment, cheapest first. */
export function quoteRates(request: RateRequest): RateQuote[] {
  const parsed = RateRequest.parse(request);
  const quotes: RateQuote[] = [];
  for (const carrier of SANDBOX_CARRIERS) {
    for (const service of carrier.services) {
      const price = priceService(carrier, service, parsed);
      if (!price.ok) continue;
      quotes.push({
        carrier: carrier.code,
        carrierName: carrier.name,
        method: service.method,
        service: service.code,
        amount: price.amount,
        currency: parsed.declaredValue.currency,
        transitDays: price.transitDays,
        onTimeRate: carrier.onTimeRate,
        damageRate: carrier.damageRate,
        reputation: carrier.reputation,
      });
    }
  }
  return quotes.sort((a, b) => a.amount - b.amount || a.carrier.localeCompare(b.carrier) || a.service.localeCompare(b.service));
}

// A booking carries no declared value, so the sandbox bills it in the origin country's
// currency. Only the countries the sandbox is likely to see are listed.
const EURO = ['AT', 'BE', 'CY', 'DE', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PT', 'SI', 'SK'];
const COUNTRY_CURRENCY: Record<string, string> = {
  ...Object.fromEntries(EURO.map((country) => [country, 'EUR'])),
  AU: 'AUD',
  BR: 'BRL',
  CA: 'CAD',
  CH: 'CHF',
  CN: 'CNY',
  CZ: 'CZK',
  DK: 'DKK',
  GB: 'GBP',
  HK: 'HKD',
  IN: 'INR',
  JP: 'JPY',
  KR: 'KRW',
  MX: 'MXN',
  NO: 'NOK',
  NZ: 'NZD',
  PL: 'PLN',
  SE: 'SEK',
  SG: 'SGD',
  US: 'USD',
};

export function billingCurrency(originCountry: string): string {
  return COUNTRY_CURRENCY[originCountry.toUpperCase()] ?? 'USD';
}
