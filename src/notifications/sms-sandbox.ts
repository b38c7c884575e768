import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

// A stand-in SMS provider speaking the shape of Twilio's Messages API, so the outbox
// sends real HTTP requests in development and tests and a person can read what a
// customer would have received: one JSON file per message under `<data dir>/sms/`.
//
//   POST {url}/2010-04-01/Accounts/{sid}/Messages.json   To, From, Body (form-encoded), basic auth
//   GET  {url}/2010-04-01/Accounts/{sid}/Messages.json   { messages: [...] }, newest last
//
// Like Twilio's test credentials, `To` +15005550001 is refused as an invalid number.
// A repeated Idempotency-Key answers the message already stored instead of a second one.

export const SANDBOX_SMS_ACCOUNT_SID = 'ACorderflowsandbox';
export const SANDBOX_SMS_AUTH_TOKEN = 'orderflow-sms-sandbox-token';
export const INVALID_SANDBOX_NUMBER = '+15005550001';

export interface SmsSandboxMessage {
  sid: string;
  account_sid: string;
  to: string;
  from: string;
  body: string;
  status: 'queued';
  date_created: string;
  idempotency_key: string | null;
}

export interface SmsSandbox {
  url: string;
  close(): Promise<void>;
}

const PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

export async function startSmsSandbox(options: { dir: string; port?: number; host?: string; accountSid: string; authToken: string }): Promise<SmsSandbox> {
  const { dir, accountSid, authToken } = options;
  await fs.mkdir(dir, { recursive: true });
  const expected = Buffer.from(`Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`);
  const byKey = new Map<string, SmsSandboxMessage>();

  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: http.ServerResponse, status: number, code: number, message: string) => answer(res, status, { code, message, status });

  async function list(): Promise<SmsSandboxMessage[]> {
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    return Promise.all(names.map(async (n) => JSON.parse(await fs.readFile(path.join(dir, n), 'utf8')) as SmsSandboxMessage));
  }

  // Remembered across restarts, as a provider would.
  for (const m of await list()) if (m.idempotency_key) byKey.set(m.idempotency_key, m);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const match = PATH.exec(new URL(req.url ?? '/', 'http://sandbox').pathname);
    if (!match) return refuse(res, 404, 20404, 'The requested resource was not found');
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (decodeURIComponent(match[1]!) !== accountSid || auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      return refuse(res, 401, 20003, 'Authenticate');
    }
    if (req.method === 'GET') return answer(res, 200, { messages: await list() });
    if (req.method !== 'POST') return refuse(res, 405, 20004, 'Method not allowed');

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const [to, from, body] = [form.get('To'), form.get('From'), form.get('Body')];
    if (!to || !from || !body) return refuse(res, 400, 21604, "A 'To', 'From' and 'Body' are required");
    if (to.replace(/[^+0-9]/g, '') === INVALID_SANDBOX_NUMBER) return refuse(res, 400, 21211, `The 'To' number is not a valid phone number`);

    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    const earlier = key ? byKey.get(key) : undefined;
    if (earlier) return answer(res, 201, earlier);
    const message: SmsSandboxMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      account_sid: accountSid,
      to,
      from,
      body,
      status: 'queued',
      date_created: new Date().toISOString(),
      idempotency_key: key,
    };
    if (key) byKey.set(key, message);
    // Named by time so the listing reads in the order the messages came.
    await fs.writeFile(path.join(dir, `${Date.now().toString().padStart(15, '0')}-${message.sid}.json`), JSON.stringify(message, null, 2));
    answer(res, 201, message);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => refuse(res, 500, 20500, 'Internal sandbox error'));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
