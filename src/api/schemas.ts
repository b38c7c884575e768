import { z } from 'zod';
import { CREDENTIAL_TYPES } from '../domain/sign-off';
import { EXCEPTION_KINDS, INCIDENT_STATUSES, REPORTERS, RESOLUTION_CHOICES } from '../domain/delivery-exception';
import { FEEDBACK_CHANNELS } from '../domain/feedback';
import { CHANNELS, ORDER_STAGES, ORDER_STATUSES, PRIORITIES, SETTLEMENT_METHODS } from '../domain/order-status';
import type { OrderDraft } from '../domain/order';
import { STOCK_MOVEMENT_KINDS } from '../domain/stock-movements';

// The shapes the HTTP API accepts, the single source of its validation, its types and
// its OpenAPI document. Structure is checked here (a 422 naming the field, nothing
// stored); whether the content makes a deliverable order is VERIFY's business.

export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as EUR');
export const MinorUnits = z
  .number()
  .int('money is a whole number of minor units (cents), never a fraction')
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().trim().min(1).max(max);
const CountryCode = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as DE')
  .transform((c) => c.toUpperCase());

export const Address = z.strictObject({
  line1: text(200),
  line2: z.string().trim().max(200).optional(),
  city: text(100),
  region: text(100),
  postalCode: text(20),
  country: CountryCode,
});

export const Customer = z.strictObject({
  id: text(100).optional(),
  name: text(200),
  email: z.string().trim().max(254).optional(),
  phone: z.string().trim().max(32).optional(),
  address: Address,
});

export const OrderLineBody = z.strictObject({
  sku: text(64),
  quantity: z.number().int().positive().max(100_000),
  unitPrice: MinorUnits,
  name: text(200).optional(),
  spec: text(200).optional(),
});

const OrderLines = z
  .array(OrderLineBody)
  .min(1)
  .max(500)
  .refine((lines) => lines.reduce((total, l) => total + l.quantity * l.unitPrice, 0) <= Number.MAX_SAFE_INTEGER, {
    message: 'the order total is too large to be represented exactly',
  });

// Postgres has no year 0 and no year 10000 (9999-12-31T23:59:59-01:00 is one, in UTC):
// an instant outside this range would reach it only to fail there.
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1) - 1;
const inRange = (value: string) => {
  const ms = new Date(value).getTime();
  return ms >= EARLIEST && ms <= LATEST;
};
const RANGE_MESSAGE = 'a time between 1970-01-01 and 9999-12-31 (UTC)';
/** An ISO 8601 date-time with an offset, within the range the database can store. */
export const Instant = z.iso.datetime({ offset: true }).refine(inRange, RANGE_MESSAGE);

export const CreateOrderBody = z.strictObject({
  externalId: text(100).optional(),
  channel: z.enum(CHANNELS),
  partner: text(100).optional(),
  priority: z.enum(PRIORITIES).default('normal'),
  currency: CurrencyCode,
  customer: Customer,
  items: OrderLines,
  settlement: z
    .strictObject({ method: z.enum(SETTLEMENT_METHODS), instalments: z.number().int().min(1).max(24).optional() })
    .refine((s) => s.instalments === undefined || s.method === 'instalments', {
      message: 'only an instalment order has a number of instalments',
      path: ['instalments'],
    }),
  requestedDeliveryBy: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).refine(inRange, RANGE_MESSAGE).optional(),
});
export type CreateOrderBody = z.output<typeof CreateOrderBody>;

// The body is the draft the workflow verifies: keep them the same shape.
const _sameShape: OrderDraft = {} as CreateOrderBody;
void _sameShape;

export const CorrectionBody = z
  .strictObject({ customer: Customer.optional(), items: OrderLines.optional() })
  .refine((c) => c.customer || c.items, { message: 'send customer, items, or both' });

/** R1.8: any of the five; one that is not on offer for this stockout is a 409 naming those that are. */
export const StockoutResponseBody = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('wait') }),
  z.strictObject({ decision: z.literal('cancel'), reason: text(500).optional() }),
  z.strictObject({ decision: z.literal('transfer') }),
  z.strictObject({ decision: z.literal('substitute'), substituteSku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a SKU') }),
  z.strictObject({ decision: z.literal('partial') }),
]);

export const CancelBody = z.strictObject({ reason: text(500) });

export const SignOffBody = z.strictObject({
  recipientName: text(200),
  credential: z.strictObject({ type: z.enum(CREDENTIAL_TYPES), value: text(100) }),
  packagingIntact: z.boolean(),
  quantitiesMatch: z.boolean(),
});

const Rating = z.number().int().min(1).max(5);
export const FeedbackBody = z.strictObject({
  channel: z.enum(FEEDBACK_CHANNELS),
  ratings: z.strictObject({
    productQuality: Rating,
    serviceAttitude: Rating,
    deliveryPunctuality: Rating,
    resolutionEfficiency: Rating,
  }),
  comment: z.string().trim().max(2000).optional(),
});

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

export const OrdersQuery = z.strictObject({
  status: csv(ORDER_STATUSES).optional(),
  stage: csv(ORDER_STAGES).optional(),
  channel: z.enum(CHANNELS).optional(),
  /** The partner platform (a channel adapter's name, R1.1). */
  partner: text(100).optional(),
  priority: z.enum(PRIORITIES).optional(),
  customerId: text(254).optional(),
  externalId: text(100).optional(),
  needsAttention: z.stringbool().optional(),
  createdFrom: Instant.optional(),
  createdTo: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const ProductBody = z.strictObject({
  sku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore; at most 64'),
  name: text(200),
  spec: text(200),
  unitPrice: MinorUnits,
  unitCost: MinorUnits,
  currency: CurrencyCode,
  weightGrams: z.number().int().positive().max(1_000_000),
  dimensionsCm: z.strictObject({
    length: z.number().int().positive().max(1000),
    width: z.number().int().positive().max(1000),
    height: z.number().int().positive().max(1000),
  }),
  handling: z.enum(['standard', 'fragile', 'perishable', 'hazardous']).default('standard'),
  active: z.boolean().default(true),
  /** R1.8: SKUs offered in its place when it is out of stock. */
  substitutes: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a SKU')).max(20).default([]),
});

const pageLimit = z.coerce.number().int().min(1).max(500).default(100);
const pageCursor = z.string().max(400).optional();

export const ProductsQuery = z.strictObject({
  sku: text(64).optional(),
  active: z.stringbool().optional(),
  limit: pageLimit,
  cursor: pageCursor,
});

export const WarehousesQuery = z.strictObject({
  limit: pageLimit,
  cursor: pageCursor,
});

export const WarehouseBody = z.strictObject({
  code: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,31}$/, 'upper-case letters, digits and dashes, 2 to 32'),
  name: text(200),
  region: text(100),
  country: CountryCode,
  postalCode: text(20),
});

export const ReceiptBody = z.strictObject({
  warehouse: text(32),
  sku: text(64),
  quantity: z.number().int().positive().max(10_000_000),
  reference: text(200).optional(),
  /** Received against this purchase order (a replenishment's): it is closed by the receipt. */
  purchaseOrderId: z.uuid().transform((id) => id.toLowerCase()).optional(),
});

export const InventoryQuery = z.strictObject({
  sku: text(64).optional(),
  warehouse: text(32).optional(),
  limit: pageLimit,
  cursor: pageCursor,
});

export const MovementsQuery = z.strictObject({
  sku: text(64).optional(),
  warehouse: text(32).optional(),
  orderId: z.uuid().transform((id) => id.toLowerCase()).optional(),
  kind: z.enum(STOCK_MOVEMENT_KINDS).optional(),
  limit: pageLimit,
  cursor: pageCursor,
});

// A UUID in any case is the same order: workflow ids are case-sensitive, so they are
// lower-cased here, once, before anything looks an order up. Numbers read aloud as of-1 too.
export const OrderIdParam = z.union([
  z.uuid().transform((id) => id.toLowerCase()),
  z
    .string()
    .regex(/^OF-\d+$/i, 'an order id (UUID) or number (OF-…)')
    .transform((n) => n.toUpperCase()),
]);

// ---- delivery exceptions, incidents, ship dates, delivery confirmation, improvements ----

const DAY_MS = 86_400_000;
/** A calendar day, YYYY-MM-DD. */
export const CalendarDate = z.iso.date('a date as YYYY-MM-DD').refine((d) => d >= '1970-01-01' && d <= '9999-12-31', RANGE_MESSAGE);
const todayUtc = () => new Date().toISOString().slice(0, 10);

export const DeliveryExceptionBody = z
  .strictObject({
    shipmentId: z.uuid('a shipment id (UUID)').transform((id) => id.toLowerCase()).optional(),
    kind: z.enum(EXCEPTION_KINDS),
    reportedBy: z.enum(REPORTERS),
    detail: text(2000).optional(),
    newEta: CalendarDate.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'delay' && !b.newEta) ctx.addIssue({ code: 'custom', path: ['newEta'], message: 'required for a delay: the new delivery date' });
  });

export const ResolutionBody = z.strictObject({ choice: z.enum(RESOLUTION_CHOICES) });

export const ShipDateProposalBody = z.strictObject({
  proposedShipDate: CalendarDate.refine((d) => d >= todayUtc(), 'a date today or later, not in the past'),
  reason: text(500),
});

export const ShipDateResponseBody = z.strictObject({ accept: z.boolean() });

export const DeliveryConfirmationBody = z
  .strictObject({
    addressConfirmed: z.boolean(),
    contactPhone: z.string().trim().min(3).max(32).optional(),
    window: z.strictObject({ from: Instant, to: Instant }),
  })
  .superRefine((b, ctx) => {
    const from = Date.parse(b.window.from);
    const to = Date.parse(b.window.to);
    const now = Date.now();
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['window', 'to'], message: 'must be after window.from' });
    if (to > now + 60 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['window', 'to'], message: 'within 60 days from now' });
    if (from < now - 60_000) ctx.addIssue({ code: 'custom', path: ['window', 'from'], message: 'not in the past' });
  });

const DateOrInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], 'a date (YYYY-MM-DD) or an ISO 8601 time').refine(inRange, RANGE_MESSAGE);

export const IncidentsQuery = z.strictObject({
  kind: csv(EXCEPTION_KINDS).optional(),
  status: csv(INCIDENT_STATUSES).optional(),
  carrier: text(64).optional(),
  from: DateOrInstant.optional(),
  to: DateOrInstant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const INCIDENT_GROUPINGS = ['carrier', 'lane', 'kind'] as const;
export const IncidentSummaryQuery = z.strictObject({
  groupBy: z.enum(INCIDENT_GROUPINGS).default('carrier'),
  from: DateOrInstant.optional(),
  to: DateOrInstant.optional(),
});

export const IMPROVEMENT_STATUSES = ['planned', 'in_progress', 'done', 'abandoned'] as const;

export const ImprovementBody = z.strictObject({
  title: text(200),
  finding: z
    .strictObject({
      carrier: text(64).optional(),
      lane: text(200).optional(),
      kind: z.enum(EXCEPTION_KINDS).optional(),
      from: DateOrInstant,
      to: DateOrInstant,
      note: text(2000).optional(),
    })
    .superRefine((f, ctx) => {
      if (!f.carrier && !f.lane && !f.kind) ctx.addIssue({ code: 'custom', path: [], message: 'name at least one of carrier, lane or kind' });
      if (Date.parse(f.from) > Date.parse(f.to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before finding.from' });
    }),
  action: text(2000),
  owner: text(200),
  dueDate: CalendarDate,
  status: z.enum(IMPROVEMENT_STATUSES).default('planned'),
  startedAt: Instant.optional(),
});

export const ImprovementPatch = z
  .strictObject({ status: z.enum(IMPROVEMENT_STATUSES).optional(), owner: text(200).optional(), dueDate: CalendarDate.optional() })
  .refine((p) => p.status !== undefined || p.owner !== undefined || p.dueDate !== undefined, { message: 'send status, owner or dueDate' });

export const ImprovementsQuery = z.strictObject({
  status: csv(IMPROVEMENT_STATUSES).optional(),
  owner: text(200).optional(),
});
