import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderActivities, type OrderActivities } from '../../activities';
import type { Booking, CarrierTrackingEvent, RateQuote } from '../../src/carriers/carrier-gateway';
import type { Db } from '../../src/db/client';
import {
  deliveryConfirmations,
  incidents,
  inventoryLevels,
  ledgerEntries,
  notifications,
  orderEvents,
  orders,
  products,
  reservations,
  shipDateProposals,
  shipments,
  stockMovements,
  trackingEvents,
  type StockMovementKind,
} from '../../src/db/schema';
import { seedDemoCatalogue } from '../../src/db/seed';
import { addDays } from '../../src/domain/calendar';
import { laneOf } from '../../src/domain/delivery-exception';
import { BusinessFailure } from '../../src/domain/failures';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderStatus } from '../../src/domain/order-status';
import type { Transition } from '../../src/domain/transition';
import { ledgerDiscrepancies, receive } from '../../src/inventory/stock-ledger';
import type { IncidentRecord } from '../../workflows/order/activities';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { sampleOrder, uniqueSku } from '../helpers/orders';

// The delivery-exception activities (and the handover that now ships the stock), called
// directly over a real PostgreSQL database, orders made through the existing activities.
// What is proved: every write happens once however often it runs, every journal
// balances, the stock figures always equal the stock ledger, the customer's money is
// right (a refund is what they paid for those lines, once; compensation only past the
// promise; settlement nets the refunds).

let testDb: TestDatabase;
let db: Db;
let acts: OrderActivities;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db;
  await seedDemoCatalogue(db);
  acts = createOrderActivities({ db });
}, 90_000);

afterAll(() => testDb?.drop());

// ---- helpers -------------------------------------------------------------------------

function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
  const { customer, ...order } = sampleOrder() as OrderDraft;
  const { phone: _phone, ...emailOnly } = customer;
  return { ...order, customer: emailOnly, ...overrides };
}

const t = (version: number, status: OrderStatus, detail?: Record<string, unknown>): Transition =>
  detail ? { version, status, detail } : { version, status };

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

/** Chair from Munich, honey from Berlin: two shipments. 18900 + 2 × 990 = 20880. */
const TWO_WAREHOUSES: OrderDraft['items'] = [
  { sku: 'CHAIR-OAK', quantity: 1, unitPrice: 18900 },
  { sku: 'HONEY-ACACIA-500', quantity: 2, unitPrice: 990 },
];

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

/** An order booked with its carriers (versions 1–5), its goods still on the shelf. */
async function dispatchedOrder(d: OrderDraft = draft()) {
  const orderId = randomUUID();
  const { number } = await acts.verifyOrder({
    orderId,
    workflowId: `order-${orderId}`,
    fingerprint: `fp-${orderId}`,
    draft: d,
    transitions: [t(1, 'received'), t(2, 'verifying')],
  });
  const { consignments } = await acts.reserveStock({ orderId, transitions: [t(3, 'reserved')] });
  const { shipments: planned } = await acts.planShipments({
    orderId,
    consignments: consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })),
    transitions: [t(4, 'planned')],
  });
  const bookings = bookingsFor(planned);
  await acts.recordDispatch({ orderId, bookings, transitions: [t(5, 'dispatched')] });
  return { orderId, number, consignments, planned, bookings };
}

/** A dispatched order whose parcels the carrier has (version 6: in transit). */
async function inTransitOrder(d: OrderDraft = draft()) {
  const order = await dispatchedOrder(d);
  await acts.recordTracking({
    orderId: order.orderId,
    events: order.bookings.map((b) => trackingEvent(b, 'in_transit', hours(10))),
    transitions: [t(6, 'in_transit')],
  });
  return order;
}

function incident(shipmentIds: string[], overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return { id: randomUUID(), kind: 'lost', status: 'open', reportedBy: 'carrier', shipmentIds, options: ['replacement', 'refund'], ...overrides };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function level(sku: string, warehouseCode: string) {
  const [row] = await db
    .select()
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.sku, sku), eq(inventoryLevels.warehouseCode, warehouseCode)));
  return { onHand: row!.onHand, reserved: row!.reserved };
}

const movementsOf = (orderId: string, kind: StockMovementKind) =>
  db
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, orderId), eq(stockMovements.kind, kind)))
    .orderBy(stockMovements.id);
const shipmentsOf = (orderId: string) => db.select().from(shipments).where(eq(shipments.orderId, orderId)).orderBy(shipments.sequence);
const reservationsOf = (orderId: string) =>
  db.select().from(reservations).where(eq(reservations.orderId, orderId)).orderBy(reservations.fulfilment, reservations.line, reservations.warehouseCode);
const entriesOf = (orderId: string) => db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId)).orderBy(ledgerEntries.id);
const noticesOf = (orderId: string) => db.select().from(notifications).where(eq(notifications.orderId, orderId));
const orderRow = async (orderId: string) => (await db.select().from(orders).where(eq(orders.id, orderId)))[0]!;

/** Every journal of the order balances, per journal. */
async function expectBalancedJournals(orderId: string) {
  const byJournal = new Map<string, number>();
  for (const e of await entriesOf(orderId)) {
    byJournal.set(e.journalId, (byJournal.get(e.journalId) ?? 0) + (e.side === 'debit' ? e.amount : -e.amount));
  }
  for (const [journalId, balance] of byJournal) expect({ journalId, balance }).toEqual({ journalId, balance: 0 });
}

async function expectStockEqualsLedger() {
  expect(await ledgerDiscrepancies(db)).toEqual([]);
}

// ---- HANDOVER ------------------------------------------------------------------------

describe('handover', () => {
  it('ships each shipment’s goods once, at its first journey event, not at dispatch', async () => {
    const chair0 = await level('CHAIR-OAK', 'MUC-1');
    const honey0 = await level('HONEY-ACACIA-500', 'BER-1');
    const order = await dispatchedOrder(draft({ items: TWO_WAREHOUSES }));
    expect(await movementsOf(order.orderId, 'shipment')).toEqual([]);
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual({ onHand: chair0.onHand, reserved: chair0.reserved + 1 });

    const [berlin, munich] = order.bookings; // planned in warehouse order: BER-1, MUC-1
    expect(order.planned.map((p) => p.warehouseCode)).toEqual(['BER-1', 'MUC-1']);
    // A label event is no handover.
    await acts.recordTracking({ orderId: order.orderId, events: [trackingEvent(berlin!, 'label_created', hours(1))], transitions: [] });
    expect(await movementsOf(order.orderId, 'shipment')).toEqual([]);

    const pickedUp = trackingEvent(berlin!, 'in_transit', hours(10));
    await acts.recordTracking({ orderId: order.orderId, events: [pickedUp], transitions: [] });
    await acts.recordTracking({ orderId: order.orderId, events: [pickedUp, trackingEvent(berlin!, 'delivered', hours(30))], transitions: [] });
    expect((await movementsOf(order.orderId, 'shipment')).map((m) => [m.sku, m.onHandDelta, m.reservedDelta])).toEqual([['HONEY-ACACIA-500', -2, -2]]);
    expect(await level('HONEY-ACACIA-500', 'BER-1')).toEqual({ onHand: honey0.onHand - 2, reserved: honey0.reserved });
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual({ onHand: chair0.onHand, reserved: chair0.reserved + 1 });

    // An exception on the other parcel: handed over (its goods ship), its status stays.
    await acts.recordTracking({ orderId: order.orderId, events: [{ ...trackingEvent(munich!, 'exception', hours(12)), statusDetail: 'damaged' }], transitions: [] });
    await acts.recordTracking({ orderId: order.orderId, events: [trackingEvent(munich!, 'returned', hours(40))], transitions: [] });
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual({ onHand: chair0.onHand - 1, reserved: chair0.reserved });
    expect(await movementsOf(order.orderId, 'shipment')).toHaveLength(2);

    const stored = await db.select().from(trackingEvents).where(and(eq(trackingEvents.orderId, order.orderId), eq(trackingEvents.status, 'exception')));
    expect(stored.map((e) => e.description)).toEqual(['exception (damaged)']);

    const rows = await shipmentsOf(order.orderId);
    expect(rows.map((r) => [r.status, r.handedOverAt])).toEqual([
      ['delivered', hours(10)],
      ['label_created', hours(12)],
    ]);
    expect((await reservationsOf(order.orderId)).map((r) => r.status)).toEqual(['shipped', 'shipped']);
    await expectStockEqualsLedger();
  });

  it('plans keep the promised delivery date', async () => {
    const order = await dispatchedOrder();
    const [row] = await shipmentsOf(order.orderId);
    expect(row!.promisedDeliveryDate).toBe(row!.estimatedDeliveryDate);
    expect(row!.promisedDeliveryDate).toBe(order.planned[0]!.estimatedDelivery);
  });
});

// ---- INCIDENTS -----------------------------------------------------------------------

describe('openIncident and updateIncident', () => {
  it('write the incident once, with carrier and lane, and never reopen a resolved one', async () => {
    const order = await inTransitOrder();
    const shipment = order.planned[0]!;
    const record = incident([shipment.shipmentId], { detail: 'parcel lost in the hub' });
    const open = { orderId: order.orderId, incident: record, transitions: [t(7, 'delivery_exception')] };
    const first = await acts.openIncident(open);
    const second = await acts.openIncident({ ...open, incident: { ...record, detail: 'changed' } });
    expect(second.openedAt).toBe(first.openedAt);

    const rows = await db.select().from(incidents).where(eq(incidents.orderId, order.orderId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: record.id,
      kind: 'lost',
      status: 'open',
      detail: 'parcel lost in the hub',
      shipmentIds: [shipment.shipmentId],
      carrier: 'swiftship',
      lane: laneOf(shipment.bookingRequest.origin, shipment.bookingRequest.destination),
      options: ['replacement', 'refund'],
    });
    expect(rows[0]!.lane).toBe('DE-BE>DE-BE');
    const events = await db.select().from(orderEvents).where(and(eq(orderEvents.orderId, order.orderId), eq(orderEvents.status, 'delivery_exception')));
    expect(events).toHaveLength(1);
    expect((await noticesOf(order.orderId)).filter((n) => n.template === 'delivery_exception')).toHaveLength(1);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'delivery_exception', stateVersion: 7 });

    const waiting = { orderId: order.orderId, incidentId: record.id, status: 'awaiting_customer' as const, options: ['refund' as const], transitions: [] };
    expect(await acts.updateIncident(waiting)).toEqual({});
    expect(await acts.updateIncident(waiting)).toEqual({});
    expect((await db.select().from(incidents).where(eq(incidents.id, record.id)))[0]).toMatchObject({ status: 'awaiting_customer', options: ['refund'] });
    const resolve = {
      orderId: order.orderId,
      incidentId: record.id,
      status: 'resolved' as const,
      resolution: { action: 'refund' as const, amount: 1850 },
      transitions: [t(8, 'in_transit')],
    };
    const resolved = await acts.updateIncident(resolve);
    expect(resolved.resolvedAt).toBeDefined();
    expect(await acts.updateIncident(resolve)).toEqual(resolved);
    // A late update never reopens it.
    expect(await acts.updateIncident(waiting)).toEqual(resolved);
    expect(await acts.updateIncident({ ...waiting, status: 'open', options: [] })).toEqual(resolved);
    let [row] = await db.select().from(incidents).where(eq(incidents.id, record.id));
    expect(row).toMatchObject({ status: 'resolved', options: ['refund'], resolution: { action: 'refund', amount: 1850 } });
    expect(row!.resolvedAt!.toISOString()).toBe(resolved.resolvedAt);

    // What happened after may be noted on its resolution (an expedite); it stays resolved when it was.
    const expedited = { action: 'refund' as const, amount: 1850, expedited: { newEta: '2030-01-05' } };
    expect(await acts.updateIncident({ ...resolve, resolution: expedited, transitions: [] })).toEqual(resolved);
    [row] = await db.select().from(incidents).where(eq(incidents.id, record.id));
    expect(row).toMatchObject({ status: 'resolved', resolution: expedited });
    expect(row!.resolvedAt!.toISOString()).toBe(resolved.resolvedAt);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'in_transit', stateVersion: 8 });
  });

  it('an incident opened resolved (merged into another) keeps the resolution written after', async () => {
    const order = await inTransitOrder();
    const record = incident([order.planned[0]!.shipmentId], { status: 'resolved', options: [] });
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const update = { orderId: order.orderId, incidentId: record.id, status: 'resolved' as const, resolution: { action: 'merged' as const, into: 'x' }, transitions: [] };
    const first = await acts.updateIncident(update);
    expect(await acts.updateIncident(update)).toEqual(first);
    const [row] = await db.select().from(incidents).where(eq(incidents.id, record.id));
    expect(row).toMatchObject({ status: 'resolved', resolution: { action: 'merged', into: 'x' } });
    expect(row!.resolvedAt!.toISOString()).toBe(first.resolvedAt);
  });

  it('updateIncident of an incident that is not there is a non-retryable failure', async () => {
    const order = await dispatchedOrder();
    const err = await rejectionOf(acts.updateIncident({ orderId: order.orderId, incidentId: randomUUID(), status: 'resolved', transitions: [] }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });
});

// ---- MONEY ---------------------------------------------------------------------------

describe('refundShipments', () => {
  it('pays back what the lines of the shipment cost, once, and never the same shipment twice', async () => {
    const order = await inTransitOrder(draft({ items: TWO_WAREHOUSES }));
    const munich = order.planned.find((p) => p.warehouseCode === 'MUC-1')!;
    const first = incident([munich.shipmentId]);
    await acts.openIncident({ orderId: order.orderId, incident: first, transitions: [] });

    const refund = { orderId: order.orderId, incidentId: first.id, shipmentIds: [munich.shipmentId], reason: 'lost' };
    expect(await acts.refundShipments(refund)).toEqual({ amount: 18900, currency: 'EUR' });
    expect(await acts.refundShipments(refund)).toEqual({ amount: 18900, currency: 'EUR' });

    // Another incident over the same parcel pays nothing more.
    const second = incident([munich.shipmentId], { kind: 'damaged' });
    await acts.openIncident({ orderId: order.orderId, incident: second, transitions: [] });
    expect(await acts.refundShipments({ ...refund, incidentId: second.id })).toEqual({ amount: 0, currency: 'EUR' });

    const entries = await entriesOf(order.orderId);
    expect(entries.map((e) => [e.journalId, e.account, e.side, e.amount, e.kind, e.incidentId])).toEqual([
      [`refund:${first.id}`, 'customer_prepayments', 'debit', 18900, 'refund', first.id],
      [`refund:${first.id}`, 'cash', 'credit', 18900, 'refund', first.id],
    ]);
    await expectBalancedJournals(order.orderId);

    // Settlement: the rest of what was paid becomes revenue, exactly once; the shipping
    // charged at PLAN (R6.1) is shipping revenue.
    const settle = { orderId: order.orderId, transitions: [t(7, 'settling'), t(8, 'completed')] };
    await acts.settleOrder(settle);
    await acts.settleOrder(settle);
    const { shippingAmount } = await orderRow(order.orderId);
    expect(shippingAmount).toBeGreaterThan(0);
    const settlement = (await entriesOf(order.orderId)).filter((e) => e.kind === 'settlement');
    expect(settlement.map((e) => [e.account, e.side, e.amount])).toEqual([
      ['customer_prepayments', 'debit', 20880 - 18900 + shippingAmount],
      ['revenue', 'credit', 20880 - 18900],
      ['shipping_revenue', 'credit', shippingAmount],
    ]);
    await expectBalancedJournals(order.orderId);
  });

  it('never pays a line back twice, through the original or its replacement', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const lost = incident(ids);
    await acts.openIncident({ orderId: order.orderId, incident: lost, transitions: [] });
    // Every line paid back: nothing reached the customer, so the shipping goes back too.
    const { shippingAmount } = await orderRow(order.orderId);
    expect(await acts.refundShipments({ orderId: order.orderId, incidentId: lost.id, shipmentIds: ids, reason: 'lost' })).toEqual({
      amount: 2 * 1290 + 1850 + shippingAmount,
      currency: 'EUR',
    });
    const again = incident(ids, { kind: 'damaged' });
    const { consignments } = await acts.reserveReplacement({ orderId: order.orderId, incidentId: again.id, fulfilment: 1, shipmentIds: ids });
    const { shipments: replacement } = await acts.planReplacement({
      orderId: order.orderId,
      incidentId: again.id,
      fulfilment: 1,
      consignments: consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })),
      transitions: [],
    });
    const replacementIds = replacement.map((s) => s.shipmentId);
    expect(await acts.refundShipments({ orderId: order.orderId, incidentId: again.id, shipmentIds: replacementIds, reason: 'damaged' })).toEqual({
      amount: 0,
      currency: 'EUR',
    });
    expect((await entriesOf(order.orderId)).filter((e) => e.kind === 'refund')).toHaveLength(2);
    await acts.releaseReplacement({ orderId: order.orderId, fulfilment: 1 });
    await expectBalancedJournals(order.orderId);
    await expectStockEqualsLedger();
  });

  it('an order whose goods were refunded in full gets its shipping back too, and settles no revenue', async () => {
    const order = await inTransitOrder();
    const all = order.planned.map((p) => p.shipmentId);
    const record = incident(all);
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const { shippingAmount } = await orderRow(order.orderId);
    expect(shippingAmount).toBeGreaterThan(0);
    expect(await acts.refundShipments({ orderId: order.orderId, incidentId: record.id, shipmentIds: all, reason: 'lost' })).toEqual({
      amount: 2 * 1290 + 1850 + shippingAmount,
      currency: 'EUR',
    });
    await acts.settleOrder({ orderId: order.orderId, transitions: [t(7, 'refunded')] });
    const entries = await entriesOf(order.orderId);
    expect(entries.filter((e) => e.kind === 'settlement')).toEqual([]);
    expect(entries.filter((e) => e.kind === 'refund')).toHaveLength(2);
    await expectBalancedJournals(order.orderId);
  });
});

describe('recordDelay', () => {
  it('moves the ETA and tells the customer; within the promise it pays nothing', async () => {
    const order = await inTransitOrder();
    const [row] = await shipmentsOf(order.orderId);
    const record = incident([row!.id], { kind: 'delay', options: [] });
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const delay = { orderId: order.orderId, incidentId: record.id, shipmentIds: [row!.id], newEta: row!.promisedDeliveryDate!, policy: { kind: 'percent' as const, basisPoints: 1000 } };
    expect(await acts.recordDelay(delay)).toEqual({ promised: row!.promisedDeliveryDate });
    expect(await entriesOf(order.orderId)).toEqual([]);
    expect((await noticesOf(order.orderId)).filter((n) => n.template === 'delivery_delayed')).toHaveLength(1);
  });

  it('past the promise it compensates the goods’ value by the policy, once per incident', async () => {
    const order = await inTransitOrder();
    const [row] = await shipmentsOf(order.orderId);
    const promised = row!.promisedDeliveryDate!;
    const newEta = addDays(promised, 4);
    const record = incident([row!.id], { kind: 'delay', options: [], newEta });
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const delay = { orderId: order.orderId, incidentId: record.id, shipmentIds: [row!.id], newEta, policy: { kind: 'percent' as const, basisPoints: 1000 } };
    const value = 2 * 1290 + 1850;
    const expected = { promised, compensation: { amount: Math.floor(value / 10), currency: 'EUR' } };
    expect(await acts.recordDelay(delay)).toEqual(expected);
    expect(await acts.recordDelay(delay)).toEqual(expected);

    const entries = await entriesOf(order.orderId);
    expect(entries.map((e) => [e.journalId, e.account, e.side, e.amount, e.kind])).toEqual([
      [`compensation:${record.id}`, 'delivery_compensation_expense', 'debit', 443, 'compensation'],
      [`compensation:${record.id}`, 'customer_credits', 'credit', 443, 'compensation'],
    ]);
    await expectBalancedJournals(order.orderId);
    const [after] = await shipmentsOf(order.orderId);
    expect(after).toMatchObject({ estimatedDeliveryDate: newEta, promisedDeliveryDate: promised });
    const notices = (await noticesOf(order.orderId)).filter((n) => n.template === 'delivery_delayed');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toContain(newEta);
    expect(notices[0]!.body).toContain('4.43 EUR');

    // A compensation does not reduce revenue: settlement posts the whole total (goods and shipping).
    await acts.settleOrder({ orderId: order.orderId, transitions: [t(7, 'settling')] });
    const { shippingAmount } = await orderRow(order.orderId);
    expect((await entriesOf(order.orderId)).filter((e) => e.kind === 'settlement').map((e) => e.amount)).toEqual([value + shippingAmount, value, shippingAmount]);
  });

  it('measures against the requested delivery date when the order has one', async () => {
    const order = await inTransitOrder(draft({ requestedDeliveryBy: '2099-01-10T00:00:00Z' }));
    const [row] = await shipmentsOf(order.orderId);
    const record = incident([row!.id], { kind: 'delay', options: [] });
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const late = await acts.recordDelay({
      orderId: order.orderId,
      incidentId: record.id,
      shipmentIds: [row!.id],
      newEta: '2099-01-11',
      policy: { kind: 'fixed', amount: 500 },
    });
    expect(late).toEqual({ promised: '2099-01-10', compensation: { amount: 500, currency: 'EUR' } });
  });
});

describe('fileCarrierClaim', () => {
  it('claims the goods’ value once, on the incident', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const record = incident(ids);
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [] });
    const claim = { orderId: order.orderId, incidentId: record.id, shipmentIds: ids };
    expect(await acts.fileCarrierClaim(claim)).toEqual({ amount: 2 * 1290 + 1850, currency: 'EUR' });
    const [first] = await db.select().from(incidents).where(eq(incidents.id, record.id));
    expect(await acts.fileCarrierClaim(claim)).toEqual({ amount: 2 * 1290 + 1850, currency: 'EUR' });
    const [second] = await db.select().from(incidents).where(eq(incidents.id, record.id));
    expect(second!.claim).toEqual(first!.claim);
    expect(first!.claim).toMatchObject({ carrier: 'swiftship', trackingNumbers: order.bookings.map((b) => b.trackingNumber) });
  });
});

// ---- GOODS ---------------------------------------------------------------------------

describe('writeOffShipments and restockReturn', () => {
  it('write off lost goods once per line, changing no figure', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    const record = incident(ids);
    const input = { orderId: order.orderId, incidentId: record.id, shipmentIds: ids, reason: 'lost' as const };
    expect(await acts.writeOffShipments(input)).toEqual({ units: 3 });
    expect(await acts.writeOffShipments(input)).toEqual({ units: 3 });
    const moves = await movementsOf(order.orderId, 'write_off');
    expect(moves.map((m) => [m.idempotencyKey, m.quantity, m.onHandDelta, m.reservedDelta])).toEqual([
      [`write_off:${record.id}:${ids[0]}:1`, 2, 0, 0],
      [`write_off:${record.id}:${ids[0]}:2`, 1, 0, 0],
    ]);
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(tea0);
    await expectStockEqualsLedger();
  });

  it('write off goods never handed over: they leave the shelf once, then are written off', async () => {
    const order = await dispatchedOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    const input = { orderId: order.orderId, incidentId: randomUUID(), shipmentIds: ids, reason: 'lost' as const };
    await acts.writeOffShipments(input);
    await acts.writeOffShipments(input);
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual({ onHand: tea0.onHand - 2, reserved: tea0.reserved - 2 });
    expect(await movementsOf(order.orderId, 'shipment')).toHaveLength(2);
    expect(await movementsOf(order.orderId, 'write_off')).toHaveLength(2);
    // A late handover event ships nothing again.
    await acts.recordTracking({ orderId: order.orderId, events: [trackingEvent(order.bookings[0]!, 'in_transit', hours(3))], transitions: [] });
    expect(await movementsOf(order.orderId, 'shipment')).toHaveLength(2);
    await expectStockEqualsLedger();
  });

  it('restock returned goods into the shipment’s warehouse, once', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    const mug0 = await level('MUG-STONE-350', 'BER-1');
    const input = { orderId: order.orderId, incidentId: randomUUID(), shipmentIds: ids };
    expect(await acts.restockReturn(input)).toEqual({ units: 3 });
    expect(await acts.restockReturn(input)).toEqual({ units: 3 });
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual({ onHand: tea0.onHand + 2, reserved: tea0.reserved });
    expect(await level('MUG-STONE-350', 'BER-1')).toEqual({ onHand: mug0.onHand + 1, reserved: mug0.reserved });
    const moves = await movementsOf(order.orderId, 'return');
    expect(moves.map((m) => [m.idempotencyKey, m.onHandDelta, m.reservedDelta])).toEqual([
      [`return:${input.incidentId}:${ids[0]}:1`, 2, 0],
      [`return:${input.incidentId}:${ids[0]}:2`, 1, 0],
    ]);
    await expectStockEqualsLedger();
  });
});

describe('closeShipments', () => {
  it('never overwrites a closure; a void before handover gives the goods back', async () => {
    const order = await dispatchedOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    await acts.closeShipments({ orderId: order.orderId, shipmentIds: ids, closedAs: 'voided' });
    await acts.closeShipments({ orderId: order.orderId, shipmentIds: ids, closedAs: 'voided' });
    await acts.closeShipments({ orderId: order.orderId, shipmentIds: ids, closedAs: 'lost' });
    expect((await shipmentsOf(order.orderId)).map((s) => s.closedAs)).toEqual(['voided']);
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual({ onHand: tea0.onHand, reserved: tea0.reserved - 2 });
    expect(await movementsOf(order.orderId, 'release')).toHaveLength(2);
    expect((await reservationsOf(order.orderId)).map((r) => r.status)).toEqual(['released', 'released']);
    await expectStockEqualsLedger();
  });
});

// ---- REPLACEMENT ---------------------------------------------------------------------

describe('replacement', () => {
  it('reserves, plans and ships the lost lines again as fulfilment 1, each once, under keys of its own', async () => {
    const order = await inTransitOrder(draft({ items: TWO_WAREHOUSES }));
    const munich = order.planned.find((p) => p.warehouseCode === 'MUC-1')!;
    const record = incident([munich.shipmentId]);
    await acts.openIncident({ orderId: order.orderId, incident: record, transitions: [t(7, 'delivery_exception')] });
    const chair0 = await level('CHAIR-OAK', 'MUC-1');

    const reserveInput = { orderId: order.orderId, incidentId: record.id, fulfilment: 1, shipmentIds: [munich.shipmentId] };
    const first = await acts.reserveReplacement(reserveInput);
    const second = await acts.reserveReplacement(reserveInput);
    expect(second).toEqual(first);
    expect(first.consignments.map((c) => [c.warehouseCode, c.lines])).toEqual([['MUC-1', [{ line: 1, sku: 'CHAIR-OAK', quantity: 1 }]]]);
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual({ onHand: chair0.onHand, reserved: chair0.reserved + 1 });

    const reserves = await movementsOf(order.orderId, 'reservation');
    const keys = reserves.map((m) => m.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain(`reserve:${order.orderId}:1:MUC-1`);
    expect(keys).toContain(`reserve:${order.orderId}:f1:1:MUC-1`);
    expect((await reservationsOf(order.orderId)).map((r) => [r.fulfilment, r.line, r.warehouseCode, r.status])).toEqual([
      [0, 1, 'MUC-1', 'shipped'],
      [0, 2, 'BER-1', 'shipped'],
      [1, 1, 'MUC-1', 'held'],
    ]);

    const planInput = {
      orderId: order.orderId,
      incidentId: record.id,
      fulfilment: 1,
      consignments: first.consignments.map((c) => ({ ...c, quotes: GOOD_QUOTES })),
      transitions: [t(8, 'planned')],
    };
    const planned = await acts.planReplacement(planInput);
    const again = await acts.planReplacement(planInput);
    expect(again.shipments.map((s) => s.shipmentId)).toEqual(planned.shipments.map((s) => s.shipmentId));
    expect(planned.shipments).toHaveLength(1);
    const replacement = planned.shipments[0]!;
    expect(order.planned.map((p) => p.shipmentId)).not.toContain(replacement.shipmentId);
    expect(replacement.bookingKey).toBe(`booking:${replacement.shipmentId}`);
    const rows = await shipmentsOf(order.orderId);
    expect(rows.map((r) => [r.sequence, r.fulfilment, r.replacesIncidentId, r.warehouseCode])).toEqual([
      [1, 0, null, 'BER-1'],
      [2, 0, null, 'MUC-1'],
      [3, 1, record.id, 'MUC-1'],
    ]);
    expect(rows[2]!.packingList.checkedAgainstOrder).toBe(true);

    // Booked and handed over: the replacement's goods ship, once; the original's stay shipped.
    const [booking] = bookingsFor(planned.shipments);
    await acts.recordDispatch({ orderId: order.orderId, bookings: [booking!], transitions: [] });
    const pickedUp = trackingEvent(booking!, 'in_transit', hours(50));
    await acts.recordTracking({ orderId: order.orderId, events: [pickedUp], transitions: [] });
    await acts.recordTracking({ orderId: order.orderId, events: [pickedUp], transitions: [] });
    expect(await level('CHAIR-OAK', 'MUC-1')).toEqual({ onHand: chair0.onHand - 1, reserved: chair0.reserved });
    const ships = (await movementsOf(order.orderId, 'shipment')).map((m) => m.idempotencyKey);
    expect(ships).toHaveLength(3);
    expect(ships).toContain(`ship:${order.orderId}:f1:1:MUC-1`);
    await expectStockEqualsLedger();
  });

  it('releaseReplacement gives back a replacement that will not ship, once', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const record = incident(ids);
    const tea0 = await level('TEA-OOLONG-100', 'BER-1');
    await acts.reserveReplacement({ orderId: order.orderId, incidentId: record.id, fulfilment: 1, shipmentIds: ids });
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual({ onHand: tea0.onHand, reserved: tea0.reserved + 2 });
    expect(await acts.releaseReplacement({ orderId: order.orderId, fulfilment: 1 })).toEqual({ released: 3 });
    expect(await acts.releaseReplacement({ orderId: order.orderId, fulfilment: 1 })).toEqual({ released: 0 });
    expect(await level('TEA-OOLONG-100', 'BER-1')).toEqual(tea0);
    expect((await movementsOf(order.orderId, 'release')).map((m) => m.idempotencyKey).sort()).toEqual([
      `release:${order.orderId}:f1:1:BER-1`,
      `release:${order.orderId}:f1:2:BER-1`,
    ]);
    // The original's goods were never released.
    expect((await reservationsOf(order.orderId)).filter((r) => r.fulfilment === 0).map((r) => r.status)).toEqual(['shipped', 'shipped']);
    await expectStockEqualsLedger();
  });

  it('raises InsufficientStock when the replacement is short, and reserves nothing', async () => {
    const sku = uniqueSku('LAST');
    await db.insert(products).values({
      sku,
      name: 'Last of its kind',
      spec: 'one only',
      unitPrice: 700,
      unitCost: 300,
      currency: 'EUR',
      weightGrams: 200,
      lengthCm: 10,
      widthCm: 10,
      heightCm: 10,
    });
    await db.transaction((tx) => receive(tx, { sku, warehouseCode: 'BER-1', quantity: 1, key: `receipt:${sku}` }));
    const order = await inTransitOrder(draft({ items: [{ sku, quantity: 1, unitPrice: 700 }] }));
    const ids = order.planned.map((p) => p.shipmentId);
    const err = await rejectionOf(acts.reserveReplacement({ orderId: order.orderId, incidentId: randomUUID(), fulfilment: 1, shipmentIds: ids }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(BusinessFailure.InsufficientStock);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).details).toEqual([{ shortages: [{ sku, requested: 1, available: 0 }] }]);
    expect((await reservationsOf(order.orderId)).filter((r) => r.fulfilment === 1)).toEqual([]);
    expect(await level(sku, 'BER-1')).toEqual({ onHand: 0, reserved: 0 });
    await expectStockEqualsLedger();
  });
});

// ---- overlapping retries -------------------------------------------------------------

describe('an activity and its retry running at the same time', () => {
  it('still write everything once', async () => {
    const order = await inTransitOrder();
    const ids = order.planned.map((p) => p.shipmentId);
    const record = incident(ids);
    const twice = <T>(call: () => Promise<T>) => Promise.all([call(), call()]);

    await twice(() => acts.openIncident({ orderId: order.orderId, incident: record, transitions: [t(7, 'delivery_exception')] }));
    const [c1, c2] = await twice(() => acts.fileCarrierClaim({ orderId: order.orderId, incidentId: record.id, shipmentIds: ids }));
    expect(c2).toEqual(c1);
    const [r1, r2] = await twice(() => acts.refundShipments({ orderId: order.orderId, incidentId: record.id, shipmentIds: ids, reason: 'lost' }));
    expect(r2).toEqual(r1);
    await twice(() => acts.writeOffShipments({ orderId: order.orderId, incidentId: record.id, shipmentIds: ids, reason: 'lost' }));
    const [p1, p2] = await twice(() => acts.reserveReplacement({ orderId: order.orderId, incidentId: record.id, fulfilment: 1, shipmentIds: ids }));
    expect(p2).toEqual(p1);
    const delay = incident(ids, { kind: 'delay', options: [] });
    await twice(() =>
      acts.recordDelay({ orderId: order.orderId, incidentId: delay.id, shipmentIds: ids, newEta: '2099-12-31', policy: { kind: 'fixed', amount: 300 } }),
    );

    expect(await db.select().from(incidents).where(eq(incidents.orderId, order.orderId))).toHaveLength(1);
    const { shippingAmount } = await orderRow(order.orderId);
    expect((await entriesOf(order.orderId)).map((e) => [e.kind, e.side, e.amount])).toEqual([
      ['refund', 'debit', 4430 + shippingAmount],
      ['refund', 'credit', 4430 + shippingAmount],
      ['compensation', 'debit', 300],
      ['compensation', 'credit', 300],
    ]);
    expect(await movementsOf(order.orderId, 'write_off')).toHaveLength(2);
    expect((await reservationsOf(order.orderId)).filter((r) => r.fulfilment === 1)).toHaveLength(2);
    expect((await noticesOf(order.orderId)).filter((n) => n.template === 'delivery_delayed')).toHaveLength(1);
    await expectBalancedJournals(order.orderId);
    await expectStockEqualsLedger();
  });
});

// ---- ARRANGEMENTS --------------------------------------------------------------------

describe('correctDeliveryAddress', () => {
  it('writes a new address that passes the checks, and only that; never the items or status', async () => {
    const order = await inTransitOrder();
    const before = await orderRow(order.orderId);
    const bad = { ...before.customer, address: { ...before.customer.address, postalCode: 'nope' } };
    const refused = await acts.correctDeliveryAddress({ orderId: order.orderId, incidentId: randomUUID(), customer: bad });
    expect(refused.verification.ok).toBe(false);
    expect(refused.verification.reasons.map((r) => r.code)).toEqual(['postal_code_invalid']);
    expect((await orderRow(order.orderId)).customer).toEqual(before.customer);

    const good = { ...before.customer, address: { ...before.customer.address, line1: 'Friedrichstraße 10', postalCode: '10969' } };
    expect(await acts.correctDeliveryAddress({ orderId: order.orderId, incidentId: randomUUID(), customer: good })).toEqual({
      verification: { ok: true, reasons: [] },
    });
    const after = await orderRow(order.orderId);
    expect(after.customer).toEqual(good);
    expect(after).toMatchObject({ status: before.status, stateVersion: before.stateVersion, totalAmount: before.totalAmount });
  });
});

describe('ship date proposals', () => {
  it('an accepted proposal moves every shipment not yet handed over, ETA by as many days; once', async () => {
    const order = await dispatchedOrder();
    const [row] = await shipmentsOf(order.orderId);
    const proposalId = randomUUID();
    const proposed = addDays(row!.shipDate, 3);
    const proposal = { orderId: order.orderId, proposalId, proposedShipDate: proposed, reason: 'stock check' };
    expect(await acts.recordShipDateProposal(proposal)).toEqual({ previousShipDate: row!.shipDate });
    expect(await acts.recordShipDateProposal(proposal)).toEqual({ previousShipDate: row!.shipDate });
    expect(await db.select().from(shipDateProposals).where(eq(shipDateProposals.orderId, order.orderId))).toHaveLength(1);

    const answer = { orderId: order.orderId, proposalId, answer: 'accepted' as const };
    expect(await acts.recordShipDateAnswer(answer)).toEqual({ shipDate: proposed });
    expect(await acts.recordShipDateAnswer(answer)).toEqual({ shipDate: proposed });
    // A late lapse changes nothing.
    expect(await acts.recordShipDateAnswer({ ...answer, answer: 'lapsed' })).toEqual({ shipDate: proposed });
    const [after] = await shipmentsOf(order.orderId);
    expect(after).toMatchObject({ shipDate: proposed, estimatedDeliveryDate: addDays(row!.estimatedDeliveryDate!, 3) });
    const [stored] = await db.select().from(shipDateProposals).where(eq(shipDateProposals.id, proposalId));
    expect(stored).toMatchObject({ status: 'accepted', previousShipDate: row!.shipDate, proposedShipDate: proposed });
    const templates = (await noticesOf(order.orderId)).map((n) => n.template);
    expect(templates.filter((x) => x === 'ship_date_proposed')).toHaveLength(1);
    expect(templates.filter((x) => x === 'ship_date_accepted')).toHaveLength(1);
  });

  it('a declined proposal leaves the dates', async () => {
    const order = await dispatchedOrder();
    const [row] = await shipmentsOf(order.orderId);
    const proposalId = randomUUID();
    await acts.recordShipDateProposal({ orderId: order.orderId, proposalId, proposedShipDate: addDays(row!.shipDate, 5), reason: 'late stock' });
    expect(await acts.recordShipDateAnswer({ orderId: order.orderId, proposalId, answer: 'declined' })).toEqual({ shipDate: row!.shipDate });
    const [after] = await shipmentsOf(order.orderId);
    expect(after).toMatchObject({ shipDate: row!.shipDate, estimatedDeliveryDate: row!.estimatedDeliveryDate });
  });
});

describe('recordDeliveryConfirmation', () => {
  it('keeps one confirmation per order, the latest', async () => {
    const order = await dispatchedOrder();
    const window = { from: '2030-01-02T08:00:00.000Z', to: '2030-01-02T12:00:00.000Z' };
    await acts.recordDeliveryConfirmation({ orderId: order.orderId, addressConfirmed: true, window, rescheduled: false });
    await acts.recordDeliveryConfirmation({ orderId: order.orderId, addressConfirmed: true, contactPhone: '+49 30 7654321', window, rescheduled: true });
    const rows = await db.select().from(deliveryConfirmations).where(eq(deliveryConfirmations.orderId, order.orderId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ addressConfirmed: true, contactPhone: '+49 30 7654321', rescheduled: true, windowFrom: new Date(window.from), windowTo: new Date(window.to) });
  });
});
