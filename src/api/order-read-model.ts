import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { complaintsOfOrder } from '../complaints/complaint-store';
import { aftercareOfOrder, showsAftercare } from './order-aftercare';
import type { Db } from '../db/client';
import {
  deliveryConfirmations,
  incidents,
  ledgerEntries,
  notifications,
  orderEvents,
  orderItems,
  orders,
  shipDateProposals,
  shipments,
  trackingEvents,
} from '../db/schema';
import { badCursor, decodeCursor, pageOf } from './keyset';
import type { OrdersQuery } from './schemas';
import type { Caller } from './auth';
import { ownedOrders } from './tenancy';

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
    partner: o.partner,
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

function orderDetailQuery(db: Db, by: 'id' | 'number') {
  return db.query.orders
    .findFirst({
      where: eq(by === 'id' ? orders.id : orders.number, sql.placeholder('key')),
      with: {
        items: { orderBy: [asc(orderItems.line)] },
        events: { orderBy: [asc(orderEvents.version), asc(orderEvents.id)] },
        shipments: {
          orderBy: [asc(shipments.sequence)],
          with: { trackingEvents: { orderBy: [asc(trackingEvents.occurredAt), asc(trackingEvents.id)] } },
        },
        notifications: { orderBy: [asc(notifications.id)] },
        incidents: { orderBy: [asc(incidents.openedAt), asc(incidents.id)] },
        signOff: true,
        feedback: true,
      },
    })
    .prepare(`order_detail_by_${by}`);
}

// What has no relation of its own in the schema is read beside the order, by its id, in parallel.
function orderSideQueries(db: Db) {
  const key = sql.placeholder('orderId');
  return {
    ledger: db
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.orderId, key))
      .orderBy(asc(ledgerEntries.id))
      .prepare('order_detail_ledger'),
    proposals: db
      .select()
      .from(shipDateProposals)
      .where(eq(shipDateProposals.orderId, key))
      .orderBy(asc(shipDateProposals.proposedAt), asc(shipDateProposals.id))
      .prepare('order_detail_ship_date_proposals'),
    confirmation: db.select().from(deliveryConfirmations).where(eq(deliveryConfirmations.orderId, key)).prepare('order_detail_delivery_confirmation'),
  };
}

type OrderDetailQueries = Record<'id' | 'number', ReturnType<typeof orderDetailQuery>> & { side: ReturnType<typeof orderSideQueries> };

// Building this relational query's SQL took more CPU than Postgres took to run it (a
// bench profile: a tenth of the API process), and integrators poll it: built once per
// database handle, run with the key as its one parameter.
const detailQueries = new WeakMap<Db, OrderDetailQueries>();

function orderDetailQueries(db: Db): OrderDetailQueries {
  let queries = detailQueries.get(db);
  if (!queries) detailQueries.set(db, (queries = { id: orderDetailQuery(db, 'id'), number: orderDetailQuery(db, 'number'), side: orderSideQueries(db) }));
  return queries;
}

/** The whole order, read in one query: it is the hottest read integrators make. */
export async function findOrderDetail(db: Db, idOrNumber: string) {
  const queries = orderDetailQueries(db);
  const o = await (idOrNumber.startsWith('OF-') ? queries.number : queries.id).execute({ key: idOrNumber });
  if (!o) return undefined;
  const { items, events, shipments: ships, notifications: notices, signOff, feedback: rating, incidents: troubles } = o;
  const [ledger, proposals, [confirmation], complaints, aftercare] = await Promise.all([
    queries.side.ledger.execute({ orderId: o.id }),
    queries.side.proposals.execute({ orderId: o.id }),
    queries.side.confirmation.execute({ orderId: o.id }),
    complaintsOfOrder(db, o.id),
    showsAftercare(events) ? aftercareOfOrder(db, o.id) : [],
  ]);
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
    totals: { subtotal: o.subtotalAmount, shipping: o.shippingAmount, total: o.totalAmount, currency: o.currency },
    settlement: { method: o.settlementMethod },
    requestedDeliveryBy: o.requestedDeliveryBy?.toISOString() ?? null,
    verification: o.verification ? { passed: o.verification.ok, reasons: o.verification.reasons } : null,
    timeline: events.map((e) => ({ status: e.status, stage: e.stage, at: e.at.toISOString(), version: e.version, detail: e.detail })),
    // R1.8: while the customer decides, the shortages and the options on offer (POST …/stockout-response).
    stockout: o.status === 'awaiting_stock_decision' ? (events.findLast((e) => e.status === 'awaiting_stock_decision')?.detail ?? null) : null,
    // R1.8 `partial`: the lines still back-ordered after the first part shipped (null when none wait).
    backOrdered: o.backOrderedRest ? o.backOrderedRest.lines : null,
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
      fulfilment: s.fulfilment,
      closedAs: s.closedAs,
      replaces: s.replacesIncidentId,
      promisedDeliveryDate: s.promisedDeliveryDate,
      bookedAt: s.bookedAt?.toISOString() ?? null,
      deliveredAt: s.deliveredAt?.toISOString() ?? null,
      tracking: s.trackingEvents.map((t) => ({
        status: t.status,
        occurredAt: t.occurredAt.toISOString(),
        location: t.location,
        description: t.description,
      })),
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
    incidents: troubles.map(incidentJson),
    complaints,
    // R6.8: finance's reship / return on the order (settlement aftercare), and how each stands.
    aftercare,
    shipDateProposals: proposals.map((p) => ({
      id: p.id,
      proposedShipDate: p.proposedShipDate,
      previousShipDate: p.previousShipDate,
      reason: p.reason,
      status: p.status,
      proposedAt: p.proposedAt.toISOString(),
      answeredAt: p.answeredAt?.toISOString() ?? null,
    })),
    deliveryConfirmation: confirmation
      ? {
          addressConfirmed: confirmation.addressConfirmed,
          contactPhone: confirmation.contactPhone,
          window: { from: confirmation.windowFrom.toISOString(), to: confirmation.windowTo.toISOString() },
          rescheduled: confirmation.rescheduled,
          confirmedAt: confirmation.confirmedAt.toISOString(),
        }
      : null,
    money: moneyOf(o, ledger),
    signOff: signOff
      ? {
          method: signOff.method,
          recipientName: signOff.recipientName,
          credential: signOff.credentialHint,
          packagingIntact: signOff.packagingIntact,
          quantitiesMatch: signOff.quantitiesMatch,
          signedAt: signOff.signedAt.toISOString(),
        }
      : null,
    feedback: rating
      ? {
          channel: rating.channel,
          ratings: {
            productQuality: rating.productQuality,
            serviceAttitude: rating.serviceAttitude,
            deliveryPunctuality: rating.deliveryPunctuality,
            resolutionEfficiency: rating.resolutionEfficiency,
          },
          comment: rating.comment,
          submittedAt: rating.submittedAt.toISOString(),
        }
      : null,
  };
}

type IncidentRow = typeof incidents.$inferSelect;

/** An incident as the API shows it, on the order and in the incident list. */
export function incidentJson(i: IncidentRow) {
  return {
    id: i.id,
    kind: i.kind,
    status: i.status,
    reportedBy: i.reportedBy,
    detail: i.detail,
    shipmentIds: i.shipmentIds,
    newEta: i.newEta,
    openedAt: i.openedAt.toISOString(),
    resolvedAt: i.resolvedAt?.toISOString() ?? null,
    options: i.options,
    claim: i.claim ?? null,
    resolution: i.resolution ?? null,
  };
}

type LedgerRow = typeof ledgerEntries.$inferSelect;

/**
 * What the customer paid and got back. Every journal balances, so a journal's amount is
 * the sum of its debits; refunds and compensations are counted that way, once each.
 */
function moneyOf(o: OrderRow, ledger: readonly LedgerRow[]) {
  const debits = (kind: LedgerRow['kind']) => ledger.filter((e) => e.kind === kind && e.side === 'debit').reduce((sum, e) => sum + e.amount, 0);
  return {
    currency: o.currency,
    paid: o.totalAmount,
    refunded: debits('refund'),
    compensated: debits('compensation'),
    ledger: ledger.map((e) => ({ journalId: e.journalId, kind: e.kind, account: e.account, side: e.side, amount: e.amount, incidentId: e.incidentId })),
  };
}

export type OrderDetail = NonNullable<Awaited<ReturnType<typeof findOrderDetail>>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Keyset pagination: newest first; the cursor is the last row's (createdAt, id).
function decodeOrderCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2) as [string, string];
  const createdAt = new Date(at);
  // Anything else would reach Postgres as a bad uuid or an out-of-range date: a 500.
  const year = createdAt.getUTCFullYear();
  if (!UUID.test(id) || Number.isNaN(createdAt.getTime()) || year < 2000 || year > 9999) throw badCursor();
  return { createdAt, id };
}

/** Orders the caller may see (an integrator: its own), newest first. */
export async function listOrders(db: Db, q: z.output<typeof OrdersQuery>, caller?: Caller) {
  const where: SQL[] = [];
  const owned = ownedOrders(db, caller);
  if (owned) where.push(owned);
  if (q.status) where.push(inArray(orders.status, q.status));
  if (q.stage) where.push(inArray(orders.stage, q.stage));
  if (q.channel) where.push(eq(orders.channel, q.channel));
  if (q.partner) where.push(eq(orders.partner, q.partner));
  if (q.priority) where.push(eq(orders.priority, q.priority));
  if (q.customerId) where.push(eq(orders.customerId, q.customerId));
  if (q.externalId) where.push(eq(orders.externalId, q.externalId));
  if (q.needsAttention !== undefined) where.push(eq(orders.needsAttention, q.needsAttention));
  if (q.createdFrom) where.push(gte(orders.createdAt, new Date(q.createdFrom)));
  if (q.createdTo) where.push(lte(orders.createdAt, new Date(q.createdTo)));
  if (q.cursor) {
    const c = decodeOrderCursor(q.cursor);
    where.push(or(lt(orders.createdAt, c.createdAt), and(eq(orders.createdAt, c.createdAt), lt(orders.id, c.id)))!);
  }
  const rows = await db
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (o) => [o.createdAt.toISOString(), o.id], orderSummary);
}
