import { and, eq, gte, inArray, isNotNull, lt, lte, ne, or, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { complaints, feedback, incidents, orders, shipments } from '../db/schema';
import type { SatisfactionFacts } from './satisfaction';

// The rows behind the satisfaction metrics: the orders placed in the window, and their
// shipments, ratings, incidents and complaints. The window is on when the order was
// placed, so every figure is about one population of orders.

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function placedWithin(from: string | undefined, to: string | undefined): SQL[] {
  const where: SQL[] = [];
  if (from) where.push(gte(orders.createdAt, new Date(DATE_ONLY.test(from) ? `${from}T00:00:00Z` : from)));
  if (to) {
    // A date names the whole day.
    if (DATE_ONLY.test(to)) where.push(lt(orders.createdAt, new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS)));
    else where.push(lte(orders.createdAt, new Date(to)));
  }
  return where;
}

export async function satisfactionFacts(db: Db, window: { from?: string; to?: string }): Promise<SatisfactionFacts> {
  const placed = and(...placedWithin(window.from, window.to));
  const orderRows = await db.select({ orderId: orders.id, region: orders.region, channel: orders.channel }).from(orders).where(placed);
  if (orderRows.length === 0) return { orders: [], shipments: [], ratings: [], problems: [] };
  const inWindow = db.select({ id: orders.id }).from(orders).where(placed);

  // Delivered is the shipment's delivery time, else the carrier's first "delivered" event.
  // Qualified by hand: drizzle names a one-table select's columns bare, and a bare "id" in
  // the subquery would be the tracking event's.
  const firstDelivered = sql<string | null>`(select min(te.occurred_at) from tracking_events te where te.shipment_id = "shipments"."id" and te.status = 'delivered')`;
  const [shipmentRows, ratingRows, incidentRows, complaintRows] = await Promise.all([
    db
      .select({
        shipmentId: shipments.id,
        orderId: shipments.orderId,
        carrier: shipments.carrier,
        warehouse: shipments.warehouseCode,
        shipDate: shipments.shipDate,
        handedOverAt: shipments.handedOverAt,
        promisedDeliveryDate: shipments.promisedDeliveryDate,
        deliveredAt: shipments.deliveredAt,
        firstDelivered,
        closedAs: shipments.closedAs,
      })
      .from(shipments)
      // A voided booking never left: it is no shipment of the order's.
      .where(and(inArray(shipments.orderId, inWindow), or(isNull(shipments.closedAs), ne(shipments.closedAs, 'voided')))),
    db
      .select({
        orderId: feedback.orderId,
        productQuality: feedback.productQuality,
        serviceAttitude: feedback.serviceAttitude,
        deliveryPunctuality: feedback.deliveryPunctuality,
        resolutionEfficiency: feedback.resolutionEfficiency,
      })
      .from(feedback)
      .where(inArray(feedback.orderId, inWindow)),
    db
      .select({ orderId: incidents.orderId, shipmentIds: incidents.shipmentIds, carrier: incidents.carrier, openedAt: incidents.openedAt, resolvedAt: incidents.resolvedAt })
      .from(incidents)
      .where(inArray(incidents.orderId, inWindow)),
    db
      .select({ orderId: complaints.orderId, openedAt: complaints.createdAt, resolvedAt: complaints.resolvedAt })
      .from(complaints)
      // A suggestion is no problem to resolve; a ticket without an order cannot be traced to one.
      .where(and(isNotNull(complaints.orderId), eq(complaints.kind, 'complaint'), inArray(complaints.orderId, inWindow))),
  ]);

  return {
    orders: orderRows,
    shipments: shipmentRows.map(({ firstDelivered: first, ...s }) => ({ ...s, deliveredAt: s.deliveredAt ?? (first ? new Date(first) : null) })),
    ratings: ratingRows,
    problems: [
      ...incidentRows.map((i) => ({ source: 'incident' as const, ...i })),
      ...complaintRows.map((c) => ({ source: 'complaint' as const, orderId: c.orderId!, shipmentIds: [], openedAt: c.openedAt, resolvedAt: c.resolvedAt })),
    ],
  };
}
