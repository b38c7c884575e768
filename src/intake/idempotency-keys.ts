import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { idempotencyKeys } from '../db/schema';

// Binds an Idempotency-Key to the order it creates. With an externalId the order's id
// comes from the externalId, so only this record can tell that a key was reused for an
// order with another externalId.

export interface KeyClaim {
  /** Whose key it is: the caller's API key id. */
  scope: string;
  key: string;
  orderId: string;
  fingerprint: string;
}

export type ClaimResult =
  | { bound: true; claimedNow: boolean }
  /** The key already belongs to another request (another order, or other content). */
  | { bound: false; orderId: string };

/** Binds the key to this request; `claimedNow` is false when an earlier identical request bound it. */
export async function claimIdempotencyKey(db: Db, claim: KeyClaim): Promise<ClaimResult> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({ scope: claim.scope, key: claim.key, orderId: claim.orderId, requestFingerprint: claim.fingerprint })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  const [bound] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.key, claim.key)));
  if (bound && (bound.orderId !== claim.orderId || bound.requestFingerprint !== claim.fingerprint)) {
    return { bound: false, orderId: bound.orderId };
  }
  return { bound: true, claimedNow: inserted.length > 0 };
}

/** Frees a key this request bound, so a refused request leaves no trace. */
export async function releaseIdempotencyKey(db: Db, claim: KeyClaim): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, claim.scope),
        eq(idempotencyKeys.key, claim.key),
        eq(idempotencyKeys.orderId, claim.orderId),
        eq(idempotencyKeys.requestFingerprint, claim.fingerprint),
      ),
    );
}
