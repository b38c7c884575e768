import { randomUUID } from 'node:crypto';
import { and, eq, inArray, max, sql } from 'drizzle-orm';
import type { Booking, BookingRequest, RateQuote } from '../src/carriers/carrier-gateway';
import type { Db, Tx } from '../src/db/client';
import { ledgerEntries, orderItems, orders, products, reservations, shipments } from '../src/db/schema';
import { BusinessFailure } from '../src/domain/failures';
import type { Priority } from '../src/domain/order-status';
import { buildPackingList, checkPackingList } from '../src/domain/packing-list';
import { planShipDate } from '../src/domain/ship-date';
import { chooseShippingMethod } from '../src/domain/shipping-method';
import { isoDate } from '../src/domain/calendar';
import { convert } from '../src/domain/fx';
import { hasPayments } from '../src/finance/payments';
import { rateInForce } from '../src/finance/settlement-terms';
import { businessFailure } from './failures';
import type { Consignment, PlannedShipment } from '../src/domain/shipment';
import { applyTransitions, lockOrder, type OrderRow, type Transition } from './order-status';

// PLAN and DISPATCH (R3.1–R3.9): one shipment per consignment, its date, method and
// carrier chosen with reasons, its packing list built and checked against the order;
// then the carrier's booking is recorded. The stock leaves the shelves at handover (the
// shipment's first journey event after its label: activities/tracking.ts).

export type { PlannedShipment };

export interface PlanShipmentsInput {
  orderId: string;
  consignments: (Consignment & { quotes: RateQuote[] })[];
  transitions: Transition[];
}

export function toPlanned(row: typeof shipments.$inferSelect): PlannedShipment {
  const decision = row.decision as { bookingRequest: BookingRequest };
  return {
    shipmentId: row.id,
    warehouseCode: row.warehouseCode,
    carrier: row.carrier,
    method: row.method,
    service: row.service,
    shipDate: row.shipDate,
    estimatedDelivery: row.estimatedDeliveryDate ?? row.shipDate,
    bookingKey: row.bookingKey,
    bookingRequest: decision.bookingRequest,
  };
}

type ShipmentRow = typeof shipments.$inferSelect;
type Product = typeof products.$inferSelect;
type HeldLine = { warehouseCode: string; sku: string; line: number; quantity: number };

/**
 * One consignment's shipment: its date, method and carrier chosen with reasons, its
 * packing list built and checked against what the order holds at that warehouse. Shared
 * by PLAN and by a replacement's plan.
 */
export function shipmentRowFor(args: {
  order: OrderRow;
  consignment: Consignment & { quotes: RateQuote[] };
  shipmentId: string;
  sequence: number;
  catalogue: ReadonlyMap<string, Product>;
  held: readonly HeldLine[];
  now: Date;
  fulfilment?: number;
  replacesIncidentId?: string;
}): ShipmentRow {
  const { order, consignment, shipmentId, catalogue, now } = args;
  const { shipDate, reason: dateReason } = planShipDate(now, order.priority as Priority);
  const choice = chooseShippingMethod(consignment.quotes, {
    shipDate,
    deliverBy: order.requestedDeliveryBy ? isoDate(order.requestedDeliveryBy) : undefined,
    priority: order.priority as Priority,
  });
  if (!choice.ok) {
    throw businessFailure(BusinessFailure.NoCarrierAvailable, choice.reasons.join('; '), {
      warehouseCode: consignment.warehouseCode,
      reasons: choice.reasons,
    });
  }
  const packingList = buildPackingList({
    shipmentId,
    orderNumber: order.number,
    warehouseCode: consignment.warehouseCode,
    lines: consignment.lines.map((l) => {
      const product = catalogue.get(l.sku)!;
      return { ...l, name: product.name, spec: product.spec, weightGrams: product.weightGrams, handling: product.handling };
    }),
  });
  // R3.8: what we pack must be what the order holds at this warehouse.
  const check = checkPackingList(
    packingList,
    args.held.filter((r) => r.warehouseCode === consignment.warehouseCode),
  );
  if (!check.ok) {
    throw businessFailure(BusinessFailure.PackingListMismatch, 'packing list does not match the reserved goods', {
      discrepancies: check.discrepancies,
    });
  }
  packingList.checkedAgainstOrder = true;

  const address = order.customer.address;
  const bookingRequest: BookingRequest = {
    carrier: choice.chosen.carrier,
    service: choice.chosen.service,
    reference: shipmentId,
    origin: consignment.rateRequest.origin,
    destination: {
      ...consignment.rateRequest.destination,
      name: order.customer.name,
      line1: address.line1,
      line2: address.line2,
      city: address.city,
      phone: order.customer.phone,
    },
    parcels: consignment.rateRequest.parcels,
    ...cashOnDelivery(order, args.sequence, args.fulfilment ?? 0),
  };
  return {
    id: shipmentId,
    orderId: order.id,
    sequence: args.sequence,
    warehouseCode: consignment.warehouseCode,
    carrier: choice.chosen.carrier,
    method: choice.chosen.method,
    service: choice.chosen.service,
    status: 'planned',
    shipDate,
    estimatedDeliveryDate: choice.estimatedDelivery,
    // R4.9: what the customer is told now is what a later delay is measured against.
    promisedDeliveryDate: choice.estimatedDelivery,
    fulfilment: args.fulfilment ?? 0,
    replacesIncidentId: args.replacesIncidentId ?? null,
    closedAs: null,
    handedOverAt: null,
    costAmount: choice.chosen.amount,
    costCurrency: choice.chosen.currency,
    packingList,
    decision: {
      reasons: [dateReason, ...choice.reasons],
      meetsDeadline: choice.meetsDeadline,
      alternatives: choice.alternatives.map((a) => ({
        carrier: a.quote.carrier,
        service: a.quote.service,
        amount: a.quote.amount,
        transitDays: a.quote.transitDays,
        rejectedBecause: a.reason,
      })),
      bookingRequest,
    },
    bookingKey: `booking:${shipmentId}`,
    trackingNumber: null,
    labelUrl: null,
    bookedAt: null,
    deliveredAt: null,
    lastTrackingAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * R6.1: a cash-on-delivery order's first shipment of its own goods carries the whole
 * amount to collect (a replacement is not paid for twice): the carrier collects it at
 * the door and says so on its delivered event (activities/collection.ts journals it).
 */
function cashOnDelivery(order: OrderRow, sequence: number, fulfilment: number): Pick<BookingRequest, 'cashOnDelivery'> {
  if (order.settlementMethod !== 'cash_on_delivery' || fulfilment !== 0 || sequence !== 1 || order.totalAmount <= 0) return {};
  return { cashOnDelivery: { amount: order.totalAmount, currency: order.currency } };
}

/** What the customer is told at planning: the first shipment's date, carrier and ETA. */
export function planDetail(planned: readonly PlannedShipment[]): Record<string, unknown> {
  const first = planned[0];
  return first ? { shipDate: first.shipDate, carrier: first.carrier, method: first.method, estimatedDelivery: first.estimatedDelivery } : {};
}

/**
 * Plans the shipments of one fulfilment — 0, the order's own goods; n, the replacement
 * for an incident — from its held reservations, once: a second call answers the first's.
 */
export async function planFulfilment(
  tx: Tx,
  input: PlanShipmentsInput & {
    fulfilment: number;
    /** A shipment id of its own per consignment (a replacement's is derived from its incident). */
    shipmentId?: (consignment: Consignment) => string;
    replacesIncidentId?: string;
  },
): Promise<{ shipments: PlannedShipment[] }> {
  const order = await lockOrder(tx, input.orderId);
  const existing = await tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.orderId, order.id), eq(shipments.fulfilment, input.fulfilment)))
    .orderBy(shipments.sequence);
  if (existing.length > 0) {
    await applyTransitions(tx, order, input.transitions);
    return { shipments: existing.map(toPlanned) };
  }

  const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, order.id));
  const skus = [...new Set(items.map((i) => i.sku))];
  const catalogue = new Map((await tx.select().from(products).where(inArray(products.sku, skus))).map((p) => [p.sku, p]));
  const held = await tx
    .select()
    .from(reservations)
    .where(and(eq(reservations.orderId, order.id), eq(reservations.fulfilment, input.fulfilment), eq(reservations.status, 'held')));
  const [last] = await tx.select({ sequence: max(shipments.sequence) }).from(shipments).where(eq(shipments.orderId, order.id));
  const now = new Date();
  const planned: PlannedShipment[] = [];
  for (const [index, consignment] of input.consignments.entries()) {
    const row = shipmentRowFor({
      order,
      consignment,
      shipmentId: input.shipmentId?.(consignment) ?? randomUUID(),
      sequence: (last?.sequence ?? 0) + index + 1,
      catalogue,
      held,
      now,
      fulfilment: input.fulfilment,
      replacesIncidentId: input.replacesIncidentId,
    });
    await tx.insert(shipments).values(row).onConflictDoNothing({ target: shipments.id });
    planned.push(toPlanned(row));
  }
  const detail = planDetail(planned);
  await applyTransitions(
    tx,
    order,
    input.transitions.map((t) => ({ ...t, detail: { ...detail, ...t.detail } })),
  );
  return { shipments: planned };
}

/**
 * R6.1: what the customer pays for shipping is what the chosen carriers quoted for the
 * order's own shipments (in the order's currency, at the rate in force), and the total
 * becomes goods plus shipping. Only while nothing was paid or settled: a price a payment
 * was made against does not change under it. Replacements are not charged.
 */
export async function chargeShipping(tx: Tx, orderId: string): Promise<void> {
  const order = await lockOrder(tx, orderId);
  if (await hasPayments(tx, order.id)) return;
  const [settled] = await tx
    .select({ id: ledgerEntries.id })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, order.id), eq(ledgerEntries.kind, 'settlement')))
    .limit(1);
  if (settled) return;
  const own = await tx.select().from(shipments).where(and(eq(shipments.orderId, order.id), eq(shipments.fulfilment, 0)));
  const now = new Date();
  let shipping = 0;
  for (const s of own) {
    const { rate } = await rateInForce(tx, s.costCurrency, order.currency, now);
    shipping += convert(s.costAmount, s.costCurrency, order.currency, rate);
  }
  if (shipping === order.shippingAmount && order.totalAmount === order.subtotalAmount + shipping) return;
  await tx
    .update(orders)
    .set({ shippingAmount: shipping, totalAmount: order.subtotalAmount + shipping, updatedAt: now })
    .where(eq(orders.id, order.id));
}

/**
 * Cash on delivery collects the whole total, shipping included; the booking requests were
 * drawn up before the shipping was charged, so the first one's amount is brought up to it.
 */
async function collectTheTotal(tx: Tx, orderId: string, planned: PlannedShipment[]): Promise<PlannedShipment[]> {
  const order = await lockOrder(tx, orderId);
  return Promise.all(
    planned.map(async (p) => {
      const cod = p.bookingRequest.cashOnDelivery;
      if (!cod || (cod.amount === order.totalAmount && cod.currency === order.currency)) return p;
      const bookingRequest: BookingRequest = { ...p.bookingRequest, cashOnDelivery: { amount: order.totalAmount, currency: order.currency } };
      await tx
        .update(shipments)
        .set({ decision: sql`jsonb_set(${shipments.decision}, '{bookingRequest}', ${JSON.stringify(bookingRequest)}::jsonb)`, updatedAt: new Date() })
        .where(eq(shipments.id, p.shipmentId));
      return { ...p, bookingRequest };
    }),
  );
}

export function createShippingActivities(db: Db) {
  return {
    async planShipments(input: PlanShipmentsInput): Promise<{ shipments: PlannedShipment[] }> {
      return db.transaction(async (tx) => {
        const planned = await planFulfilment(tx, { ...input, fulfilment: 0 });
        await chargeShipping(tx, input.orderId);
        return { shipments: await collectTheTotal(tx, input.orderId, planned.shipments) };
      });
    },

    /** DISPATCH, after the carrier booked every shipment: tracking numbers and labels in. */
    async recordDispatch(input: {
      orderId: string;
      bookings: (Booking & { shipmentId: string })[];
      transitions: Transition[];
    }): Promise<void> {
      await db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        for (const booking of input.bookings) {
          await tx
            .update(shipments)
            .set({
              trackingNumber: booking.trackingNumber,
              labelUrl: booking.labelUrl,
              bookedAt: new Date(booking.createdAt),
              status: sql`case when ${shipments.status} = 'planned' then 'label_created' else ${shipments.status} end`,
              updatedAt: new Date(),
            })
            .where(and(eq(shipments.id, booking.shipmentId), eq(shipments.orderId, order.id)));
        }
        const first = input.bookings[0];
        const detail = first ? { carrier: first.carrier, trackingNumber: first.trackingNumber } : {};
        await applyTransitions(
          tx,
          order,
          input.transitions.map((t) => ({ ...t, detail: { ...detail, ...t.detail } })),
        );
        // The stock stays reserved until the carrier has the parcel: it leaves the shelf
        // at handover, with the shipment's first journey event (recordTracking).
      });
    },
  };
}

