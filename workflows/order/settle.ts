import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { DEFAULT_COLLECTION_SETTINGS, isCollected } from '../../src/domain/collection';
import { COLLECTION_WORKFLOW_TYPE, collectionWorkflowId, type CollectionWorkflowInput } from '../collection/messages';
import type { OrderRun } from './run';

/** SETTLE (R6.1): post the order's journal to the ledger; the order is complete. */
export async function settle(order: OrderRun): Promise<void> {
  await order.transition(
    'settle the order',
    [{ status: 'settling', detail: { feedback: order.state.feedback ? 'received' : 'window_closed' } }, 'completed'],
    (transitions) => order.acts.settleOrder({ orderId: order.orderId, transitions }),
  );
  if (patched('collection-after-settle')) await startCollection(order);
}

/**
 * What a cash-on-delivery or instalment order is still owed is collected by a workflow of
 * its own (workflows/collection/), which outlives the order: the order completes as before.
 */
async function startCollection(order: OrderRun): Promise<void> {
  const method = order.state.draft.settlement.method;
  if (!isCollected(method)) return;
  const requested = (order.state.draft.settlement as { instalments?: unknown }).instalments;
  const input: CollectionWorkflowInput = {
    orderId: order.orderId,
    method,
    settings: order.settings.collection ?? DEFAULT_COLLECTION_SETTINGS,
    ...(typeof requested === 'number' && Number.isInteger(requested) && requested > 0 ? { instalmentCount: requested } : {}),
  };
  try {
    await startChild(COLLECTION_WORKFLOW_TYPE, {
      workflowId: collectionWorkflowId(order.orderId),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    // Already collecting (a run carried over that got this far): nothing to start.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
