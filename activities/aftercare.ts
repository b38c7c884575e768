import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { agreements, discrepancies, settlements, shipments } from '../src/db/schema';
import type { AftercareStatus } from '../workflows/order/messages';
import { goodsOf, paidFor } from './delivery-goods';
import { postJournal } from './ledger';
import { applyTransitions, lockOrder, type Transition } from './order-status';
import { postCarrierCharges } from './settlement';

// SETTLEMENT AFTERCARE on the orders queue (R6.8): how finance's reship / return stands,
// written on the discrepancy (`resolution.carriedOut`, merged, so the starter's ids and
// the order's progress never overwrite each other), with the order's status change.
//
// A reship done journals what went out again, once (journal `reship:{discrepancyId}`,
// kind `write_off`, to the discrepancy's settlement and counterparty):
//   debit  reship_expense   the re-shipped goods at what the customer paid for them
//   credit inventory
// and the new shipments' carrier charges (kind `carrier_charge`, per shipment, as SETTLE does).

/** Merges `fields` into the discrepancy's `resolution.carriedOut`. */
export async function mergeCarriedOut(tx: Db | Tx, discrepancyId: string, fields: Record<string, unknown>, keep: Record<string, unknown> = {}): Promise<void> {
  const now = new Date().toISOString();
  await tx
    .update(discrepancies)
    .set({
      resolution: sql`jsonb_set(coalesce(${discrepancies.resolution}, '{}'::jsonb), '{carriedOut}',
        ${JSON.stringify(keep)}::jsonb || coalesce(${discrepancies.resolution}->'carriedOut', '{}'::jsonb) || ${JSON.stringify({ ...fields, updatedAt: now })}::jsonb)`,
      updatedAt: new Date(),
    })
    .where(eq(discrepancies.id, discrepancyId));
}

export function createAftercareActivities(db: Db) {
  return {
    async recordAftercare(input: {
      orderId: string;
      discrepancyId: string;
      kind: 'reship' | 'return';
      progress: { status: AftercareStatus; shipmentIds?: string[]; returnBy?: string; outcome?: Record<string, unknown> };
      transitions: Transition[];
    }): Promise<{ reshipCost?: { amount: number; currency: string } }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        let reshipCost: { amount: number; currency: string } | undefined;
        if (input.kind === 'reship' && input.progress.status === 'done') {
          const [found] = await tx
            .select({ settlementId: settlements.id, counterpartyKind: agreements.counterpartyKind, counterpartyId: agreements.counterpartyId })
            .from(discrepancies)
            .innerJoin(settlements, eq(settlements.id, discrepancies.settlementId))
            .innerJoin(agreements, eq(agreements.id, settlements.agreementId))
            .where(eq(discrepancies.id, input.discrepancyId));
          const sent = await tx.select().from(shipments).where(and(eq(shipments.orderId, order.id), eq(shipments.replacesIncidentId, input.discrepancyId)));
          const goods = (await Promise.all(sent.map((s) => goodsOf(tx, order.id, s)))).flat().filter((g) => g.status !== 'released');
          const amount = await paidFor(tx, order.id, goods);
          reshipCost = { amount, currency: order.currency };
          if (amount > 0) {
            await postJournal(
              tx,
              order.id,
              {
                journalId: `reship:${input.discrepancyId}`,
                memo: `Order ${order.number}: re-shipped for settlement ${found?.settlementId ?? '?'} (discrepancy ${input.discrepancyId})`.slice(0, 500),
                currency: order.currency,
                lines: [
                  { account: 'reship_expense', side: 'debit', amount },
                  { account: 'inventory', side: 'credit', amount },
                ],
              },
              'write_off',
              found
                ? { counterparty: { kind: found.counterpartyKind, id: found.counterpartyId }, settlementId: found.settlementId, incidentId: input.discrepancyId }
                : { incidentId: input.discrepancyId },
            );
          }
          await postCarrierCharges(tx, order);
        }
        await mergeCarriedOut(tx, input.discrepancyId, {
          kind: input.kind,
          ...input.progress,
          ...(reshipCost ? { reshipCost } : {}),
          ...(input.progress.status === 'done' || input.progress.status === 'failed' || input.progress.status === 'lapsed' ? { finishedAt: new Date().toISOString() } : {}),
        });
        await applyTransitions(tx, order, input.transitions);
        return reshipCost ? { reshipCost } : {};
      });
    },
  };
}
