import { and, asc, desc, eq, ne, or, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { orderEvents, orders, shipments, trackingEvents } from '../../db/schema';
import { contactMatches, NO_CONTACTS } from '../order-contact';
import type { OrderStatus } from '../../domain/order-status';
import { HttpProblem } from '../problem';
import { TokenBuckets, type BucketRule } from '../rate-limit';
import { route } from '../route';

// The customer's own look-up (issue 10): no API key, the order number and the e-mail or
// phone on the order. It answers status, timeline and tracking — nothing personal, no
// internal detail. A number that does not exist and a contact that does not fit get the
// same 404 after the same query; guesses are slowed by a token bucket per client address
// and per order number (in this process's memory: see src/api/rate-limit.ts).

export const LOOKUP_LIMITS: { perClient: BucketRule; perOrder: BucketRule } = {
  perClient: { capacity: 10, perMs: 60_000 },
  perOrder: { capacity: 5, perMs: 60_000 },
};

export const LookupBody = z.strictObject({
  orderNumber: z.string().trim().min(1).max(64).transform((n) => n.toUpperCase()),
  contact: z.string().trim().min(1).max(254),
});

/** What each status means to the person who ordered, in their words. */
const CUSTOMER_WORDS: Record<OrderStatus, string> = {
  received: 'Order received',
  verifying: 'Order being checked',
  needs_correction: 'Order needs a correction from you',
  awaiting_stock_decision: 'Some items are out of stock: waiting for your choice',
  backordered: 'Waiting for stock',
  reserved: 'Items set aside for you',
  planned: 'Shipment planned',
  awaiting_payment: 'Waiting for your payment',
  dispatched: 'Handed to the carrier',
  in_transit: 'On its way',
  out_for_delivery: 'Out for delivery',
  delivery_exception: 'A delivery problem: we are on it',
  delivered: 'Delivered',
  signed_off: 'Signed for',
  awaiting_feedback: 'Waiting for your feedback',
  settling: 'Being completed',
  completed: 'Complete',
  cancelled: 'Cancelled',
  refunded: 'Refunded',
  awaiting_return: 'Waiting for the goods to come back',
};

/** Momentary internal steps the customer is not shown (as src/domain/notices.ts keeps them quiet). */
const UNSHOWN: ReadonlySet<string> = new Set(['verifying', 'settling']);

const wordsOf = (status: string) => CUSTOMER_WORDS[status as OrderStatus] ?? status.replace(/_/g, ' ');

const NOT_FOUND = () => new HttpProblem(404, 'Not found', 'no order with that number and contact');

export function lookupRoutes(deps: { db: Db; limits?: typeof LOOKUP_LIMITS }) {
  const { db } = deps;
  const limits = deps.limits ?? LOOKUP_LIMITS;
  const perClient = new TokenBuckets(limits.perClient);
  const perOrder = new TokenBuckets(limits.perOrder);

  const limited = (retryAfterMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new HttpProblem(429, 'Too many requests', `try again in ${seconds} s`, { retryAfter: seconds });
  };

  return [
    route({
      method: 'post',
      path: '/v1/lookup',
      tag: 'lookup',
      summary: "A customer's own look-up: order number and the e-mail or phone on the order → status, timeline, tracking (no API key)",
      access: 'public',
      body: LookupBody,
      responses: {
        200: '{ orderNumber, status, statusText, timeline: [{ status, text, at }], tracking: [{ carrier, trackingNumber, status, lastEvent, estimatedDelivery }] }',
        404: 'no order with that number and contact (the same answer whichever it is)',
        429: 'too many look-ups from this client or for this order number; Retry-After says when to try again',
      },
      async handler({ req, res, body }) {
        const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
        for (const take of [() => perClient.take(client), () => perOrder.take(body.orderNumber)]) {
          const taken = take();
          if (!taken.ok) {
            const problem = limited(taken.retryAfterMs);
            res.set('Retry-After', String(problem.extra.retryAfter));
            throw problem;
          }
        }
        // The one query both misses make: an unknown number is compared against contacts that never match.
        const [order] = await db
          .select({ id: orders.id, number: orders.number, status: orders.status, customer: orders.customer })
          .from(orders)
          .where(eq(orders.number, body.orderNumber));
        const contacts = order ? { email: order.customer.email, phone: order.customer.phone } : NO_CONTACTS;
        const matches = contactMatches(contacts, body.contact);
        if (!order || !matches) throw NOT_FOUND();

        const [events, ships] = await Promise.all([
          db
            .select({ status: orderEvents.status, at: orderEvents.at })
            .from(orderEvents)
            .where(eq(orderEvents.orderId, order.id))
            .orderBy(asc(orderEvents.version), asc(orderEvents.id)),
          db
            .select({
              id: shipments.id,
              carrier: shipments.carrier,
              trackingNumber: shipments.trackingNumber,
              status: shipments.status,
              estimatedDelivery: shipments.estimatedDeliveryDate,
              deliveredAt: shipments.deliveredAt,
            })
            .from(shipments)
            .where(and(eq(shipments.orderId, order.id), or(isNull(shipments.closedAs), ne(shipments.closedAs, 'voided'))))
            .orderBy(asc(shipments.sequence)),
        ]);
        const lastEvents = await Promise.all(
          ships.map(async (s) => {
            const [last] = await db
              .select({ status: trackingEvents.status, occurredAt: trackingEvents.occurredAt })
              .from(trackingEvents)
              .where(eq(trackingEvents.shipmentId, s.id))
              .orderBy(desc(trackingEvents.occurredAt), desc(trackingEvents.id))
              .limit(1);
            return last;
          }),
        );

        // One line per change of status: a status recorded again (a new version) is not news.
        const timeline: { status: string; text: string; at: string }[] = [];
        for (const e of events) {
          if (UNSHOWN.has(e.status) || timeline.at(-1)?.status === e.status) continue;
          timeline.push({ status: e.status, text: wordsOf(e.status), at: e.at.toISOString() });
        }
        res.set('Cache-Control', 'no-store').json({
          orderNumber: order.number,
          status: order.status,
          statusText: wordsOf(order.status),
          timeline,
          // Carrier, number, where the parcel is and when it is due: no location or carrier
          // text, which can name the street or the person who took the parcel in.
          tracking: ships
            .map((s, i) => ({ s, last: lastEvents[i] }))
            .filter(({ s }) => s.trackingNumber)
            .map(({ s, last }) => ({
              carrier: s.carrier,
              trackingNumber: s.trackingNumber,
              status: s.status,
              lastEvent: last ? { status: last.status, at: last.occurredAt.toISOString() } : null,
              estimatedDelivery: s.estimatedDelivery,
              deliveredAt: s.deliveredAt?.toISOString() ?? null,
            })),
        });
      },
    }),
  ];
}
