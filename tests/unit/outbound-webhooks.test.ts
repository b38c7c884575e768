import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/webhooks/dispatcher';
import { webhookEventsFor, type OrderEventRow } from '../../src/webhooks/events';
import { openSecret, sealSecret } from '../../src/webhooks/secret-box';
import { newSigningSecret, sign, signedHeaders, verify } from '../../src/webhooks/signature';

// Outbound webhooks are signed as Standard Webhooks prescribes, so an integrator can use
// any of its libraries. What must hold: the spec libraries' test vector; whatever we sign
// verifies; any change to id, timestamp, body or signature is refused.

describe('Standard Webhooks signature', () => {
  it("matches the test vector of the Standard Webhooks reference libraries", () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    expect(sign(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(verify(secret, { id, timestamp: String(timestamp), signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, body, { now: new Date(timestamp * 1000) })).toEqual({ ok: true });
  });

  it('makes secrets of the whsec_ form with at least 24 random bytes', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(newSigningSecret()).not.toBe(secret);
  });

  const headersOf = (h: Record<string, string>) => ({ id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] });

  it('accepts what it signs and refuses any change to it', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
        fc.nat({ max: 199 }),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('id', 'timestamp', 'body', 'signature', 'secret'),
        (body, id, at, flip, what) => {
          const secret = newSigningSecret();
          const headers = headersOf(signedHeaders(secret, id, body, now));
          expect(verify(secret, headers, body, { now })).toEqual({ ok: true });
          let changed = { secret, headers: { ...headers }, body };
          if (what === 'body') {
            const chars = [...body];
            changed.body = body.length === 0 ? 'x' : chars.map((c, i) => (i === at % chars.length ? String.fromCodePoint((c.codePointAt(0)! + 1) % 0xd800) : c)).join('');
          } else if (what === 'id') changed.headers.id = `${id}x`;
          else if (what === 'timestamp') changed.headers.timestamp = String(Number(headers.timestamp) + 1 + (at % 100));
          else if (what === 'secret') changed = { ...changed, secret: newSigningSecret() };
          else {
            const mac = Buffer.from(headers.signature!.slice(3), 'base64');
            mac[at % mac.length]! ^= flip;
            changed.headers.signature = `v1,${mac.toString('base64')}`;
          }
          expect(verify(changed.secret, changed.headers, changed.body, { now }).ok).toBe(false);
        },
      ),
    );
  });

  it('refuses an old timestamp even when the signature is good, and accepts one good signature among several', () => {
    const secret = newSigningSecret();
    const signedAt = new Date('2026-12-01T12:00:00Z');
    const headers = headersOf(signedHeaders(secret, 'msg_1', '{}', signedAt));
    expect(verify(secret, headers, '{}', { now: new Date(signedAt.getTime() + 301_000) }).ok).toBe(false);
    const rotated = { ...headers, signature: `v1,${Buffer.alloc(32).toString('base64')} ${headers.signature}` };
    expect(verify(secret, rotated, '{}', { now: signedAt })).toEqual({ ok: true });
  });
});

describe('sealed webhook secrets', () => {
  const key = (id: string) => ({ id, key: randomBytes(32) });

  it('opens with any key that sealed it, and not without', () => {
    const [k1, k2] = [key('a'), key('b')];
    const secret = newSigningSecret();
    const sealed = sealSecret([k1], secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(openSecret([k2, k1], sealed)).toBe(secret);
    expect(() => openSecret([k2], sealed)).toThrow();
    expect(() => openSecret([{ id: 'a', key: randomBytes(32) }], sealed)).toThrow();
  });
});

describe('webhook events of an order event', () => {
  const row = (status: string, detail: Record<string, unknown> = {}): OrderEventRow => ({
    id: 7,
    orderId: '00000000-0000-4000-8000-000000000001',
    orderNumber: 'OF-2026-000001',
    version: 3,
    status,
    stage: 'settle',
    detail,
    at: new Date('2026-12-01T12:00:00Z'),
  });

  it('announces every status change, and the final ones and incidents by name, with no personal detail', () => {
    expect(webhookEventsFor(row('planned')).map((e) => e.type)).toEqual(['order.status_changed']);
    expect(webhookEventsFor(row('completed')).map((e) => e.type)).toEqual(['order.status_changed', 'order.completed']);
    expect(webhookEventsFor(row('cancelled', { reason: 'Jane Doe, jane@example.test' })).map((e) => e.type)).toEqual(['order.status_changed', 'order.cancelled']);
    const incident = webhookEventsFor(row('delivery_exception', { incidentId: 'i-1', kind: 'damaged', note: 'call +49 30 1234' }));
    expect(incident.map((e) => e.type)).toEqual(['order.status_changed', 'incident.opened']);
    expect(incident[1]!.body.data).toEqual({ incidentId: 'i-1', kind: 'damaged', orderId: row('x').orderId, orderNumber: 'OF-2026-000001', at: '2026-12-01T12:00:00.000Z' });
    // Detail (which may quote a person) never travels.
    for (const e of [...webhookEventsFor(row('cancelled', { reason: 'Jane Doe, jane@example.test' })), ...incident]) {
      expect(JSON.stringify(e.body)).not.toMatch(/Jane|jane@|\+49/);
    }
  });
});

describe('retry back-off', () => {
  it('doubles from the base up to the cap', () => {
    const s = { retryBaseMs: 100, retryCapMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(s, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});
