import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { discrepancies } from '../db/schema';

// What GET /v1/orders/{id} shows of settlement aftercare (R6.8): finance's reship / return
// decisions on the order's discrepancies, and how carrying each out stands. Read only for
// an order whose timeline shows one, so the hot read of every other order pays nothing.

export async function aftercareOfOrder(db: Db, orderId: string) {
  const rows = await db
    .select()
    .from(discrepancies)
    .where(and(eq(discrepancies.orderId, orderId), eq(discrepancies.status, 'resolved')))
    .orderBy(asc(discrepancies.updatedAt), asc(discrepancies.id));
  return rows
    .filter((d) => d.resolution?.action === 'reship' || d.resolution?.action === 'return')
    .map((d) => ({
      discrepancyId: d.id,
      settlementId: d.settlementId,
      kind: d.resolution!.action,
      note: d.resolution!.note,
      decidedAt: d.resolution!.decidedAt,
      carriedOut: d.resolution!.carriedOut ?? null,
    }));
}

/** Whether an order's timeline shows an aftercare step (detail.aftercare). */
export const showsAftercare = (events: readonly { detail: unknown }[]) =>
  events.some((e) => typeof e.detail === 'object' && e.detail !== null && 'aftercare' in e.detail);
