import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { OrderDraft } from '../domain/order';

// Which order a request means, and whether two requests say the same thing. Order ids
// are derived, not stored, so every replica of the API (and every channel adapter)
// maps a repeat to the same workflow id without asking anyone.

const ORDER_ID_NAMESPACE = '5b0f3c1e-8d2a-4f6b-9c1d-0e7a4b2c9f10';

/**
 * The same external id (per channel and partner), or the same idempotency key (per
 * caller), is the same order. Two partners of one channel may number their orders alike.
 */
export function orderIdFor(
  draft: Pick<OrderDraft, 'externalId' | 'channel' | 'partner'>,
  idempotencyKey: string | undefined,
  callerKeyId: string,
): string {
  if (draft.externalId) {
    const name = draft.partner === undefined ? `external:${draft.channel}:${draft.externalId}` : `external:${draft.channel}:${draft.partner}:${draft.externalId}`;
    return uuidv5(name, ORDER_ID_NAMESPACE);
  }
  if (idempotencyKey) return uuidv5(`idempotency:${callerKeyId}:${idempotencyKey}`, ORDER_ID_NAMESPACE);
  return randomUUID();
}

/** A stable hash of a JSON value: object keys sorted, so key order does not matter. */
export function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([, x]) => x !== undefined)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
