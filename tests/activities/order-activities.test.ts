import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCarrierActivities, createOrderActivities, type OrderActivities } from '../../activities';
import type { Transition } from '../../src/domain/transition';
import type { Booking, BookingRequest, CarrierTrackingEvent, RateQuote } from '../../src/carriers/carrier-gateway';
import { HttpCarrierGateway } from '../../src/carriers/sandbox-gateway';
import { startCarrierSandbox, type CarrierSandbox } from '../../src/carriers/sandbox-server';
import type { Db } from '../../src/db/client';
import {
  feedback,
  inventoryLevels,
  ledgerEntries,
  notifications,
  orderEvents,
  orderItems,
  orders,
  products,
  reservations,
  shipments,
  type StockMovementKind,
  signOffs,
  stockMovements,
  trackingEvents,
} from '../../src/db/schema';
import { sandboxShipments } from '../../src/db/sandbox-schema';
import { seedDemoCatalogue } from '../../src/db/seed';
import { BusinessFailure } from '../../src/domain/failures';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderStatus } from '../../src/domain/order-status';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { sampleOrder } from '../helpers/orders';
import { freePort } from '../helpers/free-port';

// The activities of the `orders` and `carriers` task queues, called directly as the plain
// async functions they are, over a real PostgreSQL database and the
// real carrier sandbox. What is proved: a retried activity writes nothing twice, a late
// one never moves an order backwards, business failures are typed and non-retryable, and
// the ledgers cannot be rewritten.

let testDb: TestDatabase;
let db: Db;
let acts: OrderActivities;

beforeAll(async () => {
  // 20 connections on Postgres so the concurrency test's reservations really run side by side.
  testDb = await createTestDatabase({ maxConnections: 20 });
  db = testDb.database.db;
  await seedDemoCatalogue(db);
  acts = createOrderActivities({ db });
}, 90_000);

afterAll(() => testDb?.drop());

// ---- helpers -------------------------------------------------------------------------

function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
  const { customer, ...order } = sampleOrder() as OrderDraft;
  // E-mail only: every announced status gives exactly one notification row.
  const { phone: _phone, ...emailOnly } = customer;
  return { ...order, customer: emailOnly, ...overrides };
}

const t = (version: number, status: OrderStatus, detail?: Record<string, unknown>): Transition =>
  detail ? { version, status, detail } : { version, status };

function verifyInput(orderId: string, d: OrderDraft) {
  return {
    orderId,
    workflowId: `order-${orderId}`,
    fingerprint: `fp-${orderId}`,
    draft: d,
    transitions: [t(1, 'received'), t(2, 'verifying')],
  };
}

/** A verified order (versions 1 and 2 written). */
async function placeOrder(d: OrderDraft = draft()): Promise<{ orderId: string; number: string }> {
  const orderId = randomUUID();
  const { number } = await acts.verifyOrder(verifyInput(orderId, d));
  return { orderId, number };
}

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function expectBusinessFailure(err: unknown, type: string): ApplicationFailure {
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  return failure;
}

/** Drizzle wraps driver errors; the trigger's message sits in the cause. */
function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' | ');
}

const orderRow = async (orderId: string) => (await db.select().from(orders).where(eq(orders.id, orderId)))[0]!;
const eventsOf = (orderId: string) => db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(orderEvents.id);
const noticesOf = (orderId: string) => db.select().from(notifications).where(eq(notifications.orderId, orderId));
const reservationsOf = (orderId: string) =>
  db.select().from(reservations).where(eq(reservations.orderId, orderId)).orderBy(reservations.line, reservations.warehouseCode);
const movementsOf = (orderId: string, kind?: StockMovementKind) =>
  db
    .select()
    .from(stockMovements)
    .where(kind ? and(eq(stockMovements.orderId, orderId), eq(stockMovements.kind, kind)) : eq(stockMovements.orderId, orderId));
const shipmentsOf = (orderId: string) => db.select().from(shipments).where(eq(shipments.orderId, orderId)).orderBy(shipments.sequence);

async function level(sku: string, warehouseCode: string) {
  const [row] = await db
    .select()
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.sku, sku), eq(inventoryLevels.warehouseCode, warehouseCode)));
  return { onHand: row!.onHand, reserved: row!.reserved };
}

const statusCounts = (events: { status: string }[]) =>
  events.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.status]: (acc[e.status] ?? 0) + 1 }), {});

const quote = (overrides: Partial<RateQuote> = {}): RateQuote => ({
  carrier: 'swiftship',
  carrierName: 'SwiftShip',
  method: 'ground',
  service: 'ground',
  amount: 590,
  currency: 'EUR',
  transitDays: 2,
  onTimeRate: 0.95,
  damageRate: 0.005,
  reputation: 4.6,
  ...overrides,
});
const GOOD_QUOTES = [quote(), quote({ carrier: 'parcelpro', carrierName: 'ParcelPro', service: 'standard', amount: 790 })];
const UNSAFE_QUOTES = [quote({ reputation: 1 }), quote({ carrier: 'cheapo', carrierName: 'Cheapo', reputation: 1, amount: 100 })];

/** An order that went through VERIFY, RESERVE and PLAN (versions 1–4). */
async function plannedOrder(d: OrderDraft = draft()) {
  const placed = await placeOrder(d);
  const { consignments } = await acts.reserveStock({ orderId: placed.orderId, transitions: [t(3, 'reserved')] });
  const { shipments: planned } = await acts.planShipments({
    orderId: placed.orderId,
    consignments: consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })),
    transitions: [t(4, 'planned')],
  });
  return { ...placed, consignments, planned };
}

function bookingsFor(planned: { shipmentId: string; carrier: string; service: string }[]): (Booking & { shipmentId: string })[] {
  return planned.map((s) => ({
    shipmentId: s.shipmentId,
    carrier: s.carrier,
    service: s.service,
    trackingNumber: `TST${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
    reference: s.shipmentId,
    labelUrl: `http://carrier.invalid/labels/${s.shipmentId}`,
    amount: 590,
    currency: 'EUR',
    createdAt: new Date().toISOString(),
  }));
}

/** An order whose goods are with the carrier (versions 1–5). */
async function dispatchedOrder(d: OrderDraft = draft()) {
  const order = await plannedOrder(d);
  const bookings = bookingsFor(order.planned);
  await acts.recordDispatch({ orderId: order.orderId, bookings, transitions: [t(5, 'dispatched')] });
  return { ...order, bookings };
}

function trackingEvent(booking: Booking & { shipmentId: string }, status: CarrierTrackingEvent['status'], at: Date): CarrierTrackingEvent {
  return {
    eventId: `evt-${randomUUID()}`,
    carrier: booking.carrier,
    trackingNumber: booking.trackingNumber,
    reference: booking.shipmentId,
    status,
    occurredAt: at.toISOString(),
    location: 'Berlin',
    description: status,
  };
}

const hours = (n: number) => new Date(Date.UTC(2030, 0, 1, n));

// ---- VERIFY --------------------------------------------------------------------------

describe('verifyOrder', () => {
  it('records the order, its items, its first events and its notice once, however often it runs', async () => {
    const orderId = randomUUID();
    const input = verifyInput(orderId, draft());
    const first = await acts.verifyOrder(input);
    const second = await acts.verifyOrder(input);

    expect(first.verification).toEqual({ ok: true, reasons: [] });
    expect(second.number).toBe(first.number);
    expect(first.number).toMatch(/^OF-\d+$/);

    expect(await db.select().from(orders).where(eq(orders.id, orderId))).toHaveLength(1);
    const items = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(orderItems.line);
    expect(items.map((i) => [i.line, i.sku, i.quantity, i.lineTotal])).toEqual([
      [1, 'TEA-OOLONG-100', 2, 2580],
      [2, 'MUG-STONE-350', 1, 1850],
    ]);
    const events = await eventsOf(orderId);
    expect(events.map((e) => [e.version, e.status])).toEqual([
      [1, 'received'],
      [2, 'verifying'],
    ]);
    const notices = await noticesOf(orderId);
    expect(notices.map((n) => [n.template, n.channel, n.recipient])).toEqual([['received', 'email', 'ada@example.com']]);

    const row = await orderRow(orderId);
    expect(row).toMatchObject({ status: 'verifying', stage: 'verify', stateVersion: 2, subtotalAmount: 4430, totalAmount: 4430 });
    expect(row.verification).toEqual({ ok: true, reasons: [] });
  });

  it('raises a failed check as a non-retryable OrderVerificationFailed and records the verdict', async () => {
    const orderId = randomUUID();
    const bad = draft({ items: [{ sku: 'NO-SUCH-SKU', quantity: 1, unitPrice: 100 }] });
    const failure = expectBusinessFailure(await rejectionOf(acts.verifyOrder(verifyInput(orderId, bad))), BusinessFailure.OrderVerificationFailed);

    const row = await orderRow(orderId);
    expect(failure.details).toEqual([
      { number: row.number, reasons: [expect.objectContaining({ code: 'unknown_sku', field: 'items.0.sku' })] },
    ]);
    expect(row).toMatchObject({ status: 'verifying', stateVersion: 2 });
    expect(row.verification).toEqual({ ok: false, reasons: [expect.objectContaining({ code: 'unknown_sku' })] });

    // The retry the workflow would never make (the failure is non-retryable) still writes nothing twice.
    expectBusinessFailure(await rejectionOf(acts.verifyOrder(verifyInput(orderId, bad))), BusinessFailure.OrderVerificationFailed);
    expect(await db.select().from(orders).where(eq(orders.id, orderId))).toHaveLength(1);
    expect(await db.select().from(orderItems).where(eq(orderItems.orderId, orderId))).toHaveLength(1);
    expect(statusCounts(await eventsOf(orderId))).toEqual({ received: 1, verifying: 1 });
  });

  it('replaces the items of an order that needs correction, and only then', async () => {
    const orderId = randomUUID();
    const bad = draft({ items: [{ sku: 'NO-SUCH-SKU', quantity: 1, unitPrice: 100 }] });
    await rejectionOf(acts.verifyOrder(verifyInput(orderId, bad)));
    await acts.recordStatus({ orderId, transitions: [t(3, 'needs_correction', { reasons: [] })] });

    const fixed = draft({ items: [{ sku: 'HONEY-ACACIA-500', quantity: 3, unitPrice: 990 }] });
    const correction = { ...verifyInput(orderId, fixed), correction: true, transitions: [t(4, 'verifying')] };
    const result = await acts.verifyOrder(correction);
    expect(result.verification.ok).toBe(true);
    // A retry of the same correction round finds the items already replaced.
    await acts.verifyOrder(correction);

    // Once the order no longer needs correction, a correction changes nothing.
    const other = draft({ items: [{ sku: 'TEA-OOLONG-100', quantity: 9, unitPrice: 1290 }] });
    await acts.verifyOrder({ ...verifyInput(orderId, other), correction: true, transitions: [t(4, 'verifying')] });

    const items = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId));
    expect(items.map((i) => [i.sku, i.quantity])).toEqual([['HONEY-ACACIA-500', 3]]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'verifying', stateVersion: 4, totalAmount: 2970 });
  });
});

// ---- the state-version guard ---------------------------------------------------------

describe('applyTransitions (via recordStatus)', () => {
  it('keeps a late event but never moves the order back, and a replay writes nothing', async () => {
    const { orderId } = await placeOrder();
    await acts.recordStatus({ orderId, transitions: [t(5, 'reserved')] });
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', stage: 'reserve', stateVersion: 5 });

    // A write of version 3 that arrives after version 5 (a slow, retried activity).
    await acts.recordStatus({ orderId, transitions: [t(3, 'verifying', { late: true })] });
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', stage: 'reserve', stateVersion: 5 });
    const events = await eventsOf(orderId);
    expect(events.map((e) => [e.version, e.status])).toEqual([
      [1, 'received'],
      [2, 'verifying'],
      [5, 'reserved'],
      [3, 'verifying'],
    ]);

    const noticesBefore = await noticesOf(orderId);
    expect(noticesBefore.map((n) => n.template).sort()).toEqual(['received', 'reserved']);
    await acts.recordStatus({ orderId, transitions: [t(5, 'reserved')] });
    expect(await eventsOf(orderId)).toEqual(events);
    expect(await noticesOf(orderId)).toEqual(noticesBefore);
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', stateVersion: 5 });
  });

  it('applies the newest of several transitions written together', async () => {
    const { orderId } = await placeOrder();
    await acts.recordStatus({ orderId, transitions: [t(4, 'planned'), t(3, 'reserved')] });
    expect(await orderRow(orderId)).toMatchObject({ status: 'planned', stateVersion: 4 });
    expect(statusCounts(await eventsOf(orderId))).toMatchObject({ reserved: 1, planned: 1 });
  });

  it('raises OrderMissing for an order that is not there', async () => {
    const err = await rejectionOf(acts.recordStatus({ orderId: randomUUID(), transitions: [t(1, 'received')] }));
    expectBusinessFailure(err, BusinessFailure.OrderMissing);
  });
});

describe('recordAttention', () => {
  it('raises the flag with its reason, keeps a note with the flag down (a refused operator action), and clears both', async () => {
    const { orderId } = await placeOrder();
    await acts.recordAttention({ orderId, needsAttention: true, reason: 'plan shipments failed' });
    expect(await orderRow(orderId)).toMatchObject({ needsAttention: true, attentionReason: 'plan shipments failed' });
    await acts.recordAttention({ orderId, needsAttention: false });
    expect(await orderRow(orderId)).toMatchObject({ needsAttention: false, attentionReason: null });
    await acts.recordAttention({ orderId, needsAttention: false, reason: 'refused an operator action {}: expected an object' });
    expect(await orderRow(orderId)).toMatchObject({ needsAttention: false, attentionReason: 'refused an operator action {}: expected an object' });
  });
});

// ---- RESERVE -------------------------------------------------------------------------

describe('reserveStock and releaseStock', () => {
  it('reserves once and releases once, however often each runs', async () => {
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    const mug0 = await level('MUG-STONE-350', 'BER-1');
    const { orderId } = await placeOrder();

    const first = await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    const second = await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    expect(first.allocations).toEqual([
      { line: 1, sku: 'TEA-OOLONG-100', warehouseCode: 'BER-1', quantity: 2 },
      { line: 2, sku: 'MUG-STONE-350', warehouseCode: 'BER-1', quantity: 1 },
    ]);
    expect(second.allocations).toEqual(first.allocations);
    expect(second.consignments).toEqual(first.consignments);
    expect(first.consignments.map((c) => c.warehouseCode)).toEqual(['BER-1']);

    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual({ onHand: tea0.onHand, reserved: tea0.reserved + 2 });
    expect(await level('MUG-STONE-350', 'BER-1')).toEqual({ onHand: mug0.onHand, reserved: mug0.reserved + 1 });
    expect(await movementsOf(orderId, 'reservation')).toHaveLength(2);
    expect((await reservationsOf(orderId)).map((r) => r.status)).toEqual(['held', 'held']);
    expect(statusCounts(await eventsOf(orderId))).toMatchObject({ reserved: 1 });
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', stateVersion: 3 });

    const released = await acts.releaseStock({ orderId, transitions: [t(4, 'cancelled', { reason: 'test' })] });
    const releasedAgain = await acts.releaseStock({ orderId, transitions: [t(4, 'cancelled', { reason: 'test' })] });
    expect(released).toEqual({ released: 3 });
    expect(releasedAgain).toEqual({ released: 0 });

    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(tea0);
    expect(await level('MUG-STONE-350', 'BER-1')).toEqual(mug0);
    expect(await movementsOf(orderId, 'release')).toHaveLength(2);
    expect((await reservationsOf(orderId)).map((r) => r.status)).toEqual(['released', 'released']);
    expect(statusCounts(await eventsOf(orderId))).toMatchObject({ cancelled: 1 });
    expect((await noticesOf(orderId)).filter((n) => n.template === 'cancelled')).toHaveLength(1);
  });

  it('never reserves again for an order whose stock was given back (a late attempt after the cancel)', async () => {
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    const { orderId } = await placeOrder();
    await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    // The cancellation gives the stock back first and writes `cancelled` after.
    expect(await acts.releaseStock({ orderId })).toEqual({ released: 3 });

    const err = await rejectionOf(acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ReservationReleased', nonRetryable: true });
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(tea0);
    expect((await reservationsOf(orderId)).map((r) => r.status)).toEqual(['released', 'released']);
    expect(await movementsOf(orderId, 'reservation')).toHaveLength(2);
  });

  it('raises InsufficientStock with the shortages and reserves nothing at all', async () => {
    const kettles = (await level('KETTLE-GLASS-1L', 'BER-1')).onHand + (await level('KETTLE-GLASS-1L', 'RTM-1')).onHand;
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    // The first line could be served on its own; the second cannot: all or nothing.
    const { orderId } = await placeOrder(
      draft({
        items: [
          { sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1290 },
          { sku: 'KETTLE-GLASS-1L', quantity: 10_000, unitPrice: 4900 },
        ],
      }),
    );

    const err = await rejectionOf(acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] }));
    const failure = expectBusinessFailure(err, BusinessFailure.InsufficientStock);
    expect(failure.details).toEqual([{ shortages: [{ sku: 'KETTLE-GLASS-1L', requested: 10_000, available: kettles }] }]);

    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(tea0);
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await movementsOf(orderId)).toEqual([]);
    // The 'reserved' transition was not written either.
    expect(await orderRow(orderId)).toMatchObject({ status: 'verifying', stateVersion: 2 });
    expect((await eventsOf(orderId)).map((e) => e.status)).toEqual(['received', 'verifying']);
  });

  it('lets exactly as many of 20 concurrent orders reserve as there are units', async () => {
    const sku = 'SCARCE-WIDGET-7';
    await db.insert(products).values({
      sku,
      name: 'Scarce widget',
      spec: 'last seven',
      unitPrice: 500,
      unitCost: 200,
      currency: 'EUR',
      weightGrams: 200,
      lengthCm: 10,
      widthCm: 10,
      heightCm: 10,
    });
    await db.insert(inventoryLevels).values({ sku, warehouseCode: 'BER-1', onHand: 7 });

    const placed = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(draft({ items: [{ sku, quantity: 1, unitPrice: 500 }] }))),
    );
    const outcomes = await Promise.allSettled(placed.map(({ orderId }) => acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] })));

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    for (const o of lost) expectBusinessFailure(o.reason, BusinessFailure.InsufficientStock);
    expect(won).toHaveLength(7);
    expect(lost).toHaveLength(13);

    const after = await level(sku, 'BER-1');
    expect(after).toEqual({ onHand: 7, reserved: 7 });
    const held = await db.select().from(reservations).where(eq(reservations.sku, sku));
    expect(held.reduce((n, r) => n + r.quantity, 0)).toBe(7);
    expect(new Set(held.map((r) => r.orderId)).size).toBe(7);
    expect(await db.select().from(stockMovements).where(and(eq(stockMovements.sku, sku), eq(stockMovements.kind, 'reservation')))).toHaveLength(7);
    const statuses = await Promise.all(placed.map(async ({ orderId }) => (await orderRow(orderId)).status));
    expect(statuses.filter((s) => s === 'reserved')).toHaveLength(7);
  });
});

// ---- overlapping retries -------------------------------------------------------------

describe('an activity and its retry running at the same time', () => {
  // A retry after a start-to-close timeout can overlap the first attempt, still running.
  it('still write everything once', async () => {
    const orderId = randomUUID();
    const d = draft({ items: [{ sku: 'LAMP-DESK-LED', quantity: 2, unitPrice: 6400 }] });
    const lamps0 = await level('LAMP-DESK-LED', 'BER-1');

    const verified = await Promise.all([acts.verifyOrder(verifyInput(orderId, d)), acts.verifyOrder(verifyInput(orderId, d))]);
    expect(verified[1].number).toBe(verified[0].number);
    expect(await db.select().from(orderItems).where(eq(orderItems.orderId, orderId))).toHaveLength(1);

    const reserve = () => acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    const [r1, r2] = await Promise.all([reserve(), reserve()]);
    expect(r2.allocations).toEqual(r1.allocations);
    expect(await level('LAMP-DESK-LED', 'BER-1')).toEqual({ onHand: lamps0.onHand, reserved: lamps0.reserved + 2 });

    const plan = () =>
      acts.planShipments({ orderId, consignments: r1.consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })), transitions: [t(4, 'planned')] });
    const [p1, p2] = await Promise.all([plan(), plan()]);
    expect(p2.shipments.map((s) => s.shipmentId)).toEqual(p1.shipments.map((s) => s.shipmentId));
    expect(await shipmentsOf(orderId)).toHaveLength(1);

    const bookings = bookingsFor(p1.shipments);
    const dispatch = () => acts.recordDispatch({ orderId, bookings, transitions: [t(5, 'dispatched')] });
    await Promise.all([dispatch(), dispatch()]);
    // Booked, not yet handed over: the goods are still on the shelf, reserved.
    expect(await level('LAMP-DESK-LED', 'BER-1')).toEqual({ onHand: lamps0.onHand, reserved: lamps0.reserved + 2 });
    expect(await movementsOf(orderId, 'shipment')).toHaveLength(0);

    const pickedUp = trackingEvent(bookings[0]!, 'in_transit', hours(10));
    const track = () => acts.recordTracking({ orderId, events: [pickedUp], transitions: [] });
    await Promise.all([track(), track()]);
    expect(await level('LAMP-DESK-LED', 'BER-1')).toEqual({ onHand: lamps0.onHand - 2, reserved: lamps0.reserved });
    expect(await movementsOf(orderId, 'shipment')).toHaveLength(1);

    const settle = () => acts.settleOrder({ orderId, transitions: [t(6, 'settling'), t(7, 'completed')] });
    await Promise.all([settle(), settle()]);
    // The sale (goods, shipping) and the carrier's charge for the one booked shipment, once each.
    expect(await db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId))).toHaveLength(3 + 2);

    const counts = statusCounts(await eventsOf(orderId));
    expect(counts).toEqual({ received: 1, verifying: 1, reserved: 1, planned: 1, dispatched: 1, settling: 1, completed: 1 });
    expect((await noticesOf(orderId)).map((n) => n.template).sort()).toEqual(['completed', 'dispatched', 'planned', 'received', 'reserved']);
  });
});

// ---- PLAN ----------------------------------------------------------------------------

describe('planShipments', () => {
  it('plans one shipment per consignment once, with checked packing lists', async () => {
    // No warehouse holds both: the chair comes from Munich, the honey from Berlin.
    const { orderId, number } = await placeOrder(
      draft({
        items: [
          { sku: 'CHAIR-OAK', quantity: 1, unitPrice: 18900 },
          { sku: 'HONEY-ACACIA-500', quantity: 2, unitPrice: 990 },
        ],
      }),
    );
    const { consignments } = await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    expect(consignments.map((c) => c.warehouseCode)).toEqual(['BER-1', 'MUC-1']);

    const input = { orderId, consignments: consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })), transitions: [t(4, 'planned')] };
    const first = await acts.planShipments(input);
    const second = await acts.planShipments(input);

    expect(first.shipments).toHaveLength(2);
    expect(second.shipments.map((s) => s.shipmentId)).toEqual(first.shipments.map((s) => s.shipmentId));
    expect(second.shipments).toEqual(first.shipments);
    expect(first.shipments.map((s) => [s.warehouseCode, s.carrier, s.bookingKey])).toEqual([
      ['BER-1', 'swiftship', `booking:${first.shipments[0]!.shipmentId}`],
      ['MUC-1', 'swiftship', `booking:${first.shipments[1]!.shipmentId}`],
    ]);

    const rows = await shipmentsOf(orderId);
    expect(rows.map((r) => r.id)).toEqual(first.shipments.map((s) => s.shipmentId));
    for (const [i, row] of rows.entries()) {
      expect(row.status).toBe('planned');
      expect(row.packingList).toMatchObject({ checkedAgainstOrder: true, orderNumber: number, warehouseCode: consignments[i]!.warehouseCode });
      expect(row.packingList.lines.map((l) => [l.sku, l.quantity])).toEqual(consignments[i]!.lines.map((l) => [l.sku, l.quantity]));
      expect((row.decision as { reasons: string[] }).reasons.length).toBeGreaterThan(0);
    }
    expect(statusCounts(await eventsOf(orderId))).toMatchObject({ planned: 1 });
    expect((await noticesOf(orderId)).filter((n) => n.template === 'planned')).toHaveLength(1);
    expect(await orderRow(orderId)).toMatchObject({ status: 'planned', stateVersion: 4 });
  });

  it('raises NoCarrierAvailable when only carriers with a poor safety record quote, and plans nothing', async () => {
    const { orderId } = await placeOrder();
    const { consignments } = await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
    const err = await rejectionOf(
      acts.planShipments({ orderId, consignments: consignments.map((c) => ({ ...c, quotes: UNSAFE_QUOTES })), transitions: [t(4, 'planned')] }),
    );
    const failure = expectBusinessFailure(err, BusinessFailure.NoCarrierAvailable);
    expect(failure.details).toEqual([{ warehouseCode: 'BER-1', reasons: [expect.stringMatching(/safety/)] }]);
    expect(await shipmentsOf(orderId)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', stateVersion: 3 });
  });
});

// ---- DISPATCH ------------------------------------------------------------------------

describe('recordDispatch', () => {
  it('records the bookings once and leaves the goods on the shelf until the carrier has them', async () => {
    const d = draft({
      items: [
        { sku: 'CHAIR-OAK', quantity: 1, unitPrice: 18900 },
        { sku: 'HONEY-ACACIA-500', quantity: 2, unitPrice: 990 },
      ],
    });
    const order = await plannedOrder(d);
    const chair0 = await level('CHAIR-OAK', 'MUC-1');
    const honey0 = await level('HONEY-ACACIA-500', 'BER-1');
    const bookings = bookingsFor(order.planned);

    const input = { orderId: order.orderId, bookings, transitions: [t(5, 'dispatched')] };
    await acts.recordDispatch(input);
    await acts.recordDispatch(input);

    // Stock leaves at handover (recordTracking), not at booking.
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual(chair0);
    expect(await level('HONEY-ACACIA-500', 'BER-1')).toEqual(honey0);
    expect((await reservationsOf(order.orderId)).map((r) => r.status)).toEqual(['held', 'held']);
    expect(await movementsOf(order.orderId, 'shipment')).toEqual([]);

    const rows = await shipmentsOf(order.orderId);
    expect(rows.map((r) => [r.id, r.status, r.trackingNumber])).toEqual(bookings.map((b) => [b.shipmentId, 'label_created', b.trackingNumber]));
    expect(statusCounts(await eventsOf(order.orderId))).toMatchObject({ dispatched: 1 });
    expect((await noticesOf(order.orderId)).filter((n) => n.template === 'dispatched')).toHaveLength(1);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'dispatched', stateVersion: 5 });
  });
});

// ---- TRACK, SIGN-OFF, FEEDBACK, SETTLE, and the append-only ledgers -----------------

describe('after dispatch', () => {
  let order: Awaited<ReturnType<typeof dispatchedOrder>>;
  beforeAll(async () => {
    order = await dispatchedOrder();
  });

  it('recordTracking keeps each carrier event once and never moves a shipment backwards', async () => {
    const booking = order.bookings[0]!;
    const inTransit = trackingEvent(booking, 'in_transit', hours(10));
    const delivered = trackingEvent(booking, 'delivered', hours(30));
    const olderInTransit = trackingEvent(booking, 'in_transit', hours(12));

    // The same event twice in one delivery, and again in a later one.
    expect(await acts.recordTracking({ orderId: order.orderId, events: [inTransit, inTransit], transitions: [t(6, 'in_transit')] })).toEqual({
      recorded: 1,
    });
    expect(await acts.recordTracking({ orderId: order.orderId, events: [inTransit], transitions: [t(6, 'in_transit')] })).toEqual({ recorded: 0 });
    let [shipment] = await shipmentsOf(order.orderId);
    expect(shipment).toMatchObject({ status: 'in_transit', lastTrackingAt: hours(10) });

    expect(
      await acts.recordTracking({ orderId: order.orderId, events: [delivered], transitions: [t(7, 'out_for_delivery'), t(8, 'delivered')] }),
    ).toEqual({ recorded: 1 });
    // An older event arrives late: kept in the history, but the parcel stays delivered.
    expect(await acts.recordTracking({ orderId: order.orderId, events: [olderInTransit], transitions: [] })).toEqual({ recorded: 1 });

    [shipment] = await shipmentsOf(order.orderId);
    expect(shipment).toMatchObject({ status: 'delivered', deliveredAt: hours(30), lastTrackingAt: hours(30) });
    const stored = await db.select().from(trackingEvents).where(eq(trackingEvents.orderId, order.orderId)).orderBy(trackingEvents.id);
    expect(stored.map((e) => [e.carrierEventId, e.status])).toEqual([
      [inTransit.eventId, 'in_transit'],
      [delivered.eventId, 'delivered'],
      [olderInTransit.eventId, 'in_transit'],
    ]);
    expect(statusCounts(await eventsOf(order.orderId))).toMatchObject({ in_transit: 1, out_for_delivery: 1, delivered: 1 });
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'delivered', stateVersion: 8 });
  });

  it('recordTracking records the same events the same way however the carrier batches them', async () => {
    // Two orders, the same carrier news: once in one delivery, once in two.
    const one = await dispatchedOrder();
    const two = await dispatchedOrder();
    const news = (o: typeof one) => {
      const booking = o.bookings[0]!;
      return [trackingEvent(booking, 'delivered', hours(30)), trackingEvent(booking, 'delivered', hours(40))];
    };
    await acts.recordTracking({ orderId: one.orderId, events: news(one), transitions: [] });
    const [first, second] = news(two);
    await acts.recordTracking({ orderId: two.orderId, events: [first!], transitions: [] });
    await acts.recordTracking({ orderId: two.orderId, events: [second!], transitions: [] });

    const [batched] = await shipmentsOf(one.orderId);
    const [separate] = await shipmentsOf(two.orderId);
    expect(separate).toMatchObject({ status: 'delivered', deliveredAt: hours(30), lastTrackingAt: hours(40) });
    // The parcel was delivered at the first delivery scan, however the news arrived.
    expect(batched).toMatchObject({ status: 'delivered', deliveredAt: hours(30), lastTrackingAt: hours(40) });
  });

  it("recordTracking stores what Postgres can hold of a poison event, skips what it cannot, and never another carrier's shipment", async () => {
    // Such events are refused at the webhook and cleaned in poll answers; these stand for
    // ones already in a running order's history, which must not fail the activity for ever.
    const o = await dispatchedOrder();
    const booking = o.bookings[0]!;
    const dirty = { ...trackingEvent(booking, 'in_transit', hours(10)), description: 'sorted\u0000 at hub \ud800', location: 'Berlin\u0000' };
    const yearZero = { ...trackingEvent(booking, 'exception', hours(11)), occurredAt: '0000-01-01T00:00:00.000Z' };
    const foreign = { ...trackingEvent(booking, 'delivered', hours(12)), carrier: 'someothercarrier', trackingNumber: 'OTHER-1' };
    const after = trackingEvent(booking, 'out_for_delivery', hours(13));
    expect(
      await acts.recordTracking({ orderId: o.orderId, events: [dirty, yearZero, foreign, after], transitions: [t(6, 'in_transit'), t(7, 'out_for_delivery')] }),
    ).toEqual({ recorded: 2 });
    const stored = await db.select().from(trackingEvents).where(eq(trackingEvents.orderId, o.orderId)).orderBy(trackingEvents.id);
    expect(stored.map((e) => [e.carrierEventId, e.description, e.location])).toEqual([
      [dirty.eventId, 'sorted at hub \ufffd', 'Berlin'],
      [after.eventId, 'out_for_delivery', 'Berlin'],
    ]);
    const [shipment] = await shipmentsOf(o.orderId);
    expect(shipment).toMatchObject({ status: 'out_for_delivery', deliveredAt: null });
    expect(await orderRow(o.orderId)).toMatchObject({ status: 'out_for_delivery', stateVersion: 7 });
  });

  it('recordAttention records the flag even when its reason quotes text Postgres refuses', async () => {
    const o = await placeOrder();
    await acts.recordAttention({ orderId: o.orderId, needsAttention: true, reason: 'recordTracking failed: invalid byte sequence "\u0000" \udc00' });
    expect(await orderRow(o.orderId)).toMatchObject({ needsAttention: true, attentionReason: 'recordTracking failed: invalid byte sequence "" \ufffd' });
    await acts.recordAttention({ orderId: o.orderId, needsAttention: false });
    expect(await orderRow(o.orderId)).toMatchObject({ needsAttention: false, attentionReason: null });
  });

  it('recordSignOff, recordFeedback and settleOrder each write once; the journal balances', async () => {
    const { orderId } = order;
    const proof = { recipientName: 'Ada Lovelace', credential: { type: 'order_number' as const, value: order.number }, packagingIntact: true, quantitiesMatch: true };
    const signedTransitions = [t(9, 'signed_off', { method: 'customer' }), t(10, 'awaiting_feedback')];
    const signed = await acts.recordSignOff({ orderId, method: 'customer', proof, credentialHint: 'order_number:…1234', transitions: signedTransitions });
    // A later, different sign-off (e.g. the proof-of-delivery fallback racing it) changes nothing.
    const signedAgain = await acts.recordSignOff({ orderId, method: 'carrier_proof_of_delivery', transitions: signedTransitions });
    expect(signedAgain.signedAt).toBe(signed.signedAt);
    const signOffRows = await db.select().from(signOffs).where(eq(signOffs.orderId, orderId));
    expect(signOffRows).toHaveLength(1);
    expect(signOffRows[0]).toMatchObject({ method: 'customer', recipientName: 'Ada Lovelace', credentialType: 'order_number', packagingIntact: true });

    const rating = { channel: 'online' as const, ratings: { productQuality: 5, serviceAttitude: 4, deliveryPunctuality: 5, resolutionEfficiency: 4 }, comment: 'fine' };
    const rated = await acts.recordFeedback({ orderId, feedback: rating, transitions: [] });
    const ratedAgain = await acts.recordFeedback({
      orderId,
      feedback: { channel: 'phone', ratings: { productQuality: 1, serviceAttitude: 1, deliveryPunctuality: 1, resolutionEfficiency: 1 } },
      transitions: [],
    });
    expect(ratedAgain.submittedAt).toBe(rated.submittedAt);
    const feedbackRows = await db.select().from(feedback).where(eq(feedback.orderId, orderId));
    expect(feedbackRows).toHaveLength(1);
    expect(feedbackRows[0]).toMatchObject({ channel: 'online', productQuality: 5, serviceAttitude: 4, comment: 'fine' });

    const settleTransitions = [t(11, 'settling', { feedback: 'received' }), t(12, 'completed')];
    const settled = await acts.settleOrder({ orderId, transitions: settleTransitions });
    const settledAgain = await acts.settleOrder({ orderId, transitions: settleTransitions });
    expect(settledAgain.journalId).toBe(settled.journalId);

    const entries = await db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId));
    const journal = entries.filter((e) => e.journalId === settled.journalId);
    expect(journal).toHaveLength(3);
    const total = (side: 'debit' | 'credit') => journal.filter((e) => e.side === side).reduce((n, e) => n + e.amount, 0);
    expect(total('debit')).toBe(total('credit'));
    const row = await orderRow(orderId);
    expect(total('debit')).toBe(row.totalAmount);
    expect(row.totalAmount).toBe(row.subtotalAmount + row.shippingAmount);
    expect(journal.map((e) => [e.account, e.side, e.amount]).sort()).toEqual([
      ['customer_prepayments', 'debit', row.totalAmount],
      ['revenue', 'credit', row.subtotalAmount],
      ['shipping_revenue', 'credit', row.shippingAmount],
    ]);
    // R6.1: what the carrier charged for each booked shipment is owed to it.
    const charges = entries.filter((e) => e.kind === 'carrier_charge');
    expect(charges.map((e) => [e.account, e.side, e.counterpartyKind]).sort()).toEqual([
      ['carrier_payable', 'credit', 'carrier'],
      ['shipping_expense', 'debit', 'carrier'],
    ]);

    const counts = statusCounts(await eventsOf(orderId));
    expect(counts).toMatchObject({ signed_off: 1, awaiting_feedback: 1, settling: 1, completed: 1 });
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);
    expect((await noticesOf(orderId)).filter((n) => n.template === 'completed')).toHaveLength(1);
    expect(await orderRow(orderId)).toMatchObject({ status: 'completed', stage: 'settle', stateVersion: 12 });
  });

  it('refuses every UPDATE and DELETE on the append-only tables', async () => {
    // An order of its own with a row in each of the four ledgers.
    const { orderId, bookings } = await dispatchedOrder();
    await acts.recordTracking({ orderId, events: [trackingEvent(bookings[0]!, 'delivered', hours(5))], transitions: [t(6, 'delivered')] });
    await acts.settleOrder({ orderId, transitions: [t(7, 'settling'), t(8, 'completed')] });
    const tables = [
      { name: 'order_events', table: orderEvents, column: orderEvents.orderId, set: { status: 'cancelled' } },
      { name: 'ledger_entries', table: ledgerEntries, column: ledgerEntries.orderId, set: { amount: 1 } },
      { name: 'tracking_events', table: trackingEvents, column: trackingEvents.orderId, set: { status: 'exception' } },
      { name: 'stock_movements', table: stockMovements, column: stockMovements.orderId, set: { onHandDelta: 0 } },
    ] as const;
    for (const { name, table, column, set } of tables) {
      const before = await db.select().from(table).where(eq(column, orderId));
      expect(before.length, `${name} has rows for the order`).toBeGreaterThan(0);

      const updated = await rejectionOf(Promise.resolve(db.update(table).set(set as never).where(eq(column, orderId))));
      expect(messagesOf(updated)).toMatch(new RegExp(`${name} is append-only: UPDATE`));
      const deleted = await rejectionOf(Promise.resolve(db.delete(table).where(eq(column, orderId))));
      expect(messagesOf(deleted)).toMatch(new RegExp(`${name} is append-only: DELETE`));
      // Raw SQL cannot go around it either.
      const raw = await rejectionOf(Promise.resolve(db.execute(sql`delete from ${table} where ${column} = ${orderId}`)));
      expect(messagesOf(raw)).toMatch(/append-only/);

      expect(await db.select().from(table).where(eq(column, orderId))).toEqual(before);
    }
  });
});

// ---- carriers ------------------------------------------------------------------------

describe('carrier activities against the carrier sandbox', () => {
  let sandbox: CarrierSandbox;
  let carriers: ReturnType<typeof createCarrierActivities>;

  beforeAll(async () => {
    sandbox = await startCarrierSandbox({
      db,
      port: 0,
      // Nothing listens there: webhooks fail and are retried later, which is fine here.
      webhookBaseUrl: `http://127.0.0.1:${await freePort()}`,
      webhookSecrets: { base: 'order-activities-test-secret' },
      timeScale: 1,
      logger: () => undefined,
    });
    carriers = createCarrierActivities(new HttpCarrierGateway({ baseUrl: sandbox.url, timeoutMs: 10_000 }));
  });
  afterAll(() => sandbox?.close());

  async function bookingRequest(): Promise<BookingRequest> {
    const origin = { country: 'DE', region: 'BE', postalCode: '10115' };
    const destination = { country: 'DE', region: 'BY', postalCode: '80331' };
    const parcels = [{ weightGrams: 1_200, lengthCm: 20, widthCm: 15, heightCm: 10 }];
    const quotes = await carriers.quoteRates({ origin, destination, parcels, handling: ['standard'], declaredValue: { amount: 4430, currency: 'EUR' } });
    expect(quotes.length).toBeGreaterThan(0);
    const [chosen] = quotes;
    return {
      carrier: chosen!.carrier,
      service: chosen!.service,
      reference: randomUUID(),
      origin,
      destination: { ...destination, name: 'Ada Lovelace', line1: 'Marienplatz 1', city: 'München' },
      parcels,
    };
  }

  it('bookShipment with the same booking key books once and answers the same', async () => {
    const request = await bookingRequest();
    const bookingKey = `booking:${request.reference}`;
    const first = await carriers.bookShipment({ shipmentId: request.reference, bookingKey, request });
    const second = await carriers.bookShipment({ shipmentId: request.reference, bookingKey, request });
    expect(first.shipmentId).toBe(request.reference);
    expect(second).toEqual(first);
    expect(first.trackingNumber).toMatch(/\w{6,}/);
    expect(await db.select().from(sandboxShipments).where(eq(sandboxShipments.idempotencyKey, bookingKey))).toHaveLength(1);
    expect(await db.select().from(sandboxShipments).where(eq(sandboxShipments.reference, request.reference))).toHaveLength(1);
  });

  it('bookShipment twins racing with the same booking key still book once', async () => {
    const request = await bookingRequest();
    const bookingKey = `booking:${request.reference}`;
    const twins = await Promise.all(Array.from({ length: 5 }, () => carriers.bookShipment({ shipmentId: request.reference, bookingKey, request })));
    expect(new Set(twins.map((b) => b.trackingNumber)).size).toBe(1);
    expect(await db.select().from(sandboxShipments).where(eq(sandboxShipments.idempotencyKey, bookingKey))).toHaveLength(1);
  });

  it("a carrier's refusal surfaces as a non-retryable CarrierRejected", async () => {
    const request = { ...(await bookingRequest()), carrier: 'no-such-carrier' };
    const bookingKey = `booking:${request.reference}`;
    const err = await rejectionOf(carriers.bookShipment({ shipmentId: request.reference, bookingKey, request }));
    const failure = expectBusinessFailure(err, BusinessFailure.CarrierRejected);
    expect(failure.details).toEqual([{ code: 'unknown_carrier' }]);
    expect(await db.select().from(sandboxShipments).where(eq(sandboxShipments.idempotencyKey, bookingKey))).toEqual([]);
  });

  it('pollTracking for an unknown parcel is a rejection, not a retry', async () => {
    const err = await rejectionOf(carriers.pollTracking({ carrier: 'swiftship', trackingNumber: 'NOPE000000' }));
    const failure = expectBusinessFailure(err, BusinessFailure.CarrierRejected);
    expect(failure.details).toEqual([{ code: 'shipment_not_found' }]);
  });
});
