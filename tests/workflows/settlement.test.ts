import { randomUUID } from 'node:crypto';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodContaining, previousPeriod } from '../../src/domain/settlement-period';
import { waitFor } from '../helpers/wait-for';
import { startTestWorker, type TestWorker } from '../helpers/workflow-worker';
import type { OpenedSettlement, ReconciliationOutcome, SettlementActivities } from '../../workflows/settlement/activities';
import { resolveDiscrepancy, settlementView, settlementWorkflowId, type SettlementWorkflowInput } from '../../workflows/settlement/messages';
import { ResolutionRejection } from '../../workflows/settlement/rejections';

// The settlement workflow and its launcher alone: the real Temporal server and workflow
// code, with the finance activities replaced by an in-memory ledger of runs and
// discrepancies that keeps a record of its calls.

const LONG_MS = 60_000;

type Discrepancy = ReconciliationOutcome['discrepancies'][number];

class FakeFinance {
  readonly runs = new Map<string, OpenedSettlement>();
  readonly discrepancies = new Map<string, Discrepancy[]>();
  readonly calls: { name: keyof SettlementActivities; input: any }[] = [];

  activities(): SettlementActivities {
    const record = (name: keyof SettlementActivities, input: unknown) => this.calls.push({ name, input });
    return {
      openSettlement: async (input) => {
        record('openSettlement', input);
        const run = this.runs.get(input.settlementId) ?? {
          ...input,
          periodStart: '2026-10-31T23:00:00.000Z',
          periodEnd: '2026-11-30T23:00:00.000Z',
          status: 'running' as const,
        };
        this.runs.set(input.settlementId, run);
        return run;
      },
      reconcileSettlement: async (input) => {
        record('reconcileSettlement', input);
        return { matched: 3, discrepancies: (this.discrepancies.get(input.settlementId) ?? []).map((d) => ({ ...d })) };
      },
      applyResolution: async (input) => {
        record('applyResolution', input);
        const d = this.discrepancies.get(input.settlementId)?.find((x) => x.id === input.discrepancyId);
        if (d) d.status = 'resolved';
        return { status: 'resolved' };
      },
      recordSettlementStatus: async (input) => {
        record('recordSettlementStatus', input);
        const run = this.runs.get(input.settlementId)!;
        run.status = input.status;
      },
      flagSettlement: async (input) => {
        record('flagSettlement', input);
      },
    };
  }

  callsOf(name: keyof SettlementActivities, settlementId: string) {
    return this.calls.filter((c) => c.name === name && c.input.settlementId === settlementId);
  }
}

describe('settlement workflow', () => {
  const fake = new FakeFinance();
  let testWorker: TestWorker;
  let client: Client;
  let taskQueue: string;

  beforeAll(async () => {
    testWorker = await startTestWorker('settlement', fake.activities());
    ({ client, taskQueue } = testWorker);
  });
  afterAll(() => testWorker?.stop());

  const start = (input: SettlementWorkflowInput) =>
    client.workflow.start('settlementWorkflow', { workflowId: settlementWorkflowId(input.agreementId, input.period), taskQueue, args: [input] });

  const rejectionOf = async (promise: Promise<unknown>) => {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type;
  };

  it('settles at once when reconciliation leaves nothing open, and a re-run under the same id settles nothing twice', async () => {
    const agreementId = randomUUID();
    const id = settlementWorkflowId(agreementId, '2026-11');
    fake.discrepancies.set(id, [{ id: randomUUID(), kind: 'amount_differs', status: 'auto_adjusted' }]);
    const handle = await start({ agreementId, period: '2026-11', decisionWaitMs: LONG_MS });
    const view = await handle.result();
    expect(view).toEqual({ settlementId: id, status: 'settled', openDiscrepancies: [] });
    const settled = fake.callsOf('recordSettlementStatus', id);
    expect(settled).toHaveLength(1);
    expect(settled[0]!.input).toMatchObject({ status: 'settled', summary: { matched: 3, discrepancies: 1, byStatus: { auto_adjusted: 1 } } });
    expect(fake.callsOf('flagSettlement', id)).toHaveLength(0);

    // The same id again (a re-run after the first completed): it finds the run settled.
    const again = await start({ agreementId, period: '2026-11', decisionWaitMs: LONG_MS });
    expect(await again.result()).toMatchObject({ status: 'settled' });
    expect(fake.callsOf('recordSettlementStatus', id)).toHaveLength(1);
    expect(fake.callsOf('reconcileSettlement', id)).toHaveLength(1);
  });

  it("waits for finance's decisions, flags the run when the wait is over, and settles once every difference is decided", async () => {
    const agreementId = randomUUID();
    const id = settlementWorkflowId(agreementId, '2026-Q3');
    const [d1, d2] = [randomUUID(), randomUUID()];
    fake.discrepancies.set(id, [
      { id: d1, kind: 'missing_theirs', status: 'open' },
      { id: d2, kind: 'duplicate', status: 'open' },
    ]);
    const handle = await start({ agreementId, period: '2026-Q3', decisionWaitMs: 200 });

    await waitFor(() => fake.callsOf('flagSettlement', id).length === 1, { timeoutMs: 10_000, message: 'the run flagged' });
    expect(fake.callsOf('recordSettlementStatus', id).map((c) => c.input.status)).toEqual(['awaiting_decisions']);
    const view = await handle.query(settlementView);
    expect(view.status).toBe('awaiting_decisions');
    expect(new Set(view.openDiscrepancies)).toEqual(new Set([d1, d2]));

    const resolution = { action: 'write_off' as const, note: 'never arrived', decidedBy: 'finance:test' };
    expect(await rejectionOf(handle.executeUpdate(resolveDiscrepancy, { args: [{ discrepancyId: randomUUID(), resolution }] }))).toBe(ResolutionRejection.Unknown);
    expect(await handle.executeUpdate(resolveDiscrepancy, { args: [{ discrepancyId: d1, resolution }] })).toEqual({ discrepancyId: d1, status: 'resolved' });
    expect(await rejectionOf(handle.executeUpdate(resolveDiscrepancy, { args: [{ discrepancyId: d1, resolution }] }))).toBe(ResolutionRejection.AlreadyResolved);
    expect((await handle.query(settlementView)).openDiscrepancies).toEqual([d2]);

    await handle.executeUpdate(resolveDiscrepancy, { args: [{ discrepancyId: d2, resolution: { ...resolution, action: 'adjust', amount: 120 } }] });
    expect(await handle.result()).toMatchObject({ status: 'settled', openDiscrepancies: [] });
    expect(fake.callsOf('applyResolution', id).map((c) => c.input.discrepancyId)).toEqual([d1, d2]);
    expect(fake.callsOf('applyResolution', id)[1]!.input.resolution).toMatchObject({ action: 'adjust', amount: 120 });
    expect(fake.callsOf('flagSettlement', id)).toHaveLength(1);
    expect(fake.callsOf('recordSettlementStatus', id).at(-1)!.input).toMatchObject({ status: 'settled', summary: { byStatus: { resolved: 2, open: 0 } } });
  });

  it('reconciles again when a statement arrives', async () => {
    const agreementId = randomUUID();
    const id = settlementWorkflowId(agreementId, '2026-H2');
    const d = randomUUID();
    fake.discrepancies.set(id, [{ id: d, kind: 'missing_ours', status: 'open' }]);
    const handle = await start({ agreementId, period: '2026-H2', decisionWaitMs: LONG_MS });
    await waitFor(() => fake.callsOf('recordSettlementStatus', id).length === 1, { message: 'awaiting decisions' });
    // The corrected statement no longer shows the difference.
    fake.discrepancies.get(id)![0]!.status = 'resolved';
    await handle.signal('statementReceived', { statementId: randomUUID() });
    expect(await handle.result()).toMatchObject({ status: 'settled' });
    expect(fake.callsOf('reconcileSettlement', id)).toHaveLength(2);
  });

  it('the launcher starts the run of the period just ended under its id, and a second launch starts nothing', async () => {
    const agreementId = randomUUID();
    const input = { agreementId, cycle: 'monthly' as const, timeZone: 'Europe/Berlin', decisionWaitMs: LONG_MS };
    const now = new Date();
    const first = await client.workflow.execute('settlementLauncher', { workflowId: `launch-${randomUUID()}`, taskQueue, args: [input] });
    const period = previousPeriod(periodContaining('monthly', now, 'Europe/Berlin'));
    // (A launch across a month's turn in Berlin could name the next period: both are right.)
    expect([period, previousPeriod(periodContaining('monthly', new Date(), 'Europe/Berlin'))]).toContain(first.period);
    expect(first).toMatchObject({ workflowId: settlementWorkflowId(agreementId, first.period), started: true, dueFrom: 'start' });
    const run = client.workflow.getHandle(first.workflowId);
    expect(await run.result()).toMatchObject({ status: 'settled' });

    const second = await client.workflow.execute('settlementLauncher', { workflowId: `launch-${randomUUID()}`, taskQueue, args: [input] });
    expect(second).toMatchObject({ period: first.period, workflowId: first.workflowId, started: false });
    expect(fake.callsOf('openSettlement', first.workflowId)).toHaveLength(1);
  });
});
