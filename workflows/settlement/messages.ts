import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DiscrepancyResolution } from '../../src/domain/reconciliation-lines';

// Messages of the month-end settlement workflow (R6.6–R6.9). Names are in histories:
// never rename one.

export const SETTLEMENT_WORKFLOW_TYPE = 'settlementWorkflow';
/** One run per agreement and period: a re-run finds the same id and settles nothing twice. */
export const settlementWorkflowId = (agreementId: string, period: string) => `settlement-${agreementId}-${period}`;

export interface SettlementWorkflowInput {
  agreementId: string;
  period: string;
  /** How long open discrepancies may wait for finance before NeedsAttention (ms, already scaled). */
  decisionWaitMs: number;
}

/** A counterparty statement for this period arrived (POST /v1/statements): reconcile again. */
export const statementReceived = defineSignal<[{ statementId: string }]>('statementReceived');

/** Finance decides one discrepancy; answered once it is carried out. */
export const resolveDiscrepancy = defineUpdate<{ discrepancyId: string; status: 'resolved' }, [{ discrepancyId: string; resolution: DiscrepancyResolution }]>(
  'resolveDiscrepancy',
);

export interface SettlementView {
  settlementId: string;
  status: 'running' | 'awaiting_decisions' | 'settled';
  openDiscrepancies: string[];
}
export const settlementView = defineQuery<SettlementView>('view');
