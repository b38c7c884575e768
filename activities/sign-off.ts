import { eq } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { signOffs } from '../src/db/schema';
import type { SignOffProof } from '../src/domain/sign-off';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// SIGN-OFF (R5.2, R5.3): the recipient's confirmation, or — when they never sign
// within the window — the carrier's proof of delivery stands in for it.

export function createSignOffActivities(db: Db) {
  return {
    async recordSignOff(input: {
      orderId: string;
      method: 'customer' | 'carrier_proof_of_delivery';
      proof?: SignOffProof;
      credentialHint?: string;
      transitions: Transition[];
    }): Promise<{ signedAt: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        await tx
          .insert(signOffs)
          .values({
            orderId: order.id,
            method: input.method,
            recipientName: input.proof?.recipientName ?? null,
            credentialType: input.proof?.credential.type ?? null,
            credentialHint: input.credentialHint ?? null,
            packagingIntact: input.proof?.packagingIntact ?? null,
            quantitiesMatch: input.proof?.quantitiesMatch ?? null,
          })
          .onConflictDoNothing();
        const [row] = await tx.select({ signedAt: signOffs.signedAt }).from(signOffs).where(eq(signOffs.orderId, order.id));
        await applyTransitions(tx, order, input.transitions);
        return { signedAt: row!.signedAt.toISOString() };
      });
    },
  };
}
