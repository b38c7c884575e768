import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { NeedsAttentionKey } from '../../src/temporal/search-attributes';
import type { ReconciliationOutcome, SettlementActivities } from './activities';
import { ResolutionRejection } from './rejections';
import { resolveDiscrepancy, settlementView, statementReceived, type SettlementView, type SettlementWorkflowInput } from './messages';

// One agreement's settlement for one period (R6.6–R6.9), under the id
// settlement-{agreementId}-{period}: open the run, reconcile our lines with theirs, and
// when differences remain wait for finance's decisions (and new statements) — flagged
// NeedsAttention once the wait is over, still open until every difference is decided.

const finance = proxyActivities<SettlementActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function settlementWorkflow(input: SettlementWorkflowInput): Promise<SettlementView> {
  const settlementId = workflowInfo().workflowId;
  const view: SettlementView = { settlementId, status: 'running', openDiscrepancies: [] };
  /** Every discrepancy of the run as last reconciled, with its status. */
  const known = new Map<string, ReconciliationOutcome['discrepancies'][number]>();
  const deciding = new Set<string>();
  const decided = new Set<string>();
  let statementArrived = false;
  let outcome: ReconciliationOutcome = { matched: 0, discrepancies: [] };

  setHandler(settlementView, () => view);
  setHandler(statementReceived, () => {
    statementArrived = true;
  });
  setHandler(
    resolveDiscrepancy,
    async ({ discrepancyId, resolution }) => {
      deciding.add(discrepancyId);
      try {
        await finance.applyResolution({ settlementId, discrepancyId, resolution });
      } finally {
        deciding.delete(discrepancyId);
      }
      decided.add(discrepancyId);
      known.set(discrepancyId, { ...known.get(discrepancyId)!, status: 'resolved' });
      view.openDiscrepancies = view.openDiscrepancies.filter((id) => id !== discrepancyId);
      return { discrepancyId, status: 'resolved' as const };
    },
    {
      validator: ({ discrepancyId }) => {
        const d = known.get(discrepancyId);
        if (!d) throw ApplicationFailure.create({ type: ResolutionRejection.Unknown, message: `no open discrepancy ${discrepancyId} in ${settlementId}`, nonRetryable: true });
        if (d.status !== 'open' || deciding.has(discrepancyId)) {
          throw ApplicationFailure.create({ type: ResolutionRejection.AlreadyResolved, message: `discrepancy ${discrepancyId} is already decided`, nonRetryable: true });
        }
      },
    },
  );

  const opened = await finance.openSettlement({ settlementId, agreementId: input.agreementId, period: input.period });
  // A run that settled before (a re-run under the same id after a reset) settles nothing twice.
  if (opened.status === 'settled') {
    view.status = 'settled';
    return view;
  }

  const reconcile = async () => {
    outcome = await finance.reconcileSettlement({ settlementId });
    // Decisions taken here stand even if this reconciliation read the row before them.
    for (const d of outcome.discrepancies) known.set(d.id, decided.has(d.id) ? { ...d, status: 'resolved' } : d);
    view.openDiscrepancies = [...known.values()].filter((d) => d.status === 'open').map((d) => d.id);
  };
  const allDecided = () => view.openDiscrepancies.length === 0 && deciding.size === 0;

  await reconcile();
  let flagged = false;
  let deadline: number | undefined;
  while (!allDecided()) {
    if (view.status !== 'awaiting_decisions') {
      view.status = 'awaiting_decisions';
      await finance.recordSettlementStatus({ settlementId, status: 'awaiting_decisions', summary: summaryOf(outcome, known) });
    }
    deadline ??= Date.now() + input.decisionWaitMs;
    const answered = flagged
      ? await condition(() => allDecided() || statementArrived).then(() => true)
      : await condition(() => allDecided() || statementArrived, Math.max(0, deadline - Date.now()));
    if (!answered) {
      flagged = true;
      upsertSearchAttributes([{ key: NeedsAttentionKey, value: true }]);
      await finance.flagSettlement({
        settlementId,
        reason: `${view.openDiscrepancies.length} discrepancies still wait for finance's decision`,
      });
      continue;
    }
    // A new statement, or every difference decided: read both sides once more.
    statementArrived = false;
    await reconcile();
  }

  await condition(allHandlersFinished);
  view.status = 'settled';
  await finance.recordSettlementStatus({ settlementId, status: 'settled', summary: { ...summaryOf(outcome, known), needsAttention: null } });
  if (flagged) upsertSearchAttributes([{ key: NeedsAttentionKey, value: false }]);
  return view;
}

/** The run's figures: lines matched, discrepancies by kind and by how they ended. */
function summaryOf(outcome: ReconciliationOutcome, known: Map<string, ReconciliationOutcome['discrepancies'][number]>): Record<string, unknown> {
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = { open: 0, auto_adjusted: 0, resolved: 0 };
  for (const d of known.values()) {
    byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
    byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
  }
  return { matched: outcome.matched, discrepancies: known.size, byKind, byStatus };
}
