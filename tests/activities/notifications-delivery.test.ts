import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications } from '../../src/db/schema';
import { deliveryNotifier, type DeliverySettings } from '../../src/notifications/delivery';
import { MAX_SEND_ATTEMPTS, startOutboxDispatcher } from '../../src/notifications/outbox-dispatcher';
import { INVALID_SANDBOX_NUMBER, startSmsSandbox, type SmsSandbox, type SmsSandboxMessage } from '../../src/notifications/sms-sandbox';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';
import { waitFor } from '../helpers/wait-for';

// Notices are delivered, not discarded (issue 10): the outbox hands them to a real SMTP
// server started here, to .eml files when no SMTP server is configured, and to the
// Twilio-shaped SMS sandbox over HTTP. `sent` only when the provider accepted; refusals
// retried, then `failed` with the reason; channels nobody delivers are `skipped`.

let test: TestDatabase;
let smtp: SmtpSink;
let sms: SmsSandbox;
let dataDir: string;
const SID = 'ACtest';
const TOKEN = 'test-token';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-notify-'));
  [test, smtp, sms] = await Promise.all([
    createTestDatabase({ maxConnections: 10 }),
    startSmtpSink(),
    startSmsSandbox({ dir: path.join(dataDir, 'sms'), accountSid: SID, authToken: TOKEN }),
  ]);
});
afterAll(async () => {
  await Promise.all([test?.drop(), smtp?.close(), sms?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const settings = (overrides: Partial<DeliverySettings> = {}): DeliverySettings => ({
  smtpUrl: smtp.url,
  mailDir: path.join(dataDir, 'mail'),
  mailFrom: 'orderflow <no-reply@orderflow.test>',
  operatorEmail: 'desk@orderflow.test',
  sms: { apiUrl: sms.url, accountSid: SID, authToken: TOKEN, from: '+15005550006' },
  ...overrides,
});

const notice = (prefix: string, i: number, overrides: Partial<typeof notifications.$inferInsert> = {}) => ({
  channel: 'email' as const,
  recipient: `${prefix}-${i}@example.com`,
  template: 'reserved',
  subject: `Order OF-${prefix}-${i} confirmed`,
  body: `Your items for order OF-${prefix}-${i} are set aside for you.`,
  dedupeKey: `${prefix}:${i}`,
  ...overrides,
});

async function settled(prefix: string, timeoutMs = 15_000) {
  const db = test.database.db;
  return waitFor(
    async () => {
      const rows = await db.select().from(notifications).where(like(notifications.dedupeKey, `${prefix}:%`));
      return rows.every((r) => r.status !== 'pending' && r.status !== 'sending') ? rows : undefined;
    },
    { timeoutMs, message: `the ${prefix} notices to be settled` },
  );
}

async function withDispatcher<T>(options: Partial<DeliverySettings>, run: () => Promise<T>, retryBaseMs = 20): Promise<T> {
  const dispatcher = startOutboxDispatcher({ db: test.database.db, notifier: deliveryNotifier(settings(options)), intervalMs: 10, retryBaseMs });
  try {
    return await run();
  } finally {
    await dispatcher.stop();
  }
}

async function smsMessages(): Promise<SmsSandboxMessage[]> {
  const response = await fetch(`${sms.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
    headers: { authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}` },
  });
  return ((await response.json()) as { messages: SmsSandboxMessage[] }).messages;
}

describe('delivering the outbox', () => {
  it('sends e-mail by SMTP: the right recipient, subject and Message-ID, and the server’s answer kept', async () => {
    const db = test.database.db;
    const rows = await db
      .insert(notifications)
      .values([notice('smtp', 1), notice('smtp', 2, { recipient: 'operators', template: 'stock_alert', subject: 'Low stock: TEA at BER-1' })])
      .returning();
    const done = await withDispatcher({}, () => settled('smtp'));
    expect(done.map((r) => r.status)).toEqual(['sent', 'sent']);

    const toCustomer = smtp.received.find((m) => m.to.includes('smtp-1@example.com'));
    expect(toCustomer).toMatchObject({ from: 'no-reply@orderflow.test', subject: 'Order OF-smtp-1 confirmed' });
    expect(toCustomer!.messageId).toBe(`<notice-${rows[0]!.id}@orderflow.test>`);
    expect(toCustomer!.raw).toContain('Your items for order OF-smtp-1 are set aside for you.');
    // The internal operators recipient goes to OPERATOR_EMAIL.
    expect(smtp.received.find((m) => m.subject === 'Low stock: TEA at BER-1')?.to).toEqual(['desk@orderflow.test']);

    const sent = done.find((r) => r.id === rows[0]!.id)!;
    expect(sent.providerMessageId).toMatch(new RegExp(`^<notice-${sent.id}@orderflow.test> 250 `));
    expect(sent.sentAt).not.toBeNull();
    expect(sent.lastError).toBeNull();
  });

  it('retries a recipient the SMTP server refuses, then leaves it failed with the server’s reason', async () => {
    const db = test.database.db;
    smtp.refuse.add('refused-1@example.com');
    const [row] = await db.insert(notifications).values(notice('refused', 1)).returning();
    const [failed] = await withDispatcher({}, () => settled('refused'));
    expect(failed).toMatchObject({ id: row!.id, status: 'failed', attempts: MAX_SEND_ATTEMPTS, sentAt: null, providerMessageId: null });
    expect(failed!.lastError).toMatch(/550.*mailbox unavailable/);
    expect(smtp.refusals.filter((a) => a === 'refused-1@example.com')).toHaveLength(MAX_SEND_ATTEMPTS);
    expect(smtp.received.some((m) => m.to.includes('refused-1@example.com'))).toBe(false);
  });

  it('retries an unreachable SMTP server and records why', async () => {
    const db = test.database.db;
    await db.insert(notifications).values(notice('unreachable', 1));
    // A port nothing listens on: the connection is refused at once.
    const [failed] = await withDispatcher({ smtpUrl: 'smtp://127.0.0.1:1' }, () => settled('unreachable'), 5);
    expect(failed).toMatchObject({ status: 'failed', attempts: MAX_SEND_ATTEMPTS });
    expect(failed!.lastError).toMatch(/ECONNREFUSED/);
  });

  it('without SMTP_URL writes each e-mail as an .eml file a person can open', async () => {
    const db = test.database.db;
    const [row] = await db.insert(notifications).values(notice('eml', 1)).returning();
    const [sent] = await withDispatcher({ smtpUrl: undefined }, () => settled('eml'));
    const name = `${String(row!.id).padStart(8, '0')}.eml`;
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: `file:${name}` });
    const eml = fs.readFileSync(path.join(dataDir, 'mail', name), 'utf8');
    expect(eml).toContain('To: eml-1@example.com');
    expect(eml).toContain('Subject: Order OF-eml-1 confirmed');
    expect(eml).toContain(`Message-ID: <notice-${row!.id}@orderflow.test>`);
    expect(eml).toContain('Your items for order OF-eml-1 are set aside for you.');
    expect(fs.readdirSync(path.join(dataDir, 'mail')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('sends SMS through the Twilio-shaped sandbox, keeping its message sid; an invalid number fails with its reason', async () => {
    const db = test.database.db;
    const [ok] = await db
      .insert(notifications)
      .values([notice('sms', 1, { channel: 'sms', recipient: '+49 30 1234567', body: 'Order OF-sms-1 is out for delivery.' }), notice('sms', 2, { channel: 'sms', recipient: INVALID_SANDBOX_NUMBER })])
      .returning();
    const done = await withDispatcher({}, () => settled('sms'), 5);
    const sent = done.find((r) => r.id === ok!.id)!;
    expect(sent.status).toBe('sent');
    const arrived = (await smsMessages()).filter((m) => m.to === '+49 30 1234567');
    expect(arrived).toHaveLength(1);
    expect(arrived[0]).toMatchObject({ sid: sent.providerMessageId, from: '+15005550006', body: 'Order OF-sms-1 is out for delivery.', idempotency_key: `orderflow-notice-${sent.id}` });

    const invalid = done.find((r) => r.id !== ok!.id)!;
    expect(invalid).toMatchObject({ status: 'failed', attempts: MAX_SEND_ATTEMPTS });
    expect(invalid.lastError).toMatch(/SMS provider answered 400: .*not a valid phone number/);
  });

  it('marks a channel without a provider skipped with the reason, never sent', async () => {
    const db = test.database.db;
    await db.insert(notifications).values(notice('skip', 1, { channel: 'webhook', recipient: 'carrier:swiftship' }));
    const before = smtp.received.length;
    const [skipped] = await withDispatcher({}, () => settled('skip'));
    expect(skipped).toMatchObject({ status: 'skipped', sentAt: null, skipReason: 'no provider delivers the webhook channel; logged only' });
    expect(smtp.received.length).toBe(before);
  });

  it('sends each notice once with three dispatchers at work, and takes over a claim whose dispatcher died', async () => {
    const db = test.database.db;
    const rows = await db
      .insert(notifications)
      .values(Array.from({ length: 30 }, (_, i) => notice('race', i)))
      .returning();
    // Claimed by a dispatcher that crashed mid-send (lease over), and one still at work.
    await db.update(notifications).set({ status: 'sending', claimedUntil: sql`now() - interval '1 second'` }).where(eq(notifications.id, rows[0]!.id));
    await db.update(notifications).set({ status: 'sending', claimedUntil: sql`now() + interval '1 hour'` }).where(eq(notifications.id, rows[1]!.id));

    const dispatchers = Array.from({ length: 3 }, () =>
      startOutboxDispatcher({ db, notifier: deliveryNotifier(settings()), intervalMs: 10, batch: 4 }),
    );
    try {
      await waitFor(
        async () => {
          const [n] = await db
            .select({ n: sql<number>`count(*)::int` })
            .from(notifications)
            .where(and(like(notifications.dedupeKey, 'race:%'), eq(notifications.status, 'sent')));
          return n!.n === 29;
        },
        { timeoutMs: 15_000, message: '29 notices to be sent' },
      );
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop()));
    }
    const ids = new Set(rows.map((r) => `<notice-${r.id}@orderflow.test>`));
    const arrived = smtp.received.filter((m) => ids.has(m.messageId)).map((m) => m.messageId);
    expect(arrived).toHaveLength(29);
    expect(new Set(arrived).size).toBe(29);
    // The live claim is left to its dispatcher.
    const [held] = await db.select().from(notifications).where(inArray(notifications.id, [rows[1]!.id]));
    expect(held!.status).toBe('sending');
    expect(arrived).not.toContain(`<notice-${rows[1]!.id}@orderflow.test>`);
  });
});
