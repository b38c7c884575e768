import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { notifications } from '../../src/db/schema';
import { SANDBOX_SMS_ACCOUNT_SID, SANDBOX_SMS_AUTH_TOKEN, type SmsSandboxMessage } from '../../src/notifications/sms-sandbox';
import { sampleOrder } from '../helpers/orders';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Customers hear from us (issue 10, R1.6): an order placed through the API is announced
// by e-mail over SMTP (a real SMTP server started here, SMTP_URL) and, for a customer
// with only a phone, by SMS through the service's own Twilio-shaped sandbox.

let stack: TestStack;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startTestStack({ SMTP_URL: smtp.url, OPERATOR_EMAIL: 'desk@orderflow.test' });
  await seedDemoCatalogue(stack.db);
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

async function place(customer: Record<string, unknown>) {
  const order = sampleOrder();
  const { status, body } = await stack.api('POST', '/v1/orders', {
    body: { ...order, externalId: `notify-${randomUUID()}`, customer: { ...order.customer, ...customer } },
  });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return body as { id: string; number: string };
}

describe('notices of an order', () => {
  it('arrive by SMTP at the customer’s address with the status in the subject, marked sent with the server’s answer', async () => {
    const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
    const order = await place({ email, phone: undefined });
    const mails = await waitFor(
      () => {
        const mine = smtp.received.filter((m) => m.to.includes(email));
        return mine.some((m) => m.subject === `Order ${order.number} confirmed`) ? mine : undefined;
      },
      { timeoutMs: 20_000, message: `the confirmation of ${order.number} to arrive by SMTP` },
    );
    expect(mails.map((m) => m.subject)).toContain(`We have your order ${order.number}`);
    expect(mails.every((m) => m.from === 'no-reply@orderflow.local')).toBe(true);

    const rows = await waitFor(
      async () => {
        const r = await stack.db.select().from(notifications).where(eq(notifications.orderId, order.id));
        return r.length > 0 && r.every((n) => n.status === 'sent') ? r : undefined;
      },
      { message: 'the order’s notices to be marked sent' },
    );
    // Sent means the server said 250: whatever is marked sent has arrived (the order may move on meanwhile).
    const arrived = smtp.received.filter((m) => m.to.includes(email));
    for (const row of rows) {
      const mail = arrived.find((m) => m.messageId === `<notice-${row.id}@orderflow.local>`);
      expect(mail?.subject).toBe(row.subject);
      expect(row.providerMessageId).toContain(' 250 ');
    }
    // Each notice once: no Message-ID arrived twice.
    expect(new Set(arrived.map((m) => m.messageId)).size).toBe(arrived.length);
    // Nothing was written as .eml while an SMTP server is configured.
    expect(fs.existsSync(path.join(stack.config.dataDir, 'mail'))).toBe(false);
  });

  it('arrive by SMS through the sandbox provider for a customer with only a phone', async () => {
    const phone = `+49 30 ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const order = await place({ email: undefined, phone });
    const url = `${stack.running.smsSandboxUrl!}/2010-04-01/Accounts/${SANDBOX_SMS_ACCOUNT_SID}/Messages.json`;
    const authorization = `Basic ${Buffer.from(`${SANDBOX_SMS_ACCOUNT_SID}:${SANDBOX_SMS_AUTH_TOKEN}`).toString('base64')}`;
    const texts = await waitFor(
      async () => {
        const { messages } = (await (await fetch(url, { headers: { authorization } })).json()) as { messages: SmsSandboxMessage[] };
        const mine = messages.filter((m) => m.to === phone);
        return mine.some((m) => m.body.includes(`Your items for order ${order.number}`)) ? mine : undefined;
      },
      { timeoutMs: 20_000, message: `the SMS confirmation of ${order.number}` },
    );
    expect(texts.every((m) => m.from === '+15005550006')).toBe(true);
    const sms = await waitFor(
      async () => {
        const r = await stack.db.select().from(notifications).where(eq(notifications.orderId, order.id));
        return r.find((n) => n.channel === 'sms' && n.status === 'sent');
      },
      { message: 'an SMS notice marked sent' },
    );
    expect(texts.map((m) => m.sid)).toContain(sms.providerMessageId);
    // The sandbox keeps each message as a file a person can read.
    expect(fs.readdirSync(path.join(stack.config.dataDir, 'sms')).length).toBeGreaterThanOrEqual(texts.length);
  });
});
