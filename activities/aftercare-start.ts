import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { MessageRejection } from '../src/domain/failures';
import { carriedState, orderWorkflowId, ORDER_RUN_ENDING, ORDER_WORKFLOW_TYPE, requestAftercare, type AftercareRequest, type OrderWorkflowInput } from '../workflows/order/messages';

// Finance's reship / return handed to the order's own workflow (R6.8), from the finance
// queue. Idempotent by discrepancy: the order's state lists the aftercares it took, so a
// retry (or the same decision again) that finds this one there starts nothing.
// - The order's workflow still runs: the request goes to it as an update (taken once by
//   discrepancy), done when the order ends. A run that is already ending refuses it, and
//   we try again once it has closed.
// - It has closed (completed): a new run of `order-{orderId}` (the same id; closed runs
//   allow one) carries the final state, queried from the closed run (Temporal replays it
//   on an orders worker), with the request in its input.

export interface CarriedOut {
  workflowId: string;
  runId: string;
  status: string;
}

export const AftercareRefused = 'AftercareRefused';

const refused = (message: string) => ApplicationFailure.create({ type: AftercareRefused, message, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
/** Worth another attempt in a moment (the activity's retry policy paces it). */
const notYet = (message: string) => ApplicationFailure.create({ type: 'AftercareNotYet', message, nonRetryable: false, category: ApplicationFailureCategory.BENIGN });

export async function startAftercare(client: Client, orderId: string, request: AftercareRequest): Promise<CarriedOut> {
  const workflowId = orderWorkflowId(orderId);
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe().catch((err: unknown) => {
    // Closed runs are kept for the namespace's retention only: past it there is no state to carry.
    if (err instanceof WorkflowNotFoundError) throw refused(`order ${orderId}'s workflow is no longer in Temporal (past retention): it cannot ${request.kind} it; do it by hand`);
    throw err;
  });
  const status = described.status.name;
  if (status === 'RUNNING') {
    try {
      const taken = await handle.executeUpdate(requestAftercare, { args: [request] });
      return { workflowId, runId: described.runId, status: taken.status };
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === ORDER_RUN_ENDING) throw notYet(cause.message);
      if (cause instanceof ApplicationFailure && (cause.type === MessageRejection.WrongState || cause.type === MessageRejection.Invalid)) throw refused(cause.message);
      if (err instanceof Error && /workflow execution already completed/i.test(err.message)) throw notYet(`order ${orderId}'s run just ended`);
      throw err;
    }
  }
  if (status !== 'COMPLETED') throw refused(`order ${orderId}'s workflow ended ${status.toLowerCase()}: it takes no ${request.kind}`);

  const state = await handle.query(carriedState);
  const taken = state.aftercares?.find((a) => a.discrepancyId === request.discrepancyId);
  if (taken) return { workflowId, runId: described.runId, status: taken.status };
  if (state.status !== 'completed') throw refused(`order ${state.number ?? orderId} is ${state.status}: there is nothing kept to ${request.kind}`);

  const { carried: _carried, aftercare: _earlier, ...own } = state.input;
  const input: OrderWorkflowInput = { ...own, carried: state, aftercare: request };
  try {
    const started = await client.workflow.start(ORDER_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: described.taskQueue,
      args: [input],
      // A closed order gets a new run; a running one is never started twice.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: described.typedSearchAttributes,
    });
    return { workflowId, runId: started.firstExecutionRunId, status: 'requested' };
  } catch (err) {
    // Another attempt started a run a moment ago: the next attempt finds it running.
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw notYet(`order ${orderId}'s workflow was just started again`);
    throw err;
  }
}
