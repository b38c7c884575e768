import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookDeliveryAttempts, webhookSubscriptions } from '../../db/schema';
import type { CodecKey } from '../../temporal/payload-codec';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events';
import { sealSecret } from '../../webhooks/secret-box';
import { newSigningSecret } from '../../webhooks/signature';
import type { Caller } from '../auth';
import { HttpProblem } from '../problem';
import { route } from '../route';

// Outbound webhooks for integrators: subscriptions per event type, their delivery log and
// a manual redelivery. An integrator sees only the subscriptions its own key made; admin
// sees all. The signing secret is in the creation's answer and nowhere else ever after.

const ACCESS = ['integrator'] as const;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function subscriptionBody(allowLocalHttp: boolean) {
  return z.object({
    url: z
      .url()
      .max(2_000)
      .superRefine((text, ctx) => {
        const u = new URL(text);
        if (u.protocol === 'https:') return;
        if (u.protocol === 'http:' && allowLocalHttp && LOCAL_HOSTS.has(u.hostname)) return;
        ctx.addIssue({
          code: 'custom',
          message: allowLocalHttp ? 'an https:// URL (http:// only for localhost or 127.0.0.1)' : 'an https:// URL',
        });
      }),
    eventTypes: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .transform((types) => [...new Set(types)]),
    description: z.string().trim().min(1).max(500).optional(),
  });
}

const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Older than this delivery id: the next page. */
  before: z.coerce.number().int().positive().optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
});

const Uuid = z.uuid().transform((id) => id.toLowerCase());
const DeliveryId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

type Subscription = typeof webhookSubscriptions.$inferSelect;
type Delivery = typeof webhookDeliveries.$inferSelect;

const subscriptionJson = (s: Subscription) => ({
  id: s.id,
  url: s.url,
  eventTypes: s.eventTypes,
  description: s.description,
  createdAt: s.createdAt.toISOString(),
});

const deliveryJson = (d: Delivery, attempts: (typeof webhookDeliveryAttempts.$inferSelect)[] = []) => ({
  id: d.id,
  messageId: d.messageId,
  subscriptionId: d.subscriptionId,
  eventType: d.eventType,
  orderId: d.orderId,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
  payload: JSON.parse(d.payload) as unknown,
  attemptLog: attempts.map((a) => ({ at: a.at.toISOString(), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
});

export function webhookSubscriptionRoutes(deps: { db: Db; keys: readonly CodecKey[]; allowLocalHttp: boolean; maxAttempts: number }) {
  const { db } = deps;
  const Body = subscriptionBody(deps.allowLocalHttp);

  /** Whose subscriptions the caller may see: its own key's, or every one for admin. */
  const visibleTo = (caller: Caller | undefined): SQL | undefined =>
    caller?.role === 'admin' ? undefined : eq(webhookSubscriptions.ownerKeyId, caller?.keyId ?? '');

  async function findSubscription(caller: Caller | undefined, rawId: string | undefined): Promise<Subscription> {
    const parsed = Uuid.safeParse(rawId);
    // Another integrator's subscription is "not found", exactly as one that does not exist.
    const notFound = new HttpProblem(404, 'Not found', `no webhook subscription ${rawId}`);
    if (!parsed.success) throw notFound;
    const [row] = await db
      .select()
      .from(webhookSubscriptions)
      .where(and(eq(webhookSubscriptions.id, parsed.data), isNull(webhookSubscriptions.deletedAt), visibleTo(caller)));
    if (!row) throw notFound;
    return row;
  }

  return [
    route({
      method: 'post',
      path: '/v1/webhook-subscriptions',
      tag: 'webhooks',
      summary: 'Subscribe an https endpoint to event types; the answer holds the signing secret, shown this once',
      access: ACCESS,
      body: Body,
      responses: { 201: 'the subscription with its `secret` (whsec_…); Location names it', 422: 'a field is not valid' },
      async handler({ res, body, caller }) {
        const secret = newSigningSecret();
        const [row] = await db
          .insert(webhookSubscriptions)
          .values({
            id: randomUUID(),
            ownerKeyId: caller!.keyId,
            url: body.url,
            eventTypes: body.eventTypes,
            description: body.description ?? null,
            sealedSecret: sealSecret(deps.keys, secret),
          })
          .returning();
        res.status(201).location(`/v1/webhook-subscriptions/${row!.id}`).json({ ...subscriptionJson(row!), secret });
      },
    }),

    route({
      method: 'get',
      path: '/v1/webhook-subscriptions',
      tag: 'webhooks',
      summary: "The caller's webhook subscriptions (admin: everyone's), newest first",
      access: ACCESS,
      responses: { 200: '{ data: [subscription] }' },
      async handler({ res, caller }) {
        const rows = await db
          .select()
          .from(webhookSubscriptions)
          .where(and(isNull(webhookSubscriptions.deletedAt), visibleTo(caller)))
          .orderBy(desc(webhookSubscriptions.createdAt));
        res.json({ data: rows.map(subscriptionJson) });
      },
    }),

    route({
      method: 'get',
      path: '/v1/webhook-subscriptions/:id',
      tag: 'webhooks',
      summary: 'One webhook subscription (never its secret)',
      access: ACCESS,
      responses: { 200: 'the subscription', 404: 'no such subscription of yours' },
      async handler({ res, params, caller }) {
        res.json(subscriptionJson(await findSubscription(caller, params.id)));
      },
    }),

    route({
      method: 'delete',
      path: '/v1/webhook-subscriptions/:id',
      tag: 'webhooks',
      summary: 'Stop a subscription: nothing more is sent to it (its delivery log stays)',
      access: ACCESS,
      responses: { 204: 'deleted', 404: 'no such subscription of yours' },
      async handler({ res, params, caller }) {
        const s = await findSubscription(caller, params.id);
        await db.transaction(async (tx) => {
          await tx.update(webhookSubscriptions).set({ deletedAt: new Date() }).where(eq(webhookSubscriptions.id, s.id));
          // What was still waiting is not sent: the log says why.
          await tx
            .update(webhookDeliveries)
            .set({ status: 'failed', lastError: 'the subscription was deleted' })
            .where(and(eq(webhookDeliveries.subscriptionId, s.id), eq(webhookDeliveries.status, 'pending')));
        });
        res.status(204).end();
      },
    }),

    route({
      method: 'get',
      path: '/v1/webhook-subscriptions/:id/deliveries',
      tag: 'webhooks',
      summary: 'The delivery log of a subscription, newest first, each with its attempts',
      access: ACCESS,
      query: DeliveriesQuery,
      responses: { 200: '{ data: [delivery with attemptLog], nextBefore }', 404: 'no such subscription of yours' },
      async handler({ res, params, query, caller }) {
        const s = await findSubscription(caller, params.id);
        const rows = await db
          .select()
          .from(webhookDeliveries)
          .where(
            and(
              eq(webhookDeliveries.subscriptionId, s.id),
              query.before !== undefined ? lt(webhookDeliveries.id, query.before) : undefined,
              query.status ? eq(webhookDeliveries.status, query.status) : undefined,
            ),
          )
          .orderBy(desc(webhookDeliveries.id))
          .limit(query.limit);
        const attempts =
          rows.length === 0
            ? []
            : await db
                .select()
                .from(webhookDeliveryAttempts)
                .where(
                  inArray(
                    webhookDeliveryAttempts.deliveryId,
                    rows.map((r) => r.id),
                  ),
                )
                .orderBy(webhookDeliveryAttempts.id);
        res.json({
          data: rows.map((r) =>
            deliveryJson(
              r,
              attempts.filter((a) => a.deliveryId === r.id),
            ),
          ),
          nextBefore: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
        });
      },
    }),

    route({
      method: 'post',
      path: '/v1/webhook-deliveries/:id/redeliver',
      tag: 'webhooks',
      summary: 'Send a delivery again, now, with the same webhook-id (a fresh round of attempts)',
      access: ACCESS,
      responses: { 202: 'the delivery, pending again', 404: 'no such delivery of yours' },
      async handler({ res, params, caller }) {
        const parsed = DeliveryId.safeParse(params.id);
        const notFound = new HttpProblem(404, 'Not found', `no webhook delivery ${params.id}`);
        if (!parsed.success) throw notFound;
        const [found] = await db
          .select({ delivery: webhookDeliveries })
          .from(webhookDeliveries)
          .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
          .where(and(eq(webhookDeliveries.id, parsed.data), isNull(webhookSubscriptions.deletedAt), visibleTo(caller)));
        if (!found) throw notFound;
        const d = found.delivery;
        const [row] = await db
          .update(webhookDeliveries)
          .set({ status: 'pending', nextAttemptAt: new Date(), maxAttempts: d.attempts + deps.maxAttempts })
          .where(eq(webhookDeliveries.id, d.id))
          .returning();
        res.status(202).json(deliveryJson(row!));
      },
    }),
  ];
}
