import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { orderOwners } from '../db/schema';

// Who placed an order: the caller's key id, recorded by intake before the workflow starts
// (the order row is the workflow's to write). Integrators read only their own orders
// (src/api/tenancy.ts).

/** Records the caller as the order's owner unless it has one; answers the owner (the first claimant). */
export async function claimOrder(db: Db, orderId: string, keyId: string): Promise<string> {
  const [claimed] = await db.insert(orderOwners).values({ orderId, keyId }).onConflictDoNothing().returning({ keyId: orderOwners.keyId });
  if (claimed) return claimed.keyId;
  const [owner] = await db.select({ keyId: orderOwners.keyId }).from(orderOwners).where(eq(orderOwners.orderId, orderId));
  return owner?.keyId ?? keyId;
}
