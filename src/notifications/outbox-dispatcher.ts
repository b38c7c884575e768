import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { notifications } from '../db/schema';

// Delivers the outbox: notices written in the same transaction as the status change
// they announce (R1.6). Each is sent at least once; a failed send is retried a few times
// and then left as failed for an operator to see.

export interface OutgoingNotice {
  id: number;
  orderId: string | null;
  channel: string;
  recipient: string;
  subject: string;
  body: string;
}

/** Where notices go: an e-mail/SMS provider in production, the log in the sandbox. */
export interface Notifier {
  send(notice: OutgoingNotice): Promise<void>;
}

export const MAX_SEND_ATTEMPTS = 5;

export function logNotifier(log: (line: string) => void): Notifier {
  return {
    async send(n) {
      log(`notice ${n.channel} → ${n.recipient}: ${n.subject}`);
    },
  };
}

export function startOutboxDispatcher(options: { db: Db; notifier: Notifier; intervalMs?: number; batch?: number; retryBaseMs?: number }) {
  const { db, notifier } = options;
  const retryBaseMs = options.retryBaseMs ?? 2_000;
  const intervalMs = options.intervalMs ?? 500;
  const batch = options.batch ?? 50;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<number> {
    // Claimed with a lease, so that several dispatchers (one per worker replica) never
    // send the same notice, and a dispatcher that dies mid-send hands it on.
    const due = await db
      .update(notifications)
      .set({ claimedUntil: sql`now() + interval '60 seconds'` })
      .where(
        inArray(
          notifications.id,
          db
            .select({ id: notifications.id })
            .from(notifications)
            .where(
              and(
                eq(notifications.status, 'pending'),
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
    const sent: number[] = [];
    for (const n of due) {
      try {
        await notifier.send(n);
        sent.push(n.id);
      } catch (err) {
        const attempts = n.attempts + 1;
        await db
          .update(notifications)
          .set({
            attempts,
            lastError: String(err),
            // The lease doubles as the back-off: 2 s, 4 s, 8 s, … before the next try.
            claimedUntil: new Date(Date.now() + retryBaseMs * 2 ** (attempts - 1)),
            status: attempts >= MAX_SEND_ATTEMPTS ? 'failed' : 'pending',
          })
          .where(eq(notifications.id, n.id));
      }
    }
    if (sent.length > 0) {
      await db.update(notifications).set({ status: 'sent', sentAt: new Date(), claimedUntil: null }).where(inArray(notifications.id, sent));
    }
    return due.length;
  }

  function schedule(delay: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .then((n) => schedule(n === batch ? 0 : intervalMs))
        .catch(() => schedule(intervalMs * 4));
    }, delay);
  }
  schedule(0);

  return {
    pass,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
