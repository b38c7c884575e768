import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { startPollingLoop } from '../background/polling-loop';
import type { Db } from '../db/client';
import { apiKeys, orderEvents, orderOwners, orders, webhookCursors, webhookDeliveries, webhookDeliveryAttempts, webhookSubscriptions } from '../db/schema';
import type { CodecKey } from '../temporal/payload-codec';
import { webhookEventsFor, type OrderEventRow } from './events';
import { openSecret } from './secret-box';
import { signedHeaders } from './signature';

// Outbound webhooks in two steps, both durable in Postgres:
//  1. fan-out: new order_events become webhook_deliveries, one per matching subscription;
//  2. delivery: due deliveries are POSTed, signed, and retried with exponential back-off.
// Every status change an activity committed is in order_events, so nothing is lost; the
// cursor and the unique (subscription, event, type) make re-reading harmless.
//
// Ids of order_events come from a sequence: a transaction that took id 10 may commit after
// one that took 11. So the stored cursor is a low-water mark that trails the newest event by
// `settleMs`; events above it are re-read every pass and skipped when already fanned out.
// Events of one order are written under that order's row lock, so they commit in id order.

export interface WebhookSettings {
  /** First retry after this long, then twice as long each time. */
  retryBaseMs: number;
  maxAttempts: number;
  /** Longest wait between two attempts. */
  retryCapMs: number;
  /** A receiver that has not answered in this long has failed the attempt. */
  timeoutMs: number;
  /** http:// URLs on localhost are accepted (development). */
  allowLocalHttp: boolean;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryBaseMs: 5_000,
  maxAttempts: 10,
  retryCapMs: 3_600_000,
  timeoutMs: 10_000,
  allowLocalHttp: false,
};

const CURSOR = 'order_events';

/** The wait before the attempt after `attempts` failed ones. */
export function retryDelayMs(settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryCapMs'>, attempts: number): number {
  return Math.min(settings.retryCapMs, settings.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

export const newMessageId = () => `msg_${randomBytes(16).toString('hex')}`;

export function startWebhookDispatcher(options: {
  db: Db;
  keys: readonly CodecKey[];
  settings: WebhookSettings;
  intervalMs?: number;
  batch?: number;
  settleMs?: number;
  log?: (message: string) => void;
}) {
  const { db, keys, settings } = options;
  const intervalMs = options.intervalMs ?? 250;
  const batch = options.batch ?? 100;
  const settleMs = options.settleMs ?? 60_000;
  const log = options.log ?? (() => undefined);
  /** Events above the stored cursor already fanned out by this process. */
  const seen = new Map<number, Date>();
  /** The newest event id fanned out by this process (at least the stored cursor). */
  let highest = 0;

  async function fanOut(): Promise<number> {
    return db.transaction(async (tx) => {
      // One fan-out at a time across replicas: the cursor row is the lock.
      const [cursor] = await tx.select().from(webhookCursors).where(eq(webhookCursors.name, CURSOR)).for('update');
      const low = cursor?.lastEventId ?? 0;
      if (!cursor) await tx.insert(webhookCursors).values({ name: CURSOR, lastEventId: 0 }).onConflictDoNothing();
      const columns = {
        id: orderEvents.id,
        orderId: orderEvents.orderId,
        orderNumber: orders.number,
        version: orderEvents.version,
        status: orderEvents.status,
        stage: orderEvents.stage,
        detail: orderEvents.detail,
        at: orderEvents.at,
      };
      highest = Math.max(highest, low);
      // Late arrivals: ids under the newest already seen that were not visible then.
      const late =
        highest > low
          ? (await tx.select({ id: orderEvents.id }).from(orderEvents).where(and(gt(orderEvents.id, low), lt(orderEvents.id, highest))))
              .map((r) => r.id)
              .filter((id) => !seen.has(id))
          : [];
      const rows: OrderEventRow[] = [
        ...(late.length > 0
          ? await tx.select(columns).from(orderEvents).innerJoin(orders, eq(orders.id, orderEvents.orderId)).where(inArray(orderEvents.id, late.slice(0, batch)))
          : []),
        ...(await tx
          .select(columns)
          .from(orderEvents)
          .innerJoin(orders, eq(orders.id, orderEvents.orderId))
          .where(gt(orderEvents.id, highest))
          .orderBy(asc(orderEvents.id))
          .limit(batch)),
      ];
      if (rows.length > 0) {
        const subscriptions = await tx.select().from(webhookSubscriptions).where(isNull(webhookSubscriptions.deletedAt));
        // An integrator hears about its own orders only; an admin's subscription, all of them.
        const owners = new Map(
          (await tx.select().from(orderOwners).where(inArray(orderOwners.orderId, [...new Set(rows.map((r) => r.orderId))]))).map((o) => [o.orderId, o.keyId]),
        );
        const subscribers = [...new Set(subscriptions.map((s) => s.ownerKeyId))];
        const admins = new Set(
          (await tx.select({ id: apiKeys.id }).from(apiKeys).where(and(inArray(apiKeys.id, subscribers), eq(apiKeys.role, 'admin')))).map((k) => k.id),
        );
        const values: (typeof webhookDeliveries.$inferInsert)[] = [];
        for (const row of rows) {
          for (const event of webhookEventsFor(row)) {
            for (const s of subscriptions) {
              // A subscription hears what happens from its creation on, not the history before.
              if (!s.eventTypes.includes(event.type) || row.at < s.createdAt) continue;
              if (!admins.has(s.ownerKeyId) && owners.get(row.orderId) !== s.ownerKeyId) continue;
              values.push({
                messageId: newMessageId(),
                subscriptionId: s.id,
                eventId: row.id,
                eventType: event.type,
                orderId: row.orderId,
                payload: JSON.stringify(event.body),
                maxAttempts: settings.maxAttempts,
              });
            }
          }
        }
        // In slices: many subscriptions times a batch of events would pass Postgres's parameter limit.
        for (let i = 0; i < values.length; i += 500) {
          await tx
            .insert(webhookDeliveries)
            .values(values.slice(i, i + 500))
            .onConflictDoNothing();
        }
        for (const row of rows) {
          seen.set(row.id, row.at);
          highest = Math.max(highest, row.id);
        }
      }
      // Move the low-water mark past what is both fanned out and old enough that no
      // earlier id can still be in flight.
      const settledBefore = Date.now() - settleMs;
      let next = low;
      for (const [id, at] of seen) if (at.getTime() < settledBefore && id > next) next = id;
      // Late arrivals left for the next pass hold the mark below them.
      if (late.length > batch) next = Math.min(next, late.slice(batch).reduce((a, b) => Math.min(a, b)) - 1);
      next = Math.max(next, low);
      if (next > low) {
        await tx.update(webhookCursors).set({ lastEventId: next }).where(eq(webhookCursors.name, CURSOR));
        for (const id of seen.keys()) if (id <= next) seen.delete(id);
      }
      return rows.length;
    });
  }

  async function deliverDue(): Promise<number> {
    const earlier = sql`exists (select 1 from ${webhookDeliveries} as e where e.subscription_id = ${webhookDeliveries.subscriptionId}
      and e.order_id = ${webhookDeliveries.orderId} and e.id < ${webhookDeliveries.id} and e.status = 'pending')`;
    // Claimed with a lease (as the notice outbox): one sender per delivery across replicas.
    // Not while an earlier delivery for the same order and subscription waits: in order.
    const due = await db
      .update(webhookDeliveries)
      .set({ claimedUntil: sql`now() + ${`${Math.ceil(settings.timeoutMs / 1000) + 30} seconds`}::interval` })
      .where(
        inArray(
          webhookDeliveries.id,
          db
            .select({ id: webhookDeliveries.id })
            .from(webhookDeliveries)
            .where(
              and(
                eq(webhookDeliveries.status, 'pending'),
                lte(webhookDeliveries.nextAttemptAt, sql`now()`),
                or(isNull(webhookDeliveries.claimedUntil), lte(webhookDeliveries.claimedUntil, sql`now()`)),
                sql`not ${earlier}`,
              ),
            )
            .orderBy(asc(webhookDeliveries.id))
            .limit(batch)
            .for('update', { skipLocked: true }),
        ),
      )
      .returning();
    if (due.length === 0) return 0;
    const subscriptionIds = [...new Set(due.map((d) => d.subscriptionId))];
    const subscriptions = new Map(
      (await db.select().from(webhookSubscriptions).where(inArray(webhookSubscriptions.id, subscriptionIds))).map((s) => [s.id, s]),
    );
    await Promise.all(due.map((d) => attempt(d, subscriptions.get(d.subscriptionId)!)));
    return due.length;
  }

  async function attempt(d: typeof webhookDeliveries.$inferSelect, s: typeof webhookSubscriptions.$inferSelect): Promise<void> {
    const started = Date.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    if (s.deletedAt) {
      // Deleted between fan-out and now: nobody wants it any more.
      await db
        .update(webhookDeliveries)
        .set({ status: 'failed', lastError: 'the subscription was deleted', claimedUntil: null })
        .where(eq(webhookDeliveries.id, d.id));
      return;
    }
    try {
      const secret = openSecret(keys, s.sealedSecret);
      const res = await fetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'orderflow-webhooks/1', ...signedHeaders(secret, d.messageId, d.payload) },
        body: d.payload,
        // A redirect is an answer, not a delivery: never follow it to another host.
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      statusCode = res.status;
      // Read (and bound) the answer so the connection is reused; its content is not ours to keep.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const attempts = d.attempts + 1;
    const delivered = error === undefined;
    await db.transaction(async (tx) => {
      await tx.insert(webhookDeliveryAttempts).values({ deliveryId: d.id, statusCode: statusCode ?? null, error: error ?? null, durationMs: Date.now() - started });
      await tx
        .update(webhookDeliveries)
        .set({
          attempts,
          lastStatusCode: statusCode ?? null,
          lastError: error ?? null,
          claimedUntil: null,
          status: delivered ? 'delivered' : attempts >= d.maxAttempts ? 'failed' : 'pending',
          deliveredAt: delivered ? new Date() : d.deliveredAt,
          nextAttemptAt: delivered ? d.nextAttemptAt : new Date(Date.now() + retryDelayMs(settings, attempts)),
        })
        .where(eq(webhookDeliveries.id, d.id));
    });
    if (!delivered && attempts >= d.maxAttempts) log(`webhook delivery ${d.id} to subscription ${s.id} failed for good: ${error}`);
  }

  async function pass(): Promise<number> {
    const fanned = await fanOut();
    const delivered = await deliverDue();
    return Math.max(fanned, delivered);
  }

  const loop = startPollingLoop(pass, { intervalMs, batch, onError: (err) => log(`webhook dispatcher: ${String(err)}`) });

  return {
    pass,
    stop: () => loop.stop(),
  };
}
