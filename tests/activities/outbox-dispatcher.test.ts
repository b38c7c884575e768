import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications } from '../../src/db/schema';
import { MAX_SEND_ATTEMPTS, logNotifier, startOutboxDispatcher, type OutgoingNotice } from '../../src/notifications/outbox-dispatcher';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitFor } from '../helpers/wait-for';

// The outbox (R1.6): every notice written with a status change goes out once, even with
// a dispatcher per worker replica; a notice the provider keeps refusing ends as failed.

let test: TestDatabase;

beforeAll(async () => {
  test = await createTestDatabase({ maxConnections: 10 });
});
afterAll(() => test?.drop());

const notice = (i: number, prefix: string) => ({
  channel: 'email' as const,
  recipient: `customer${i}@example.com`,
  template: 'reserved',
  subject: `Order ${i} confirmed`,
  body: 'set aside for you',
  dedupeKey: `${prefix}:${i}`,
});

describe('the outbox dispatcher', () => {
  it('sends every notice exactly once with three dispatchers at work', async () => {
    const db = test.database.db;
    await db.insert(notifications).values(Array.from({ length: 60 }, (_, i) => notice(i, 'once')));
    const sent: number[] = [];
    const notifier = { send: async (n: OutgoingNotice) => void sent.push(n.id) };
    const dispatchers = Array.from({ length: 3 }, () => startOutboxDispatcher({ db, notifier, intervalMs: 10, batch: 7 }));
    try {
      await waitFor(async () => (await db.select().from(notifications).where(eq(notifications.status, 'pending'))).length === 0, {
        timeoutMs: 20_000,
        message: 'every notice to be sent',
      });
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop()));
    }
    expect(sent).toHaveLength(60);
    expect(new Set(sent).size).toBe(60);
    const rows = await db.select().from(notifications);
    expect(rows.every((r) => r.status === 'sent' && r.sentAt !== null)).toBe(true);
  });

  it('retries a notice the provider refuses, then leaves it failed with the reason', async () => {
    const db = test.database.db;
    const [row] = await db.insert(notifications).values(notice(1, 'refused')).returning();
    let tries = 0;
    const dispatcher = startOutboxDispatcher({
      db,
      notifier: {
        send: async (n) => {
          if (n.id === row!.id) {
            tries++;
            throw new Error('mailbox unavailable');
          }
        },
      },
      intervalMs: 10,
      retryBaseMs: 20,
    });
    try {
      const failed = await waitFor(
        async () => {
          const [r] = await db.select().from(notifications).where(eq(notifications.id, row!.id));
          return r?.status === 'failed' ? r : undefined;
        },
        { timeoutMs: 20_000, message: 'the refused notice to be marked failed' },
      );
      expect(failed.attempts).toBe(MAX_SEND_ATTEMPTS);
      expect(failed.lastError).toContain('mailbox unavailable');
      expect(tries).toBe(MAX_SEND_ATTEMPTS);
    } finally {
      await dispatcher.stop();
    }
  });

  it('shows a notice as sending while a provider has it, and records a log-only notifier as skipped, not sent', async () => {
    const db = test.database.db;
    const [held, logged] = await db.insert(notifications).values([notice(1, 'held'), notice(2, 'logged')]).returning();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const lines: string[] = [];
    const log = logNotifier((line) => lines.push(line));
    const dispatcher = startOutboxDispatcher({
      db,
      notifier: { send: async (n) => (n.id === held!.id ? released : log.send(n)) },
      intervalMs: 10,
    });
    try {
      const during = await waitFor(
        async () => {
          const [r] = await db.select().from(notifications).where(eq(notifications.id, held!.id));
          return r?.status === 'sending' ? r : undefined;
        },
        { message: 'the held notice to be sending' },
      );
      expect(during.claimedUntil!.getTime()).toBeGreaterThan(Date.now());
      release();
      const skipped = await waitFor(
        async () => {
          const [r] = await db.select().from(notifications).where(eq(notifications.id, logged!.id));
          return r?.status === 'skipped' ? r : undefined;
        },
        { message: 'the logged notice to be skipped' },
      );
      expect(skipped).toMatchObject({ sentAt: null, skipReason: 'logged only: no provider configured' });
      expect(lines).toEqual(['notice email → customer2@example.com: Order 2 confirmed']);
      await waitFor(async () => (await db.select().from(notifications).where(eq(notifications.id, held!.id)))[0]?.status === 'sent', {
        message: 'the held notice to be sent once released',
      });
    } finally {
      await dispatcher.stop();
    }
  });
});
