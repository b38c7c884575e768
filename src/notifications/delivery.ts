import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Delivery, Notifier, OutgoingNotice } from './outbox-dispatcher';

// The providers behind the outbox: e-mail through SMTP (or, with no SMTP server
// configured, .eml files a person can open) and SMS through a Twilio-shaped HTTP API
// (by default the in-process sandbox of sms-sandbox.ts). Channels without a provider
// are reported skipped with the reason, never pretended sent.

export interface DeliverySettings {
  /** smtp(s)://user:pass@host:port; undefined writes .eml files to mailDir instead. */
  smtpUrl?: string;
  mailDir: string;
  /** The From of every e-mail, `Name <address>`. */
  mailFrom: string;
  /** Where notices for the internal `operators` recipient go. */
  operatorEmail: string;
  sms: { apiUrl: string; accountSid: string; authToken: string; from: string };
}

/** Internal recipients that stand for an address in the configuration. */
const OPERATORS = 'operators';

// Deliberately plain: the outbox holds what customers typed, checked at intake.
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;
const PHONE = /^\+?[0-9][0-9 ().-]{5,}$/;

// Well under the dispatcher's lease (SEND_LEASE_MS), so a slow provider is a refusal
// to retry, not a claim that runs out while the message is still on its way.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };
const SMS_TIMEOUT_MS = 15_000;

export function deliveryNotifier(settings: DeliverySettings): Notifier {
  const domain = /@([^\s>]+)>?\s*$/.exec(settings.mailFrom)?.[1] ?? 'orderflow.local';
  const smtp = settings.smtpUrl ? nodemailer.createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS }) : undefined;
  const files = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  async function email(n: OutgoingNotice, to: string): Promise<Delivery> {
    const message = {
      from: settings.mailFrom,
      to,
      subject: n.subject,
      text: n.body,
      // The notice id: a repeat after a crash carries the same Message-ID, which
      // receiving systems use to fold duplicates.
      messageId: `<notice-${n.id}@${domain}>`,
      headers: { 'X-Orderflow-Notice': String(n.id), ...(n.orderId ? { 'X-Orderflow-Order': n.orderId } : {}) },
    };
    if (smtp) {
      // Resolves only on the server's 2xx for the whole message; a 4xx/5xx rejects.
      const info = await smtp.sendMail(message);
      if (info.rejected.length > 0) throw new Error(`SMTP server rejected ${info.rejected.map(String).join(', ')}: ${info.response}`);
      return { outcome: 'sent', providerMessageId: `${info.messageId} ${info.response}`.slice(0, 500) };
    }
    const info = await files.sendMail(message);
    const name = `${String(n.id).padStart(8, '0')}.eml`;
    await fs.mkdir(settings.mailDir, { recursive: true });
    // Written whole then renamed: a repeat overwrites the same file, a reader never sees half.
    const partial = path.join(settings.mailDir, `.${name}.${randomBytes(4).toString('hex')}`);
    await fs.writeFile(partial, info.message as Buffer);
    await fs.rename(partial, path.join(settings.mailDir, name));
    return { outcome: 'sent', providerMessageId: `file:${name}` };
  }

  async function sms(n: OutgoingNotice): Promise<Delivery> {
    const { apiUrl, accountSid, authToken, from } = settings.sms;
    const url = `${apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        // The notice id again: a provider that honours it sends a repeat only once.
        'idempotency-key': `orderflow-notice-${n.id}`,
      },
      body: new URLSearchParams({ To: n.recipient, From: from, Body: n.body }),
      signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
    });
    const text = await response.text();
    let json: { sid?: unknown; message?: unknown } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // reported below with the status
    }
    if (!response.ok) {
      throw new Error(`SMS provider answered ${response.status}: ${typeof json.message === 'string' ? json.message : text.slice(0, 200)}`);
    }
    if (typeof json.sid !== 'string') throw new Error(`SMS provider answered ${response.status} without a message sid`);
    return { outcome: 'sent', providerMessageId: json.sid };
  }

  return {
    async send(n) {
      if (n.channel === 'email') {
        const to = n.recipient === OPERATORS ? settings.operatorEmail : n.recipient;
        if (!EMAIL.test(to)) return { outcome: 'skipped', reason: 'the recipient is not an e-mail address' };
        return email(n, to);
      }
      if (n.channel === 'sms') {
        if (!PHONE.test(n.recipient)) return { outcome: 'skipped', reason: 'the recipient is not a phone number' };
        return sms(n);
      }
      // Phone calls and carrier webhooks have no provider here: kept in the outbox for
      // operators to read, marked as not sent.
      return { outcome: 'skipped', reason: `no provider delivers the ${n.channel} channel; logged only` };
    },
  };
}
