import { z } from 'zod';
import type { Address, OrderLine } from '../domain/order';
import { channelAdapter, type PartnerFieldError } from './adapter';

// A travel agency books goods for a trip (travel kits, adapters, snacks) per passenger:
// a booking holds passengers, one of them the lead, each with their extras, and one
// contact for the whole booking. Goods go to one address, before departure: the booking's
// delivery address, or one a passenger names. A booking that names two different
// addresses is two shipments to two people, which one order is not, so it is refused.

const text = (max: number) => z.string().trim().min(1).max(max);

const TravelAddress = z.object({
  street: text(200),
  address_extra: z.string().trim().max(200).optional(),
  postcode: text(20),
  city: text(100),
  region: text(100),
  country_code: z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as DE'),
});

const Extra = z.object({
  /** Our catalogue's SKU: the agency books from our catalogue. */
  product_code: text(64),
  count: z.number().int().positive().max(100_000),
  /** Net, in minor units of the booking's currency. */
  unit_price_cents: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

const Passenger = z.object({
  first_name: text(100),
  last_name: text(100),
  lead: z.boolean().default(false),
  extras: z.array(Extra).max(500).default([]),
  deliver_to: TravelAddress.optional(),
});

export const TravelBooking = z.object({
  booking: z.object({
    reference: text(100),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as EUR'),
    /** The goods must arrive before the trip: the order's requested delivery date. */
    departure_date: z.iso.date().optional(),
    service_level: z.enum(['standard', 'priority']).default('standard'),
    payment: z.enum(['paid_at_booking', 'pay_on_delivery']).default('paid_at_booking'),
    contact: z.object({ email: z.string().trim().max(254).optional(), phone: z.string().trim().max(32).optional() }),
    passengers: z.array(Passenger).min(1).max(50),
    delivery_address: TravelAddress.optional(),
  }),
});
export type TravelBooking = z.output<typeof TravelBooking>;
type TravelAddress = z.output<typeof TravelAddress>;

function toAddress(a: TravelAddress): Address {
  return {
    line1: a.street,
    ...(a.address_extra ? { line2: a.address_extra } : {}),
    city: a.city,
    region: a.region,
    postalCode: a.postcode,
    country: a.country_code.toUpperCase(),
  };
}

/** Two spellings of one address are one address: case, spacing and the postcode's blanks do not count. */
function addressKey(a: Address): string {
  const norm = (s: string | undefined) => (s ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  return [norm(a.line1), norm(a.line2), norm(a.postalCode).replace(/ /g, ''), norm(a.city), norm(a.region), norm(a.country)].join('|');
}

export const travelAgency = channelAdapter({
  partner: 'travel-agency',
  channel: 'partner',
  summary: 'A travel agency booking: passengers with a lead, their extras, one contact, one delivery address',
  orderIdField: 'booking.reference',
  usesSkuAliases: false,
  payload: TravelBooking,
  map({ booking }) {
    const errors: PartnerFieldError[] = [];

    const leads = booking.passengers.flatMap((p, i) => (p.lead ? [i] : []));
    if (leads.length !== 1) {
      errors.push({
        field: 'booking.passengers',
        message: leads.length === 0 ? 'no lead passenger: mark one passenger "lead": true' : `${leads.length} lead passengers (passengers[${leads.join('], passengers[')}]); a booking has exactly one`,
      });
    }

    // Where the goods go: every address the booking names, and where it names it.
    const named: { field: string; address: Address }[] = [];
    if (booking.delivery_address) named.push({ field: 'booking.delivery_address', address: toAddress(booking.delivery_address) });
    booking.passengers.forEach((p, i) => {
      if (p.deliver_to) named.push({ field: `booking.passengers[${i}].deliver_to`, address: toAddress(p.deliver_to) });
    });
    // The first spelling of each address is the one kept: the booking's own comes first.
    const byKey = new Map<string, (typeof named)[number]>();
    for (const n of named) if (!byKey.has(addressKey(n.address))) byKey.set(addressKey(n.address), n);
    const distinct = [...byKey.values()];
    if (distinct.length === 0) {
      errors.push({ field: 'booking.delivery_address', message: 'no delivery address: give the booking one, or a passenger a deliver_to' });
    } else if (distinct.length > 1) {
      const first = distinct[0]!;
      for (const other of distinct.slice(1)) {
        errors.push({
          field: other.field,
          message: `a booking is delivered to one address; this one differs from ${first.field} (${distinct.length} different addresses in one booking): send one booking per address`,
        });
      }
    }

    const items: OrderLine[] = booking.passengers.flatMap((p) => p.extras.map((e) => ({ sku: e.product_code, quantity: e.count, unitPrice: e.unit_price_cents })));
    if (items.length === 0) errors.push({ field: 'booking.passengers', message: 'no passenger has extras: there is nothing to deliver' });

    if (errors.length > 0) return { ok: false, errors };
    const lead = booking.passengers[leads[0]!]!;
    return {
      ok: true,
      draft: {
        externalId: booking.reference,
        channel: 'partner',
        partner: 'travel-agency',
        priority: booking.service_level === 'priority' ? 'high' : 'normal',
        currency: booking.currency,
        customer: {
          name: `${lead.first_name} ${lead.last_name}`,
          ...(booking.contact.email ? { email: booking.contact.email } : {}),
          ...(booking.contact.phone ? { phone: booking.contact.phone } : {}),
          address: distinct[0]!.address,
        },
        items,
        settlement: { method: booking.payment === 'pay_on_delivery' ? 'cash_on_delivery' : 'prepaid' },
        ...(booking.departure_date ? { requestedDeliveryBy: booking.departure_date } : {}),
      },
    };
  },
});
