import { createHmac, timingSafeEqual } from 'node:crypto';

// Carrier webhooks are signed the way most payment and logistics APIs do it: an HMAC over
// "<timestamp>.<raw body>", so neither the body nor the time can be changed alone, and an
// old request captured on the wire cannot be replayed once it leaves the tolerance window.

export const SIGNATURE_HEADER = 'Carrier-Signature';

export type RawBody = string | Uint8Array;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export interface VerifyOptions {
  /** The receiver's clock, for tests; defaults to now. */
  nowSeconds?: number;
  /** How far the signed time may be from the receiver's clock, either way. */
  toleranceSeconds?: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

function hmac(secret: string, timestamp: number, rawBody: RawBody): Buffer {
  return createHmac('sha256', secret)
    .update(`${timestamp}.`)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest();
}

/** The `Carrier-Signature` header value for a body about to be sent. */
export function signWebhook(secret: string, rawBody: RawBody, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${nowSeconds},v1=${hmac(secret, nowSeconds, rawBody).toString('hex')}`;
}

/**
 * Checks a received body against its `Carrier-Signature` header. Several `v1` entries are
 * allowed (a sender rotating secrets signs with both); one match is enough.
 */
export function verifyWebhook(
  secret: string,
  rawBody: RawBody,
  header: string | undefined,
  { nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300 }: VerifyOptions = {},
): VerifyResult {
  if (header === undefined || header.trim() === '') return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };

  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header` };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !UNIX_SECONDS.test(value)) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} timestamp` };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} v1 signature` };
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Unknown keys are ignored so that a sender can add a newer scheme alongside v1.
  }
  if (timestamp === undefined) return { ok: false, reason: `${SIGNATURE_HEADER} header has no timestamp` };
  if (signatures.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} header has no v1 signature` };

  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, reason: `signature timestamp is outside the ${toleranceSeconds}s tolerance` };
  }

  const expected = hmac(secret, timestamp, rawBody);
  // Compare against every candidate without an early exit, so timing says nothing about which matched.
  let matched = false;
  for (const candidate of signatures) matched = timingSafeEqual(candidate, expected) || matched;
  return matched ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/**
 * Where each carrier's webhook secret comes from: an explicit secret per carrier (real
 * carriers: each agrees its own), or else one derived per carrier from a base secret (the
 * sandbox), so that no carrier can sign another carrier's events.
 */
export interface CarrierWebhookSecrets {
  perCarrier?: Readonly<Record<string, string>>;
  base?: string;
}

/** A carrier's own secret from a base secret: HMAC, so knowing one tells nothing of another. */
export function deriveCarrierSecret(base: string, carrier: string): string {
  return createHmac('sha256', base).update(`carrier-webhook:${carrier}`).digest('hex');
}

/** The secret a carrier's webhooks are signed with, or undefined when that carrier has none. */
export function carrierWebhookSecret(secrets: CarrierWebhookSecrets, carrier: string): string | undefined {
  if (secrets.perCarrier) return Object.hasOwn(secrets.perCarrier, carrier) ? secrets.perCarrier[carrier] : undefined;
  return secrets.base === undefined ? undefined : deriveCarrierSecret(secrets.base, carrier);
}
