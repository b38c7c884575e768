import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { HttpProblem } from '../problem';
import { route } from '../route';

// The remote codec endpoints the Temporal Web UI (and `temporal … --codec-endpoint`)
// call to show payloads in clear: POST /codec/decode and /codec/encode, each taking and
// returning `{payloads: [{metadata: {key: base64}, data: base64}]}`. Only operators (and
// admin) may decode; the browser calls cross-origin, so the UI's origin gets CORS and
// its preflight is answered without a key.
//
// The embedded dev server's UI has no login and cannot send an API key, so `npm start`
// gives it an endpoint holding a token of this process's run instead
// (/codec/ui/<token>/decode). Whoever can open that UI can already signal and cancel
// every order through it; decoding adds nothing to that. Never offered for a real Temporal.

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

const Payloads = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).default({}),
        data: base64.default(''),
      }),
    )
    .max(10_000),
});

type WirePayload = z.output<typeof Payloads>['payloads'][number];

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRoutes(deps: { codec: PayloadCodec; uiToken?: string }) {
  const uiToken = deps.uiToken ? createHash('sha256').update(deps.uiToken).digest() : undefined;
  const handle = (direction: 'encode' | 'decode', via: 'key' | 'ui-token') =>
    route({
      method: 'post',
      path: via === 'key' ? `/codec/${direction}` : `/codec/ui/:token/${direction}`,
      tag: 'operations',
      summary:
        (direction === 'decode'
          ? "Decrypt payloads for the Temporal Web UI (Temporal's remote codec protocol)"
          : "Encrypt payloads for the Temporal Web UI (Temporal's remote codec protocol)") +
        (via === 'key' ? '' : "; the embedded dev server's UI, by the token of this run"),
      access: via === 'key' ? ['operator'] : 'public',
      body: Payloads,
      responses:
        via === 'key'
          ? { 200: '{payloads}', 401: 'no or unknown API key', 403: 'not an operator', 422: `a payload that does not ${direction}` }
          : { 200: '{payloads}', 401: 'not the token of this run', 422: `a payload that does not ${direction}` },
      async handler({ res, body, params }) {
        if (via === 'ui-token') {
          const presented = createHash('sha256').update(params.token ?? '').digest();
          if (!uiToken || !timingSafeEqual(presented, uiToken)) throw new HttpProblem(401, 'Unauthorized', 'not the codec token of this run of orderflow');
        }
        let out: Payload[];
        try {
          out = await deps.codec[direction](body.payloads.map(fromWire));
        } catch (err) {
          throw new HttpProblem(422, `Cannot ${direction}`, err instanceof Error ? err.message : String(err));
        }
        res.json({ payloads: out.map(toWire) });
      },
    });
  return [
    handle('decode', 'key'),
    handle('encode', 'key'),
    ...(uiToken ? [handle('decode', 'ui-token'), handle('encode', 'ui-token')] : []),
  ];
}

/** CORS for the Temporal UI's origins on /codec; a preflight needs no key and gets only CORS. */
export function codecCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && allowed.has(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '600',
      });
    }
    res.vary('Origin');
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
