import { SearchAttributeType, WorkflowExecutionAlreadyStartedError, defineSearchAttributeKey } from '@temporalio/common';
import { ParentClosePolicy, WorkflowIdReusePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { SettlementCycle } from '../../src/domain/settlement-cycle';
import { periodContaining, previousPeriod } from '../../src/domain/settlement-period';
import { SETTLEMENT_WORKFLOW_TYPE, settlementWorkflowId, type SettlementWorkflowInput } from './messages';

// What an agreement's Schedule starts on its settlement day. A Schedule appends the fire
// time to the ids it starts, so it cannot start `settlement-{agreementId}-{period}`
// itself: this launcher names the period that has just ended and starts that run, once.

export interface SettlementLauncherInput {
  agreementId: string;
  cycle: SettlementCycle;
  timeZone: string;
  decisionWaitMs: number;
}

export interface LaunchedSettlement {
  period: string;
  workflowId: string;
  /** False when the run was already running or had settled: nothing was started. */
  started: boolean;
  /** The time the period was named from: the Schedule's due time, or (started by hand) the start. */
  due: string;
  dueFrom: 'schedule' | 'start';
}

/** Set by the Schedule on every workflow it starts: the time it was due, not when it ran. */
const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export async function settlementLauncher(input: SettlementLauncherInput): Promise<LaunchedSettlement> {
  const info = workflowInfo();
  // A catch-up fire days late still settles the period that was due: the scheduled time
  // decides. Both values come from history, so a replay names the same period.
  const scheduled = info.typedSearchAttributes.get(ScheduledStartTime);
  const due = scheduled instanceof Date ? scheduled : info.startTime;
  const named = { due: due.toISOString(), dueFrom: scheduled instanceof Date ? ('schedule' as const) : ('start' as const) };
  const period = previousPeriod(periodContaining(input.cycle, due, input.timeZone));
  const workflowId = settlementWorkflowId(input.agreementId, period);
  const args: SettlementWorkflowInput = { agreementId: input.agreementId, period, decisionWaitMs: input.decisionWaitMs };
  try {
    await startChild(SETTLEMENT_WORKFLOW_TYPE, {
      workflowId,
      args: [args],
      // The run outlives its launcher: it may wait days for finance's decisions.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Running or settled: leave it be. Only a run that failed or was terminated starts again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    return { period, workflowId, started: true, ...named };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { period, workflowId, started: false, ...named };
    throw err;
  }
}
