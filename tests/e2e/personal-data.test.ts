import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { seedDemoCatalogue } from '../../src/db/seed';
import { codecEndpointFor, provideTemporal } from '../../src/temporal/embedded';
import { ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { failuresIn } from '../helpers/codec';
import { FEEDBACK, SIGN_OFF, sampleOrder, waitForStatus } from '../helpers/orders';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// The Temporal server stores no personal data in clear: a completed order's whole
// history, read without the key, holds none of the customer's distinctive values; the
// codec endpoint the Temporal UI calls gives them back to an operator, and to no one else.

const PERSON = {
  name: 'Zebulon Quarrington',
  email: 'zebulon.quarrington.7731@example.net',
  phone: '+49 30 98765432',
  street: 'Quittenweg 77',
};

let stack: TestStack;
let payloads: Payload[];
let rawText: string;
let workflowId: string;
const UI_TOKEN = randomBytes(24).toString('base64url');

/** Every string in the history, bytes as UTF-8 and as base64: what anyone reading it could see. */
function readableText(value: unknown, out: string[] = [], skip?: (key: string) => boolean): string[] {
  if (value instanceof Uint8Array) {
    out.push(Buffer.from(value).toString('utf8'), Buffer.from(value).toString('base64'));
  } else if (typeof value === 'string') {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) readableText(v, out, skip);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (!skip?.(k)) readableText(v, out, skip);
  }
  return out;
}

/** The payloads in the history (search attributes aside: codecs do not touch those). */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(value)) for (const v of value) payloadsIn(v, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && record.metadata !== null && typeof record.metadata === 'object') out.push(record as Payload);
    else for (const [k, v] of Object.entries(record)) if (k !== 'searchAttributes') payloadsIn(v, out);
  }
  return out;
}

const wire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

beforeAll(async () => {
  stack = await startTestStack({}, { uiCodecToken: UI_TOKEN });
  await seedDemoCatalogue(stack.db);
  const order = sampleOrder({
    customer: {
      name: PERSON.name,
      email: PERSON.email,
      phone: PERSON.phone,
      address: { line1: PERSON.street, city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
    },
  });
  const created = await stack.api('POST', '/v1/orders', { body: order });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.id;
  const delivered = await waitForStatus(stack, id, 'delivered');
  expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: { ...SIGN_OFF(delivered.number), recipientName: PERSON.name } })).status).toBe(200);
  expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
  await waitForStatus(stack, id, 'completed');

  // A client without the codec: what the Temporal server (and anyone reading it) holds.
  const plain = new Client({ connection: stack.running.client.connection, namespace: stack.config.temporal.namespace });
  workflowId = created.body.workflowId;
  const handle = plain.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  expect(history.events?.length).toBeGreaterThan(20);
  // Search attributes and the summary too: CustomerId is opaque, the summary names no one.
  rawText = readableText(history).join('\n');
  payloads = payloadsIn(history);
}, 90_000);
afterAll(() => stack?.stop());

describe('personal data in Temporal', () => {
  it('is nowhere in the raw history of a completed order: every payload is sealed', () => {
    expect(payloads.length).toBeGreaterThan(10);
    const encodings = new Set(payloads.map((p) => Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? new Uint8Array()).toString()));
    expect([...encodings]).toEqual([ENCRYPTED_ENCODING]);
    for (const [what, value] of Object.entries(PERSON)) expect(rawText.includes(value), `${what} in clear in the history`).toBe(false);
    // The history is not simply empty of text: ids and names are there.
    expect(rawText).toContain('order');
  });

  it("the UI's codec endpoint decodes the history's payloads for an operator, and finds the customer", async () => {
    const decoded = await stack.api('POST', '/codec/decode', {
      key: TEST_KEYS.operator,
      headers: { 'x-namespace': stack.config.temporal.namespace },
      body: { payloads: payloads.map(wire) },
    });
    expect(decoded.status, JSON.stringify(decoded.body)).toBe(200);
    expect(decoded.body.payloads).toHaveLength(payloads.length);
    const clear = (decoded.body.payloads as { data: string }[]).map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
    for (const [what, value] of Object.entries(PERSON)) expect(clear.includes(value), `${what} after decoding`).toBe(true);
    const first = decoded.body.payloads[0] as { metadata: Record<string, string> };
    expect(Buffer.from(first.metadata.encoding!, 'base64').toString()).toBe('json/plain');
  });

  it('speaks the remote codec protocol as Temporal\'s own tools do: the CLI shows the history decrypted', async () => {
    const cli = inject('temporalCliPath');
    if (!cli) return; // TEMPORAL_ADDRESS runs without our CLI; the HTTP tests above still hold.
    const show = (extra: string[]) =>
      promisify(execFile)(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace'), '--output', 'json', ...extra], {
        maxBuffer: 16 * 1024 * 1024,
      });
    const decoded = await show(['--codec-endpoint', `${stack.apiUrl}/codec`, '--codec-auth', `Bearer ${TEST_KEYS.operator}`]);
    // JSON output keeps payload data in base64: read it as a person would.
    const clearText = (out: string) => [...out.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
    expect(clearText(decoded.stdout)).toContain(PERSON.name);
    expect(clearText(decoded.stdout)).toContain(PERSON.street);
    const sealed = await show([]);
    expect(clearText(sealed.stdout)).not.toContain(PERSON.name);
  });

  it("seals failure messages and stack traces too: the history says 'Encoded failure', the UI's codec endpoint gives the message back", async () => {
    // An item name the catalogue does not know, carrying the customer's name (a gift
    // engraving): verification fails, and its message quotes the name the order gave.
    const order = sampleOrder({
      customer: { name: PERSON.name, email: PERSON.email, address: { line1: PERSON.street, city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } },
      items: [{ sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1290, name: `Engraved for ${PERSON.name}` }],
    });
    const created = await stack.api('POST', '/v1/orders', { body: order });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitForStatus(stack, created.body.id, 'needs_correction');

    const plain = new Client({ connection: stack.running.client.connection, namespace: stack.config.temporal.namespace });
    const history = await plain.workflow.getHandle(created.body.workflowId).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    expect(failed.length).toBeGreaterThan(0);
    const failures = await failuresIn(failed, stack.running.codec);
    for (const f of failures) expect(f.stored).toEqual({ message: 'Encoded failure', stackTrace: '' });
    expect(readableText(history).join('\n')).not.toContain(PERSON.name);

    // What the UI does to show the failure: decode its encodedAttributes at /codec/decode.
    const sealed = failed.map((e) => e.activityTaskFailedEventAttributes!.failure!.encodedAttributes!);
    const decoded = await stack.api('POST', '/codec/decode', { key: TEST_KEYS.operator, body: { payloads: sealed.map(wire) } });
    expect(decoded.status, JSON.stringify(decoded.body)).toBe(200);
    const attrs = (decoded.body.payloads as { data: string }[]).map((p) => JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as { message: string; stack_trace: string });
    expect(attrs[0]!.message).toMatch(/^order cannot be accepted: /);
    expect(attrs[0]!.message).toContain(`Engraved for ${PERSON.name}`);
    expect(attrs[0]!.stack_trace).toMatch(/verifyOrder/);
  });

  it('encode then decode round-trips, and plain payloads pass decode untouched', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') };
    const encoded = await stack.api('POST', '/codec/encode', { key: TEST_KEYS.admin, body: { payloads: [plain] } });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const decoded = await stack.api('POST', '/codec/decode', { key: TEST_KEYS.operator, body: { payloads: [...encoded.body.payloads, plain] } });
    expect(decoded.body.payloads).toEqual([plain, plain]);
  });

  it('refuses integrators (403), callers without a key (401) and payloads it cannot open (422)', async () => {
    const body = { payloads: payloads.slice(0, 1).map(wire) };
    expect((await stack.api('POST', '/codec/decode', { key: TEST_KEYS.integrator, body })).status).toBe(403);
    expect((await stack.api('POST', '/codec/decode', { key: TEST_KEYS.finance, body })).status).toBe(403);
    expect((await stack.api('POST', '/codec/decode', { key: null, body })).status).toBe(401);
    const altered = { ...body.payloads[0]!, data: Buffer.from('tampered-tampered-tampered-tampered').toString('base64') };
    const refused = await stack.api('POST', '/codec/decode', { key: TEST_KEYS.operator, body: { payloads: [altered] } });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/failed authentication/);
    const invalid = await stack.api('POST', '/codec/decode', { key: TEST_KEYS.operator, body: { payloads: [{ data: 'not base64!' }] } });
    expect(invalid.status).toBe(422);
  });

  it("answers the UI's preflight with CORS and no key; other origins get no CORS", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.apiUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
      });
    const ui = await preflight('http://localhost:8233');
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    expect(ui.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // The POST's answer carries CORS too, refusals included, so the UI can read them.
    const refused = await stack.api('POST', '/codec/decode', { key: null, headers: { origin: 'http://127.0.0.1:8233' }, body: { payloads: [] } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  });

  it("the embedded dev server's UI is given the codec endpoint of this run, which decodes without a key; a wrong token is refused", async () => {
    const cli = inject('temporalCliPath');
    if (!cli) return; // TEMPORAL_ADDRESS runs start no embedded server.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-codec-ui-'));
    const config = loadConfig({ TEMPORAL_CLI_PATH: cli, TEMPORAL_UI_PORT: '0', ORDERFLOW_PUBLIC_URL: stack.apiUrl, ORDERFLOW_DATA_DIR: dataDir });
    const temporal = await provideTemporal(config, { log: () => undefined, persist: false, port: 0, uiCodecToken: UI_TOKEN });
    try {
      const endpoint = codecEndpointFor(config, UI_TOKEN);
      expect(endpoint).toBe(`${stack.apiUrl}/codec/ui/${UI_TOKEN}`);
      // What the UI's own server tells the browser to call.
      const settings = (await (await fetch(`${temporal.uiUrl!}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
      expect(settings.Codec?.Endpoint).toBe(endpoint);
    } finally {
      await temporal.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const body = { payloads: payloads.map(wire) };
    const decoded = await stack.api('POST', `/codec/ui/${UI_TOKEN}/decode`, { key: null, body });
    expect(decoded.status).toBe(200);
    expect((decoded.body.payloads as { data: string }[]).map((p) => Buffer.from(p.data, 'base64').toString()).join('\n')).toContain(PERSON.name);
    const wrong = await stack.api('POST', `/codec/ui/${randomBytes(24).toString('base64url')}/decode`, { key: null, body });
    expect(wrong.status).toBe(401);
  });
});
