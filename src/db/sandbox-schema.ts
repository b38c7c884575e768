import { index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, bigint } from 'drizzle-orm/pg-core';

// The carrier sandbox keeps its own books in its own schema: it stands in for an
// outside carrier, and must remember bookings and pending webhooks across restarts.
export const carrierSandbox = pgSchema('carrier_sandbox');

export const sandboxShipments = carrierSandbox.table(
  'shipments',
  {
    trackingNumber: text('tracking_number').primaryKey(),
    carrier: text('carrier').notNull(),
    service: text('service').notNull(),
    reference: text('reference').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** What becomes of the parcel: drawn at booking (per-run probabilities) or set by a test (`POST /sandbox/shipments/{tn}/fate`). */
    fate: jsonb('fate').$type<Record<string, unknown>>(),
    /** Where it is going now: the booking's destination until a reroute. */
    destination: jsonb('destination').$type<Record<string, unknown>>(),
    /** Voided before pickup: no event follows. */
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    /** The parcel left the shipper (its first in-transit event went out). */
    pickedUpAt: timestamp('picked_up_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sandbox_shipments_idempotency').on(t.idempotencyKey)],
);

export const sandboxEvents = carrierSandbox.table(
  'tracking_events',
  {
    eventId: text('event_id').primaryKey(),
    trackingNumber: text('tracking_number')
      .notNull()
      .references(() => sandboxShipments.trackingNumber),
    status: text('status').notNull(),
    /** The carrier's own word for an exception (lost, damaged, delayed, refused, address_not_found, return_to_sender). */
    statusDetail: text('status_detail'),
    /** A delay's new delivery date, YYYY-MM-DD. */
    newEta: text('new_eta'),
    /** Replaced by a later plan (a fate, a reroute, a reschedule): never sent. */
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    description: text('description').notNull(),
    location: text('location').notNull(),
    occursAt: timestamp('occurs_at', { withTimezone: true }).notNull(),
    /** When the next webhook attempt is due: occursAt at first, later after a failed push. */
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('sandbox_events_due').on(t.deliveredAt, t.dueAt), index('sandbox_events_parcel').on(t.trackingNumber, t.occursAt)],
);

