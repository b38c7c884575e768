import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { startPollingLoop } from '../background/polling-loop';
import type { Db } from '../db/client';
import { notifications } from '../db/schema';

// Delivers the outbox: notices written in the same transaction as the status change
// they announce (R1.6). A notice is `sent` only once a provider accepted it; a refused
// send is retried with back-off and then left `failed` with the reason for an operator;
// a notice no provider serves is `skipped` with the reason, never pretended sent.
//
// Delivery is at least once: a notice is claimed (status `sending`, lease in
// claimed_until) before it is handed to a provider, so two dispatchers never send it
// together; only a dispatcher that dies between the provider's acceptance and the
// `sent` update leaves it to be sent again once the lease ends. The notice id travels as
// the e-mail's Message-ID and the SMS request's Idempotency-Key so a receiver can fold
// such a repeat away.

export interface OutgoingNotice {
  id: number;
  orderId: string | null;
  channel: string;
  recipient: string;
  subject: string;
  body: string;
}

/** What became of a notice handed to a notifier (thrown errors are refusals, retried). */
export type Delivery = { outcome: 'sent'; providerMessageId?: string } | { outcome: 'skipped'; reason: string };

/** Where notices go: e-mail and SMS providers (src/notifications/delivery.ts). */
export interface Notifier {
  /** Resolves when accepted (void counts as sent); throws when refused. */
  send(notice: OutgoingNotice): Promise<Delivery | void>;
}

export const MAX_SEND_ATTEMPTS = 5;

/** Longer than any provider call may take (see the timeouts in delivery.ts). */
export const SEND_LEASE_MS = 60_000;

/** Logs notices and sends none: they are recorded `skipped`, as that is what happened. */
export function logNotifier(log: (line: string) => void): Notifier {
  return {
    async send(n) {
      log(`notice ${n.channel} → ${n.recipient}: ${n.subject}`);
      return { outcome: 'skipped', reason: 'logged only: no provider configured' };
    },
  };
}

export function startOutboxDispatcher(options: {
  db: Db;
  notifier: Notifier;
  intervalMs?: number;
  batch?: number;
  retryBaseMs?: number;
  leaseMs?: number;
  log?: (line: string) => void;
  /** Also log each notice sent or skipped (LOG_LEVEL=debug); refusals are always logged. */
  logEach?: boolean;
}) {
  const { db, notifier } = options;
  const retryBaseMs = options.retryBaseMs ?? 2_000;
  const intervalMs = options.intervalMs ?? 500;
  const batch = options.batch ?? 50;
  const leaseMs = options.leaseMs ?? SEND_LEASE_MS;
  const log = options.log ?? (() => undefined);

  async function pass(): Promise<number> {
    // Claimed with a lease, so that several dispatchers (one per worker replica) never
    // send the same notice, and a dispatcher that dies mid-send hands it on. A pending
    // notice's claimed_until is its back-off: not before then.
    const due = await db
      .update(notifications)
      .set({ status: 'sending', claimedUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where(
        inArray(
          notifications.id,
          db
            .select({ id: notifications.id })
            .from(notifications)
            .where(
              and(
                inArray(notifications.status, ['pending', 'sending']),
                lt(notifications.attempts, MAX_SEND_ATTEMPTS),
                or(isNull(notifications.claimedUntil), lt(notifications.claimedUntil, sql`now()`)),
              ),
            )
            .orderBy(asc(notifications.id))
            .limit(batch)
            .for('update', { skipLocked: true }),
        ),
      )
      .returning();
    for (const n of due) {
      // Only while this claim holds: a row another dispatcher took over is its business now.
      const mine = and(eq(notifications.id, n.id), eq(notifications.status, 'sending'));
      let delivery: Delivery;
      try {
        delivery = (await notifier.send(n)) ?? { outcome: 'sent' };
      } catch (err) {
        const attempts = n.attempts + 1;
        const reason = err instanceof Error ? err.message : String(err);
        const failed = attempts >= MAX_SEND_ATTEMPTS;
        await db
          .update(notifications)
          .set({
            attempts,
            lastError: reason.slice(0, 2_000),
            // The lease doubles as the back-off: base, 2×, 4×, … before the next try.
            claimedUntil: failed ? null : new Date(Date.now() + retryBaseMs * 2 ** (attempts - 1)),
            status: failed ? 'failed' : 'pending',
          })
          .where(mine);
        // The reason may quote an address: it stays in the table (last_error), not the log.
        log(`notice ${n.id} (${n.channel}) refused, attempt ${attempts}/${MAX_SEND_ATTEMPTS}${failed ? ', given up' : ''}`);
        continue;
      }
      // Marked one by one, at once: a crash after this point sends nothing again.
      if (delivery.outcome === 'skipped') {
        await db.update(notifications).set({ status: 'skipped', skipReason: delivery.reason, claimedUntil: null }).where(mine);
        if (options.logEach) log(`notice ${n.id} (${n.channel}) skipped: ${delivery.reason}`);
      } else {
        await db
          .update(notifications)
          .set({
            status: 'sent',
            sentAt: new Date(),
            attempts: n.attempts + 1,
            providerMessageId: delivery.providerMessageId ?? null,
            claimedUntil: null,
          })
          .where(mine);
        if (options.logEach) log(`notice ${n.id} (${n.channel}) sent: ${delivery.providerMessageId ?? 'accepted'}`);
      }
    }
    return due.length;
  }

  const loop = startPollingLoop(pass, { intervalMs, batch, onError: (err) => log(`outbox pass failed: ${String(err)}`) });

  return {
    pass,
    stop: () => loop.stop(),
  };
}
