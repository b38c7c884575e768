import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettlementRunActivities } from '../../activities/settlement-runs';
import type { Db } from '../../src/db/client';
import { agreements, settlements } from '../../src/db/schema';
import { settlementWorkflowId } from '../../workflows/settlement/messages';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// The settlement run's row against a real database: opened once per agreement and
// period with the period's bounds in the agreement's zone, never back from settled,
// flagged once.

let test: TestDatabase;
let db: Db;

beforeAll(async () => {
  test = await createTestDatabase();
  db = test.database.db;
});
afterAll(() => test?.drop());

async function agreement() {
  const id = randomUUID();
  await db.insert(agreements).values({
    id,
    counterpartyKind: 'partner',
    counterpartyId: `p-${id}`,
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: '5',
    settlementCurrency: 'EUR',
    timeZone: 'Europe/Berlin',
  });
  return id;
}

describe('settlement run activities', () => {
  it('open once, settle once, flag once', async () => {
    const acts = createSettlementRunActivities(db);
    const agreementId = await agreement();
    const settlementId = settlementWorkflowId(agreementId, '2026-11');
    const opened = await acts.openSettlement({ settlementId, agreementId, period: '2026-11' });
    expect(opened).toEqual({
      settlementId,
      agreementId,
      period: '2026-11',
      periodStart: '2026-10-31T23:00:00.000Z',
      periodEnd: '2026-11-30T23:00:00.000Z',
      status: 'running',
    });
    expect(await acts.openSettlement({ settlementId, agreementId, period: '2026-11' })).toEqual(opened);

    await acts.recordSettlementStatus({ settlementId, status: 'awaiting_decisions', summary: { matched: 2 } });
    await acts.flagSettlement({ settlementId, reason: 'two open' });
    const [flagged] = await db.select().from(settlements).where(eq(settlements.id, settlementId));
    const since = (flagged!.summary.needsAttention as { since: string }).since;
    expect(flagged).toMatchObject({ status: 'awaiting_decisions', summary: { matched: 2, needsAttention: { reason: 'two open' } } });
    await acts.flagSettlement({ settlementId, reason: 'retried' });
    const [again] = await db.select().from(settlements).where(eq(settlements.id, settlementId));
    expect(again!.summary.needsAttention).toEqual({ reason: 'two open', since });

    await acts.recordSettlementStatus({ settlementId, status: 'settled', summary: { matched: 3, needsAttention: null } });
    const [settled] = await db.select().from(settlements).where(eq(settlements.id, settlementId));
    expect(settled).toMatchObject({ status: 'settled', summary: { matched: 3, needsAttention: null }, settledAt: expect.any(Date) });
    // Retried, or late: a settled run stays settled, and keeps when it settled.
    await acts.recordSettlementStatus({ settlementId, status: 'awaiting_decisions', summary: {} });
    await acts.recordSettlementStatus({ settlementId, status: 'settled', summary: {} });
    const [still] = await db.select().from(settlements).where(eq(settlements.id, settlementId));
    expect(still).toMatchObject({ status: 'settled', settledAt: settled!.settledAt });
    expect((await acts.openSettlement({ settlementId, agreementId, period: '2026-11' })).status).toBe('settled');
  });

  it('an unknown agreement is a business failure, not retried', async () => {
    const acts = createSettlementRunActivities(db);
    const agreementId = randomUUID();
    const err = await acts.openSettlement({ settlementId: settlementWorkflowId(agreementId, '2026-11'), agreementId, period: '2026-11' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'AgreementMissing', nonRetryable: true });
  });
});
