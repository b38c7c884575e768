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

