import { and, asc, desc, eq, gte, inArray, lt, lte, or, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../db/client';
import { feedback, notifications, orderEvents, orderItems, orders, shipments, signOffs, trackingEvents } from '../db/schema';
import { HttpProblem } from './problem';
import type { OrdersQuery } from './schemas';

// What integrators and customer service read about orders (R1.7), straight from the
// system of record. JSON is camelCase; money is { amount, currency } in minor units.

type OrderRow = typeof orders.$inferSelect;

const money = (amount: number, currency: string) => ({ amount, currency });

export function orderSummary(o: OrderRow) {
  return {
    id: o.id,
    number: o.number,
    externalId: o.externalId,
    workflowId: o.workflowId,
    channel: o.channel,
    priority: o.priority,
    status: o.status,
    stage: o.stage,
    needsAttention: o.needsAttention,
    attentionReason: o.attentionReason,
    customerId: o.customerId,
    total: money(o.totalAmount, o.currency),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export async function findOrderRow(db: Db, idOrNumber: string): Promise<OrderRow | undefined> {
  const where = idOrNumber.startsWith('OF-') ? eq(orders.number, idOrNumber) : eq(orders.id, idOrNumber);
  const [row] = await db.select().from(orders).where(where);
  return row;
}

export async function orderDetail(db: Db, o: OrderRow) {
  const [items, events, ships, notices, signOff, rating] = await Promise.all([
    db.select().from(orderItems).where(eq(orderItems.orderId, o.id)).orderBy(asc(orderItems.line)),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, o.id)).orderBy(asc(orderEvents.version), asc(orderEvents.id)),
    db.select().from(shipments).where(eq(shipments.orderId, o.id)).orderBy(asc(shipments.sequence)),
    db.select().from(notifications).where(eq(notifications.orderId, o.id)).orderBy(asc(notifications.id)),
    db.select().from(signOffs).where(eq(signOffs.orderId, o.id)),
    db.select().from(feedback).where(eq(feedback.orderId, o.id)),
  ]);
  const tracking = ships.length
    ? await db
        .select()
        .from(trackingEvents)
        .where(inArray(trackingEvents.shipmentId, ships.map((s) => s.id)))
        .orderBy(asc(trackingEvents.occurredAt), asc(trackingEvents.id))
    : [];
  return {
    ...orderSummary(o),
    currency: o.currency,
    customer: o.customer,
    items: items.map((i) => ({
      line: i.line,
      sku: i.sku,
      name: i.name,
      spec: i.spec,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      lineTotal: i.lineTotal,
    })),
    totals: { subtotal: o.subtotalAmount, total: o.totalAmount, currency: o.currency },
    settlement: { method: o.settlementMethod },
    requestedDeliveryBy: o.requestedDeliveryBy?.toISOString() ?? null,
    verification: o.verification ? { passed: o.verification.ok, reasons: o.verification.reasons } : null,
    timeline: events.map((e) => ({ status: e.status, stage: e.stage, at: e.at.toISOString(), version: e.version, detail: e.detail })),
    shipments: ships.map((s) => ({
      id: s.id,
      sequence: s.sequence,
      warehouse: s.warehouseCode,
      carrier: s.carrier,
      method: s.method,
      service: s.service,
      status: s.status,
      trackingNumber: s.trackingNumber,
      labelUrl: s.labelUrl,
      shipDate: s.shipDate,
      estimatedDelivery: s.estimatedDeliveryDate,
      cost: money(s.costAmount, s.costCurrency),
      packingList: s.packingList,
      decision: { reasons: s.decision.reasons, alternatives: s.decision.alternatives, meetsDeadline: s.decision.meetsDeadline },
      bookedAt: s.bookedAt?.toISOString() ?? null,
      deliveredAt: s.deliveredAt?.toISOString() ?? null,
      tracking: tracking
        .filter((t) => t.shipmentId === s.id)
        .map((t) => ({ status: t.status, occurredAt: t.occurredAt.toISOString(), location: t.location, description: t.description })),
    })),
    notifications: notices.map((n) => ({
      channel: n.channel,
      recipient: n.recipient,
      template: n.template,
      subject: n.subject,
      status: n.status,
      createdAt: n.createdAt.toISOString(),
      sentAt: n.sentAt?.toISOString() ?? null,
    })),
    signOff: signOff[0]
      ? {
          method: signOff[0].method,
          recipientName: signOff[0].recipientName,
          credential: signOff[0].credentialHint,
          packagingIntact: signOff[0].packagingIntact,
          quantitiesMatch: signOff[0].quantitiesMatch,
          signedAt: signOff[0].signedAt.toISOString(),
        }
      : null,
    feedback: rating[0]
      ? {
          channel: rating[0].channel,
          ratings: {
            productQuality: rating[0].productQuality,
            serviceAttitude: rating[0].serviceAttitude,
            deliveryPunctuality: rating[0].deliveryPunctuality,
            resolutionEfficiency: rating[0].resolutionEfficiency,
          },
          comment: rating[0].comment,
          submittedAt: rating[0].submittedAt.toISOString(),
        }
      : null,
  };
}

export type OrderDetail = Awaited<ReturnType<typeof orderDetail>>;

// Keyset pagination: newest first; the cursor is the last row's (createdAt, id).
const encodeCursor = (o: OrderRow) => Buffer.from(`${o.createdAt.toISOString()}|${o.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) {
    throw new HttpProblem(422, 'Invalid request', 'query.cursor: not a cursor this API gave out', {
      errors: [{ field: 'query.cursor', message: 'not a cursor this API gave out' }],
    });
  }
  return { createdAt, id };
}

export async function listOrders(db: Db, q: z.output<typeof OrdersQuery>) {
  const where: SQL[] = [];
  if (q.status) where.push(inArray(orders.status, q.status));
  if (q.stage) where.push(inArray(orders.stage, q.stage));
  if (q.channel) where.push(eq(orders.channel, q.channel));
  if (q.priority) where.push(eq(orders.priority, q.priority));
  if (q.customerId) where.push(eq(orders.customerId, q.customerId));
  if (q.externalId) where.push(eq(orders.externalId, q.externalId));
  if (q.needsAttention !== undefined) where.push(eq(orders.needsAttention, q.needsAttention));
  if (q.createdFrom) where.push(gte(orders.createdAt, new Date(q.createdFrom)));
  if (q.createdTo) where.push(lte(orders.createdAt, new Date(q.createdTo)));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(or(lt(orders.createdAt, c.createdAt), and(eq(orders.createdAt, c.createdAt), lt(orders.id, c.id)))!);
  }
  const rows = await db
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    data: page.map(orderSummary),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
  };
}
