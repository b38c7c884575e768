import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { agreements, settlements } from '../src/db/schema';
import { periodBounds } from '../src/domain/settlement-period';
import type { OpenedSettlement, SettlementActivities } from '../workflows/settlement/activities';

// R6.6: the settlement run's own row — opened once per agreement and period, marked
// awaiting decisions or settled, flagged when finance is late. Matching and resolutions
// are activities/reconciliation.ts.

export const SettlementFailure = {
  /** The run names an agreement the database does not have. */
  AgreementMissing: 'AgreementMissing',
} as const;

type RunActivities = Pick<SettlementActivities, 'openSettlement' | 'recordSettlementStatus' | 'flagSettlement'>;

const asOpened = (row: typeof settlements.$inferSelect): OpenedSettlement => ({
  settlementId: row.id,
  agreementId: row.agreementId,
  period: row.period,
  periodStart: row.periodStart.toISOString(),
  periodEnd: row.periodEnd.toISOString(),
  status: row.status as OpenedSettlement['status'],
});

export function createSettlementRunActivities(db: Db): RunActivities {
  return {
    async openSettlement({ settlementId, agreementId, period }) {
      const [agreement] = await db.select().from(agreements).where(eq(agreements.id, agreementId));
      if (!agreement) {
        throw ApplicationFailure.create({
          type: SettlementFailure.AgreementMissing,
          message: `agreement ${agreementId} is not in the database`,
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const { start, end } = periodBounds(period, agreement.timeZone);
      // The id is the workflow id and (agreement, period) is unique: a re-run finds its row.
      await db
        .insert(settlements)
        .values({ id: settlementId, agreementId, period, periodStart: start, periodEnd: end, status: 'running' })
        .onConflictDoNothing();
      const [row] = await db.select().from(settlements).where(eq(settlements.id, settlementId));
      if (!row) {
        // Another id holds this agreement and period: only a hand-made row can do that.
        throw ApplicationFailure.create({
          type: 'SettlementConflict',
          message: `agreement ${agreementId} already has a settlement for ${period} under another id`,
          nonRetryable: true,
        });
      }
      return asOpened(row);
    },

    async recordSettlementStatus({ settlementId, status, summary }) {
      const now = new Date();
      const merged = sql`${settlements.summary} || ${JSON.stringify(summary)}::jsonb`;
      if (status === 'settled') {
        await db
          .update(settlements)
          .set({ status, summary: merged, settledAt: sql`coalesce(${settlements.settledAt}, ${now.toISOString()}::timestamptz)`, updatedAt: now })
          .where(eq(settlements.id, settlementId));
      } else {
        // A settled run never goes back to waiting.
        await db
          .update(settlements)
          .set({ status, summary: merged, updatedAt: now })
          .where(and(eq(settlements.id, settlementId), ne(settlements.status, 'settled')));
      }
    },

    async flagSettlement({ settlementId, reason }) {
      const now = new Date();
      const flag = { needsAttention: { reason, since: now.toISOString() } };
      // The first flag's time stands: a retried activity does not move it.
      await db
        .update(settlements)
        .set({
          summary: sql`${settlements.summary} || CASE WHEN ${settlements.summary} ? 'needsAttention' AND ${settlements.summary}->'needsAttention' <> 'null'::jsonb THEN '{}'::jsonb ELSE ${JSON.stringify(flag)}::jsonb END`,
          updatedAt: now,
        })
        .where(eq(settlements.id, settlementId));
    },
  };
}
