import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../src/carriers/webhook-signature';

const secret = 'orderflow-test-webhook-secret';
const body = JSON.stringify({ eventId: 'SWS000000000001-01', status: 'label_created' });
const now = 1_800_000_000;

describe('webhook signature', () => {
  it('verifies what it signed', () => {
    const header = signWebhook(secret, body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now })).toEqual({ ok: true });
    expect(verifyWebhook(secret, Buffer.from(body), header, { nowSeconds: now + 299 })).toEqual({ ok: true });
  });

  it('uses the current time by default', () => {
    expect(verifyWebhook(secret, body, signWebhook(secret, body))).toEqual({ ok: true });
  });

  it('rejects a tampered body', () => {
    const header = signWebhook(secret, body, now);
    const result = verifyWebhook(secret, body.replace('label_created', 'delivered'), header, { nowSeconds: now });
    expect(result).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('rejects a signature made with another secret', () => {
    const header = signWebhook('someone-elses-secret-value', body, now);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now }).ok).toBe(false);
  });

  it('rejects a re-signed timestamp that does not match the signature', () => {
    const header = signWebhook(secret, body, now).replace(`t=${now}`, `t=${now + 10}`);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now }).ok).toBe(false);
  });

  it.each([undefined, '', '   '])('rejects a missing header (%j)', (header) => {
    const result = verifyWebhook(secret, body, header, { nowSeconds: now });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('missing') });
  });

  it.each([
    'garbage',
    'v1=abc',
    `t=${now}`,
    `t=${now},v1=nothex`,
    `t=soon,v1=${'a'.repeat(64)}`,
    `t=${now},t=${now},v1=${'a'.repeat(64)}`,
    `t=${now},v1=${'a'.repeat(63)}`,
    `=x,t=${now}`,
  ])('rejects the malformed header %j', (header) => {
    expect(verifyWebhook(secret, body, header, { nowSeconds: now }).ok).toBe(false);
  });

  it('rejects stale and far-future timestamps (replays)', () => {
    const header = signWebhook(secret, body, now);
    const stale = verifyWebhook(secret, body, header, { nowSeconds: now + 301 });
    expect(stale).toEqual({ ok: false, reason: expect.stringContaining('tolerance') });
    expect(verifyWebhook(secret, body, header, { nowSeconds: now - 301 }).ok).toBe(false);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now + 3_600, toleranceSeconds: 7_200 })).toEqual({ ok: true });
  });

  it('accepts any matching v1 while secrets rotate, and ignores unknown schemes', () => {
    const good = signWebhook(secret, body, now).split(',v1=')[1];
    const header = `t=${now},v1=${'0'.repeat(64)},v0=legacy,v1=${good}`;
    expect(verifyWebhook(secret, body, header, { nowSeconds: now })).toEqual({ ok: true });
  });
});
