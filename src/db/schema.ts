import { relations, sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { ExceptionKind, IncidentStatus, Reporter, ResolutionChoice } from '../domain/delivery-exception';
import type { NotificationChannel } from '../domain/notices';
import type { ReserveScope } from '../domain/allocation';
import type { Customer } from '../domain/order';
import type { PackagingKind, PackingList } from '../domain/packing-list';
import type { SettlementCycle } from '../domain/settlement-cycle';
import type { StockMovementKind } from '../domain/stock-movements';

export type { SettlementCycle };

// The system of record. Money is integer minor units beside an ISO 4217 code; times are
// UTC timestamptz. Tables named in the business's words; the ledger-like ones
// (stock_movements, order_events, tracking_events, ledger_entries) are append-only,
// enforced by triggers in migrations/0001_append_only.sql.

const money = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();


export const products = pgTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    spec: text('spec').notNull(),
    unitPrice: money('unit_price').notNull(),
    unitCost: money('unit_cost').notNull(),
    currency: text('currency').notNull(),
    weightGrams: integer('weight_grams').notNull(),
    lengthCm: integer('length_cm').notNull(),
    widthCm: integer('width_cm').notNull(),
    heightCm: integer('height_cm').notNull(),
    handling: text('handling').$type<PackagingKind>().notNull().default('standard'),
    active: boolean('active').notNull().default(true),
    /** Who replenishes it by purchase order (R2.3), and in how many days; none: transfers only. */
    supplier: text('supplier'),
    leadTimeDays: integer('lead_time_days'),
    /** The supplier's faster delivery (R2.6), at a cost in the product's currency (minor units). */
    expediteLeadTimeDays: integer('expedite_lead_time_days'),
    expediteCost: money('expedite_cost'),
    /** SKUs that may stand in for this one when it is out of stock (R1.8), best first. */
    substitutes: text('substitutes').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('products_price_non_negative', sql`${t.unitPrice} >= 0 and ${t.unitCost} >= 0`),
    check('products_size_positive', sql`${t.weightGrams} > 0 and ${t.lengthCm} > 0 and ${t.widthCm} > 0 and ${t.heightCm} > 0`),
    check('products_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const warehouses = pgTable('warehouses', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  region: text('region').notNull(),
  country: text('country').notNull(),
  postalCode: text('postal_code').notNull(),
  createdAt: createdAt(),
});

export const inventoryLevels = pgTable(
  'inventory_levels',
  {
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    warehouseCode: text('warehouse_code')
      .notNull()
      .references(() => warehouses.code),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    safetyThreshold: integer('safety_threshold').notNull().default(0),
    /** How much a replenishment brings above the safety stock; null: as much again as the safety stock. */
    reorderQuantity: integer('reorder_quantity'),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.sku, t.warehouseCode] }),
    check('inventory_on_hand_non_negative', sql`${t.onHand} >= 0`),
    check('inventory_reserved_non_negative', sql`${t.reserved} >= 0`),
    check('inventory_no_over_reservation', sql`${t.reserved} <= ${t.onHand}`),
  ],
);

export type { StockMovementKind };

/** Every change to a stock figure, with the deltas it made; stock can be rebuilt from it. */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sku: text('sku').notNull(),
    warehouseCode: text('warehouse_code').notNull(),
    kind: text('kind').$type<StockMovementKind>().notNull(),
    onHandDelta: integer('on_hand_delta').notNull(),
    reservedDelta: integer('reserved_delta').notNull(),
    orderId: uuid('order_id'),
    reference: text('reference'),
    /** Units concerned, for movements that change no figure here (a write-off of goods already shipped). */
    quantity: integer('quantity'),
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('stock_movements_idempotency_key').on(t.idempotencyKey),
    index('stock_movements_sku_warehouse').on(t.sku, t.warehouseCode, t.createdAt),
    index('stock_movements_order').on(t.orderId),
    check('stock_movements_kind', sql`${t.kind} in ('receipt', 'reservation', 'release', 'shipment', 'adjustment', 'transfer_out', 'transfer_in', 'return', 'write_off')`),
  ],
);

export type StockAlertStatus = 'open' | 'closed';

/**
 * A shortage (R2.2): available stock fell below the safety stock. At most one open per
 * SKU and warehouse; closed when available is back at the safety stock, with the time it took.
 */
export const stockAlerts = pgTable(
  'stock_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    warehouseCode: text('warehouse_code')
      .notNull()
      .references(() => warehouses.code),
    status: text('status').$type<StockAlertStatus>().notNull().default('open'),
    safetyStock: integer('safety_stock').notNull(),
    /** Available when it opened. */
    available: integer('available').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** Opened → available back at the safety stock, in milliseconds. */
    restockMs: bigint('restock_ms', { mode: 'number' }),
    /** The replenishment workflow told of it (signal-with-start); null until then. */
    replenishmentWorkflowId: text('replenishment_workflow_id'),
    replenishmentStartedAt: timestamp('replenishment_started_at', { withTimezone: true }),
    /** The replenishment could not restock in time: an operator's turn. */
    flaggedAt: timestamp('flagged_at', { withTimezone: true }),
    flagReason: text('flag_reason'),
  },
  (t) => [
    uniqueIndex('stock_alerts_one_open').on(t.sku, t.warehouseCode).where(sql`status = 'open'`),
    index('stock_alerts_status').on(t.status, t.openedAt),
    index('stock_alerts_pending_start').on(t.openedAt).where(sql`status = 'open' and replenishment_started_at is null`),
  ],
);

export type PurchaseOrderStatus = 'open' | 'received';

/** Purchase order numbers the supplier quotes back on its statement: PO-1000001, … */
export const purchaseOrderNumbers = pgSequence('purchase_order_numbers', { startWith: 1_000_001 });

/** Goods ordered from the product's supplier for one warehouse (R2.3, R2.6). */
export const purchaseOrders = pgTable(
  'purchase_orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    number: text('number')
      .notNull()
      .default(sql`'PO-' || nextval('purchase_order_numbers')`),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    warehouseCode: text('warehouse_code')
      .notNull()
      .references(() => warehouses.code),
    quantity: integer('quantity').notNull(),
    supplier: text('supplier').notNull(),
    /** The purchase price per unit (minor units of `currency`): what a receipt owes the supplier. */
    unitCost: money('unit_cost').notNull(),
    expedited: boolean('expedited').notNull().default(false),
    /** What expediting costs (minor units of `currency`); null when not expedited. */
    expediteCost: money('expedite_cost'),
    currency: text('currency').notNull(),
    leadTimeDays: integer('lead_time_days').notNull(),
    status: text('status').$type<PurchaseOrderStatus>().notNull().default('open'),
    expectedAt: timestamp('expected_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }),
    alertId: uuid('alert_id').references(() => stockAlerts.id),
    /** Who placed it, once: the replenishment's own key. */
    idempotencyKey: text('idempotency_key').notNull(),
    flaggedAt: timestamp('flagged_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('purchase_orders_idempotency_key').on(t.idempotencyKey),
    uniqueIndex('purchase_orders_number').on(t.number),
    index('purchase_orders_sku_warehouse').on(t.sku, t.warehouseCode, t.status),
    check('purchase_orders_quantity_positive', sql`${t.quantity} > 0`),
    check('purchase_orders_unit_cost_non_negative', sql`${t.unitCost} >= 0`),
  ],
);

export type StockTransferStatus = 'in_transit' | 'received';

/** Stock on its way between two of our warehouses: out of one now, into the other on receipt. */
export const stockTransfers = pgTable(
  'stock_transfers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    fromWarehouse: text('from_warehouse')
      .notNull()
      .references(() => warehouses.code),
    toWarehouse: text('to_warehouse')
      .notNull()
      .references(() => warehouses.code),
    quantity: integer('quantity').notNull(),
    status: text('status').$type<StockTransferStatus>().notNull().default('in_transit'),
    expectedAt: timestamp('expected_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }),
    alertId: uuid('alert_id').references(() => stockAlerts.id),
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('stock_transfers_idempotency_key').on(t.idempotencyKey),
    index('stock_transfers_to').on(t.sku, t.toWarehouse, t.status),
    check('stock_transfers_quantity_positive', sql`${t.quantity} > 0`),
    check('stock_transfers_two_warehouses', sql`${t.fromWarehouse} <> ${t.toWarehouse}`),
  ],
);

/** The customer as the order was placed (or last corrected): the domain's Customer. */
export type CustomerSnapshot = Customer;

/** Order numbers people read out on the phone: OF-1000001, OF-1000002, … */
export const orderNumbers = pgSequence('order_numbers', { startWith: 1_000_001 });

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    number: text('number')
      .notNull()
      .default(sql`'OF-' || nextval('order_numbers')`),
    externalId: text('external_id'),
    channel: text('channel').notNull(),
    /** The partner platform a third-party order came from (a channel adapter's name), else null. */
    partner: text('partner'),
    customer: jsonb('customer').$type<CustomerSnapshot>().notNull(),
    customerId: text('customer_id').notNull(),
    region: text('region').notNull(),
    priority: text('priority').notNull(),
    currency: text('currency').notNull(),
    subtotalAmount: money('subtotal_amount').notNull(),
    /** What the customer is charged for shipping; total = subtotal + shipping. */
    shippingAmount: money('shipping_amount').notNull().default(0),
    totalAmount: money('total_amount').notNull(),
    settlementMethod: text('settlement_method').notNull(),
    requestedDeliveryBy: timestamp('requested_delivery_by', { withTimezone: true }),
    status: text('status').notNull(),
    stage: text('stage').notNull(),
    stateVersion: integer('state_version').notNull(),
    needsAttention: boolean('needs_attention').notNull().default(false),
    attentionReason: text('attention_reason'),
    verification: jsonb('verification').$type<{ ok: boolean; reasons: { code: string; field: string; message: string }[] }>(),
    /** R1.8: a partial delivery's rest, back-ordered after the first part shipped (its fulfilment number and lines); null once reserved. */
    backOrderedRest: jsonb('back_ordered_rest').$type<{ fulfilment: number; lines: { line: number; sku: string; quantity: number }[] }>(),
    /** R2.4: where RESERVE last looked for the order's stock (its reach, any warehouses a transfer was agreed from); the back-order queue judges it by this. Null: written before it (the configured reach). */
    reserveScope: jsonb('reserve_scope').$type<ReserveScope>(),
    workflowId: text('workflow_id').notNull(),
    requestFingerprint: text('request_fingerprint').notNull(),
    // Milliseconds, like the API's timestamps and list cursors: no two readings of one row differ.
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('orders_number').on(t.number),
    // One order per external id per channel and partner: two partners may number alike.
    uniqueIndex('orders_channel_partner_external_id').on(t.channel, sql`coalesce(${t.partner}, '')`, t.externalId),
    index('orders_partner').on(t.partner, t.createdAt),
    index('orders_status').on(t.status, t.createdAt),
    index('orders_created').on(t.createdAt, t.id),
    index('orders_customer').on(t.customerId),
    // The back-order queue reads the partial deliveries' rests on every reservation: few rows.
    index('orders_back_ordered_rest').on(t.createdAt).where(sql`${t.backOrderedRest} is not null`),
    check('orders_amounts_non_negative', sql`${t.subtotalAmount} >= 0 and ${t.totalAmount} >= 0`),
  ],
);

/** A partner's own names for our SKUs (R1.1): the marketplace adapter maps its lines through them. */
export const channelSkuAliases = pgTable(
  'channel_sku_aliases',
  {
    partner: text('partner').notNull(),
    alias: text('alias').notNull(),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.partner, t.alias] })],
);

/** Which order an Idempotency-Key made, per caller: a key reused for another order is refused. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    orderId: uuid('order_id').notNull(),
    requestFingerprint: text('request_fingerprint').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    line: smallint('line').notNull(),
    sku: text('sku').notNull(),
    name: text('name'),
    spec: text('spec'),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    lineTotal: money('line_total').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.line] }), check('order_items_quantity_positive', sql`${t.quantity} > 0`)],
);

/** The timeline: one row per status an order passed through, in state-version order. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    version: integer('version').notNull(),
    status: text('status').notNull(),
    stage: text('stage').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('order_events_once').on(t.orderId, t.version, t.status)],
);

export type ReservationStatus = 'held' | 'released' | 'shipped';

/** Stock held for one order line at one warehouse. */
export const reservations = pgTable(
  'reservations',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    line: smallint('line').notNull(),
    sku: text('sku').notNull(),
    warehouseCode: text('warehouse_code').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status').$type<ReservationStatus>().notNull().default('held'),
    /** 0 for the order's own goods; n for the replacement sent for the order's n-th incident that needed one. */
    fulfilment: smallint('fulfilment').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.fulfilment, t.line, t.warehouseCode] }),
    check('reservations_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

export const shipments = pgTable(
  'shipments',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    sequence: smallint('sequence').notNull(),
    warehouseCode: text('warehouse_code').notNull(),
    carrier: text('carrier').notNull(),
    method: text('method').notNull(),
    service: text('service').notNull(),
    status: text('status').notNull(),
    shipDate: date('ship_date').notNull(),
    estimatedDeliveryDate: date('estimated_delivery_date'),
    costAmount: money('cost_amount').notNull(),
    costCurrency: text('cost_currency').notNull(),
    packingList: jsonb('packing_list').$type<PackingList>().notNull(),
    decision: jsonb('decision').$type<Record<string, unknown>>().notNull(),
    bookingKey: text('booking_key').notNull(),
    /** The date the customer was promised at planning (R4.9: a delay past it is compensated). */
    promisedDeliveryDate: date('promised_delivery_date'),
    /** 0 for the order's own goods; n for a replacement (see reservations.fulfilment). */
    fulfilment: smallint('fulfilment').notNull().default(0),
    /** The incident this shipment replaces goods for. */
    replacesIncidentId: uuid('replaces_incident_id'),
    /** Why the shipment ended without delivery: voided (before pickup), lost, damaged, returned. */
    closedAs: text('closed_as'),
    handedOverAt: timestamp('handed_over_at', { withTimezone: true }),
    trackingNumber: text('tracking_number'),
    labelUrl: text('label_url'),
    bookedAt: timestamp('booked_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    lastTrackingAt: timestamp('last_tracking_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('shipments_order_sequence').on(t.orderId, t.sequence),
    uniqueIndex('shipments_tracking').on(t.carrier, t.trackingNumber),
    uniqueIndex('shipments_booking_key').on(t.bookingKey),
  ],
);

export const trackingEvents = pgTable(
  'tracking_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    shipmentId: uuid('shipment_id')
      .notNull()
      .references(() => shipments.id),
    orderId: uuid('order_id').notNull(),
    carrier: text('carrier').notNull(),
    carrierEventId: text('carrier_event_id').notNull(),
    status: text('status').notNull(),
    description: text('description'),
    location: text('location'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('tracking_events_carrier_event').on(t.carrier, t.carrierEventId),
    index('tracking_events_shipment').on(t.shipmentId, t.occurredAt),
  ],
);

export type { NotificationChannel, PackagingKind, PackingList };
/**
 * pending → sending (claimed, lease in claimed_until) → sent (the provider accepted it) |
 * failed (refused MAX_SEND_ATTEMPTS times) | skipped (no provider for its channel; logged).
 */
export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** The outbox: written in the same transaction as the change it announces. */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id').references(() => orders.id),
    channel: text('channel').$type<NotificationChannel>().notNull(),
    recipient: text('recipient').notNull(),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status').$type<NotificationStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** A dispatcher has taken it until then; another may take it after (it crashed). */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** The provider's id for the accepted message (SMTP Message-ID / response, SMS sid, .eml file). */
    providerMessageId: text('provider_message_id'),
    /** Why a notice was not sent: no provider serves its channel or recipient. */
    skipReason: text('skip_reason'),
  },
  (t) => [
    uniqueIndex('notifications_dedupe').on(t.dedupeKey),
    index('notifications_pending').on(t.status, t.createdAt),
    index('notifications_order').on(t.orderId),
  ],
);

/**
 * What a journal records (R6.1). `settlement` is the order's sale (revenue) posted at
 * SETTLE; the rest are named money movements. Every kind is one balanced journal.
 */
export const LEDGER_ENTRY_KINDS = [
  'settlement',
  'payment',
  'cod_collected',
  'cod_remitted',
  'refund',
  'compensation',
  'carrier_charge',
  'adjustment',
  'write_off',
  /** Goods received against a purchase order: inventory owed to the supplier. */
  'purchase',
] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];
/** Whom we settle with: suppliers are paid for purchase orders' receipts. */
export const COUNTERPARTY_KINDS = ['customer', 'partner', 'carrier', 'supplier'] as const;
export type CounterpartyKind = (typeof COUNTERPARTY_KINDS)[number];

/** Double-entry journal: every journal's debits equal its credits. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    journalId: text('journal_id').notNull(),
    orderId: uuid('order_id').references(() => orders.id),
    account: text('account').notNull(),
    side: text('side').$type<'debit' | 'credit'>().notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    memo: text('memo').notNull(),
    /** settlement (the order's revenue), refund, compensation (R4.9). */
    kind: text('kind').$type<LedgerEntryKind>().notNull().default('settlement'),
    incidentId: uuid('incident_id'),
    /** R6.3: the same amount in the agreement's settlement currency, at the rate in force. */
    settlementAmount: money('settlement_amount').notNull(),
    settlementCurrency: text('settlement_currency').notNull(),
    /** The rate used, as an exact decimal string ("1" when no conversion). */
    fxRate: text('fx_rate').notNull().default('1'),
    fxRateId: bigint('fx_rate_id', { mode: 'number' }),
    /** Whom the entry is settled with (R6.10 reports per counterparty). */
    counterpartyKind: text('counterparty_kind').$type<CounterpartyKind>().notNull().default('customer'),
    counterpartyId: text('counterparty_id').notNull().default(''),
    agreementId: uuid('agreement_id'),
    /** Adjustments and write-offs decided in a settlement run. */
    settlementId: text('settlement_id'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_entries_once').on(t.journalId, t.account, t.side),
    index('ledger_entries_order').on(t.orderId),
    index('ledger_entries_counterparty').on(t.counterpartyKind, t.counterpartyId, t.createdAt),
    check('ledger_entries_settlement_amount_non_negative', sql`${t.settlementAmount} >= 0`),
    check('ledger_entries_amount_positive', sql`${t.amount} > 0`),
    check('ledger_entries_side', sql`${t.side} in ('debit', 'credit')`),
  ],
);

/**
 * R4.8: one thing that went wrong on the way to the customer, from report to resolution.
 * The workflow writes it; the API lists and aggregates it.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    kind: text('kind').$type<ExceptionKind>().notNull(),
    status: text('status').$type<IncidentStatus>().notNull(),
    reportedBy: text('reported_by').$type<Reporter>().notNull(),
    detail: text('detail'),
    /** The shipments it concerns (usually one). */
    shipmentIds: jsonb('shipment_ids').$type<string[]>().notNull(),
    /** The first concerned shipment's carrier and lane, for the summary's grouping. */
    carrier: text('carrier'),
    lane: text('lane'),
    newEta: date('new_eta'),
    /** What the customer may choose between, while awaiting them. */
    options: jsonb('options').$type<ResolutionChoice[]>().notNull().default([]),
    /** The carrier claim filed for lost or damaged goods. */
    claim: jsonb('claim').$type<{ carrier: string; trackingNumbers: string[]; amount: number; currency: string; filedAt: string }>(),
    resolution: jsonb('resolution').$type<{ action: string } & Record<string, unknown>>(),
    openedAt: timestamp('opened_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 3 }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('incidents_order').on(t.orderId),
    index('incidents_opened').on(t.openedAt, t.id),
    index('incidents_kind_status').on(t.kind, t.status),
  ],
);

/** R4.10: an improvement measure taken after delivery problems, and how it is followed. */
export const improvements = pgTable(
  'improvements',
  {
    id: uuid('id').primaryKey(),
    title: text('title').notNull(),
    /** The finding it answers: a carrier, a lane or an incident kind, over a period. */
    finding: jsonb('finding').$type<{ carrier?: string; lane?: string; kind?: ExceptionKind; from: string; to: string; note?: string }>().notNull(),
    action: text('action').notNull(),
    owner: text('owner').notNull(),
    dueDate: date('due_date').notNull(),
    status: text('status').$type<'planned' | 'in_progress' | 'done' | 'abandoned'>().notNull().default('planned'),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('improvements_created').on(t.createdAt, t.id)],
);

/** R3.3: a new ship date put to the customer, and their answer. */
export const shipDateProposals = pgTable(
  'ship_date_proposals',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    proposedShipDate: date('proposed_ship_date').notNull(),
    previousShipDate: date('previous_ship_date').notNull(),
    reason: text('reason').notNull(),
    status: text('status').$type<'proposed' | 'accepted' | 'declined' | 'lapsed'>().notNull().default('proposed'),
    proposedAt: timestamp('proposed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    answeredAt: timestamp('answered_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('ship_date_proposals_order').on(t.orderId)],
);

/** R5.1: the customer confirms address, contact and a delivery window before delivery. */
export const deliveryConfirmations = pgTable('delivery_confirmations', {
  orderId: uuid('order_id')
    .primaryKey()
    .references(() => orders.id),
  addressConfirmed: boolean('address_confirmed').notNull(),
  contactPhone: text('contact_phone'),
  windowFrom: timestamp('window_from', { withTimezone: true }).notNull(),
  windowTo: timestamp('window_to', { withTimezone: true }).notNull(),
  /** Whether the carriers moved their deliveries into the window. */
  rescheduled: boolean('rescheduled').notNull().default(false),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const signOffs = pgTable('sign_offs', {
  orderId: uuid('order_id')
    .primaryKey()
    .references(() => orders.id),
  method: text('method').$type<'customer' | 'carrier_proof_of_delivery'>().notNull(),
  recipientName: text('recipient_name'),
  credentialType: text('credential_type'),
  credentialHint: text('credential_hint'),
  packagingIntact: boolean('packaging_intact'),
  quantitiesMatch: boolean('quantities_match'),
  signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
});

export const feedback = pgTable(
  'feedback',
  {
    orderId: uuid('order_id')
      .primaryKey()
      .references(() => orders.id),
    channel: text('channel').notNull(),
    productQuality: smallint('product_quality').notNull(),
    serviceAttitude: smallint('service_attitude').notNull(),
    deliveryPunctuality: smallint('delivery_punctuality').notNull(),
    resolutionEfficiency: smallint('resolution_efficiency').notNull(),
    comment: text('comment'),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'feedback_ratings_1_to_5',
      sql`${t.productQuality} between 1 and 5 and ${t.serviceAttitude} between 1 and 5 and ${t.deliveryPunctuality} between 1 and 5 and ${t.resolutionEfficiency} between 1 and 5`,
    ),
  ],
);

// How an order's rows hang together, for reads that want the whole order in one query.
export const orderRelations = relations(orders, ({ many, one }) => ({
  items: many(orderItems),
  events: many(orderEvents),
  shipments: many(shipments),
  notifications: many(notifications),
  incidents: many(incidents),
  signOff: one(signOffs, { fields: [orders.id], references: [signOffs.orderId] }),
  feedback: one(feedback, { fields: [orders.id], references: [feedback.orderId] }),
}));
export const orderItemRelations = relations(orderItems, ({ one }) => ({
  order: one(orders, { fields: [orderItems.orderId], references: [orders.id] }),
}));
export const orderEventRelations = relations(orderEvents, ({ one }) => ({
  order: one(orders, { fields: [orderEvents.orderId], references: [orders.id] }),
}));
export const shipmentRelations = relations(shipments, ({ one, many }) => ({
  order: one(orders, { fields: [shipments.orderId], references: [orders.id] }),
  trackingEvents: many(trackingEvents),
}));
export const trackingEventRelations = relations(trackingEvents, ({ one }) => ({
  shipment: one(shipments, { fields: [trackingEvents.shipmentId], references: [shipments.id] }),
}));
export const notificationRelations = relations(notifications, ({ one }) => ({
  order: one(orders, { fields: [notifications.orderId], references: [orders.id] }),
}));
export const incidentRelations = relations(incidents, ({ one }) => ({
  order: one(orders, { fields: [incidents.orderId], references: [orders.id] }),
}));

// ---- Finance (R6): agreements, rates, payments, settlement runs and reconciliation ----


/** R6.1–R6.3: how and when we settle with one counterparty, and in which currency. */
export const agreements = pgTable(
  'agreements',
  {
    id: uuid('id').primaryKey(),
    counterpartyKind: text('counterparty_kind').$type<CounterpartyKind>().notNull(),
    counterpartyId: text('counterparty_id').notNull(),
    method: text('method').notNull(),
    cycle: text('cycle').$type<SettlementCycle>().notNull(),
    /** "1".."28" or "last". */
    settlementDay: text('settlement_day').notNull(),
    settlementCurrency: text('settlement_currency').notNull(),
    timeZone: text('time_zone').notNull(),
    /** Auto-adjust differences up to this many minor units of the settlement currency. */
    toleranceAmount: money('tolerance_amount').notNull().default(0),
    scheduleId: text('schedule_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('agreements_counterparty').on(t.counterpartyKind, t.counterpartyId),
    check('agreements_currency_iso', sql`${t.settlementCurrency} ~ '^[A-Z]{3}$'`),
    check('agreements_tolerance_non_negative', sql`${t.toleranceAmount} >= 0`),
  ],
);

/** R6.3: exchange rates as exact decimals; the rate in force is the latest as_of at or before the entry. */
export const fxRates = pgTable(
  'fx_rates',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    base: text('base').notNull(),
    quote: text('quote').notNull(),
    /** Exact decimal string: 1 base = rate quote. */
    rate: text('rate').notNull(),
    source: text('source').notNull(),
    asOf: timestamp('as_of', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('fx_rates_pair_as_of').on(t.base, t.quote, t.asOf)],
);

/** Money received: from a customer (prepaid, instalments) or remitted by a carrier (COD). */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    method: text('method').notNull(),
    /** The payer's own reference: a second POST with it is the same payment. */
    reference: text('reference').notNull(),
    payerKind: text('payer_kind').$type<CounterpartyKind>().notNull(),
    payerId: text('payer_id').notNull(),
    instalmentNumber: smallint('instalment_number'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('payments_reference').on(t.reference),
    index('payments_order').on(t.orderId),
    check('payments_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** An instalment plan's schedule: due dates are durable timers in the order's workflow. */
export const instalments = pgTable(
  'instalments',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    number: smallint('number').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** due, paid, overdue */
    status: text('status').notNull().default('due'),
    dunningNotices: smallint('dunning_notices').notNull().default(0),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.number] })],
);

/** One settlement run per agreement and period (R6.6): id = its workflow id. */
export const settlements = pgTable(
  'settlements',
  {
    id: text('id').primaryKey(),
    agreementId: uuid('agreement_id')
      .notNull()
      .references(() => agreements.id),
    period: text('period').notNull(),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    /** running, awaiting_decisions, settled */
    status: text('status').notNull(),
    /** Figures of the run: lines matched, discrepancies by kind, totals. */
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull().default({}),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp('settled_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('settlements_agreement_period').on(t.agreementId, t.period)],
);

/** A counterparty's statement (R6.4, R6.5), normalised into the common line format. */
export const statements = pgTable(
  'statements',
  {
    id: uuid('id').primaryKey(),
    agreementId: uuid('agreement_id')
      .notNull()
      .references(() => agreements.id),
    period: text('period').notNull(),
    /** sha-256 of the normalised lines: the same statement posted twice is one statement. */
    digest: text('digest').notNull(),
    format: text('format').notNull(),
    lines: jsonb('lines').$type<unknown[]>().notNull(),
    submittedBy: text('submitted_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('statements_once').on(t.agreementId, t.period, t.digest)],
);

/** R6.7–R6.9: one difference between our lines and theirs, and what finance decided. */
export const discrepancies = pgTable(
  'discrepancies',
  {
    id: uuid('id').primaryKey(),
    settlementId: text('settlement_id')
      .notNull()
      .references(() => settlements.id),
    /** missing_theirs, missing_ours, amount_differs, currency_differs, duplicate */
    kind: text('kind').notNull(),
    reference: text('reference').notNull(),
    orderId: uuid('order_id'),
    ours: jsonb('ours').$type<unknown>(),
    theirs: jsonb('theirs').$type<unknown>(),
    /** Ours minus theirs, in settlement currency minor units. */
    difference: money('difference').notNull().default(0),
    currency: text('currency').notNull(),
    likelyCause: text('likely_cause').notNull(),
    /** open, auto_adjusted, resolved */
    status: text('status').notNull().default('open'),
    resolution: jsonb('resolution').$type<{
      action: string;
      amount?: number;
      note: string;
      decidedBy: string;
      decidedAt: string;
      /** A reship / return carried out by the order's workflow: where it runs and how it stands (R6.8). */
      carriedOut?: { workflowId?: string; runId?: string; status?: string; [key: string]: unknown };
    } | null>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('discrepancies_once').on(t.settlementId, t.kind, t.reference),
    index('discrepancies_settlement').on(t.settlementId, t.status),
  ],
);

/**
 * Past daily sales loaded so that forecasting starts with history (R2.7): one figure per
 * day, SKU, warehouse and source; a re-upload of the same key replaces the figure.
 */
export const demandHistory = pgTable(
  'demand_history',
  {
    date: date('date', { mode: 'string' }).notNull(),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    warehouseCode: text('warehouse_code')
      .notNull()
      .references(() => warehouses.code),
    quantity: integer('quantity').notNull(),
    source: text('source').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.date, t.sku, t.warehouseCode, t.source] }),
    index('demand_history_sku_warehouse_date').on(t.sku, t.warehouseCode, t.date),
    check('demand_history_quantity_non_negative', sql`${t.quantity} >= 0`),
  ],
);
// ---- Complaints and suggestions (R1.10) ----

/**
 * A complaint (about an order) or a suggestion (about none): a ticket with a response
 * deadline, open → responded → resolved. Its `complaint-{id}` workflow flags it overdue
 * when the deadline passes unanswered. The times are kept for the satisfaction metrics.
 */
export const complaints = pgTable(
  'complaints',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').references(() => orders.id),
    kind: text('kind').$type<'complaint' | 'suggestion'>().notNull(),
    category: text('category').notNull(),
    channel: text('channel').notNull(),
    message: text('message').notNull(),
    status: text('status').$type<'open' | 'responded' | 'resolved'>().notNull().default('open'),
    /** The role of the API key that filed it. */
    filedBy: text('filed_by').notNull(),
    responseDueAt: timestamp('response_due_at', { withTimezone: true, precision: 3 }).notNull(),
    overdue: boolean('overdue').notNull().default(false),
    needsAttention: boolean('needs_attention').notNull().default(false),
    attentionReason: text('attention_reason'),
    resolution: text('resolution'),
    respondedAt: timestamp('responded_at', { withTimezone: true, precision: 3 }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 3 }),
    /** `{caller key id}:{Idempotency-Key}`: the same filing sent twice is one ticket. */
    idempotencyKey: text('idempotency_key'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('complaints_idempotency').on(t.idempotencyKey),
    index('complaints_created').on(t.createdAt, t.id),
    index('complaints_order').on(t.orderId),
    index('complaints_status').on(t.status),
  ],
);

/** What an operator answered on a complaint, in order; the one that resolves it is its resolution note. */
export const complaintResponses = pgTable(
  'complaint_responses',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    complaintId: uuid('complaint_id')
      .notNull()
      .references(() => complaints.id),
    message: text('message').notNull(),
    by: text('by').notNull(),
    resolves: boolean('resolves').notNull().default(false),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('complaint_responses_complaint').on(t.complaintId, t.id)],
);

/**
 * An integrator's webhook endpoint and the event types it wants. Owned by the API key
 * that made it; the signing secret is kept only sealed (AES-256-GCM with the codec keys).
 */
export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: uuid('id').primaryKey(),
    ownerKeyId: text('owner_key_id').notNull(),
    url: text('url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    description: text('description'),
    /** `keyId:base64(iv|tag|ciphertext)` of the `whsec_…` secret. */
    sealedSecret: text('sealed_secret').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Deleted subscriptions stop receiving; their delivery log stays. */
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('webhook_subscriptions_owner').on(t.ownerKeyId, t.createdAt)],
);

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one subscription: retried with back-off until delivered or out of attempts. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The `webhook-id` header: the same on every attempt, so a receiver can de-duplicate. */
    messageId: text('message_id').notNull(),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    orderId: uuid('order_id'),
    /** The exact body sent, so every attempt signs the same bytes. */
    payload: text('payload').notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    claimedUntil: timestamp('claimed_until', { withTimezone: true, precision: 3 }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_message').on(t.messageId),
    uniqueIndex('webhook_deliveries_once').on(t.subscriptionId, t.eventId, t.eventType),
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_order').on(t.subscriptionId, t.orderId, t.id),
  ],
);

/** Every attempt at a delivery, for the delivery log. */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_delivery_attempts_delivery').on(t.deliveryId, t.id)],
);

/** How far the webhook dispatcher has read order_events: every event up to here is fanned out. */
export const webhookCursors = pgTable('webhook_cursors', {
  name: text('name').primaryKey(),
  lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
});

/**
 * API keys, stored as the sha-256 of the key (keys are 32 random bytes, so a plain hash
 * is enough). The id is the first 8 bytes of that hash in hex: the Caller.keyId that
 * scopes idempotency keys and order ownership, the same for a key from configuration.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    role: text('role').$type<'integrator' | 'operator' | 'finance' | 'carrier' | 'admin'>().notNull(),
    hash: text('hash').notNull(),
    label: text('label').notNull(),
    /** 'configuration' for keys seeded from ORDERFLOW_API_KEYS or the dev keys; 'issued' otherwise. */
    source: text('source').$type<'configuration' | 'issued'>().notNull().default('issued'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.hash)],
);

/**
 * Which API key placed an order (written by intake before the workflow starts, so the
 * order row, written by the workflow, needs no new field). Integrators see only theirs.
 */
export const orderOwners = pgTable(
  'order_owners',
  {
    orderId: uuid('order_id').primaryKey(),
    keyId: text('key_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('order_owners_key').on(t.keyId, t.orderId)],
);
