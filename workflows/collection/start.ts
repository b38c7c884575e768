import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { DEFAULT_COLLECTION_SETTINGS, isCollected, type CollectionSettings } from '../../src/domain/collection';
import { COLLECTION_WORKFLOW_TYPE, collectionWorkflowId, type CollectionWorkflowInput } from './messages';

/** Orders that reached SETTLE before collection existed start none on replay. */
export const COLLECTION_AFTER_SETTLE = 'collection-after-settle';

/**
 * Called by the order workflow at SETTLE: what a cash-on-delivery or instalment order is
 * still owed is collected by a workflow of its own, a child the order abandons when it
 * completes (ParentClosePolicy ABANDON), so the order completes as before.
 */
export async function collectAfterSettle(order: {
  orderId: string;
  settlement: { method: string; instalments?: unknown };
  settings?: CollectionSettings;
}): Promise<void> {
  const { method, instalments } = order.settlement;
  // A prepaid order owes nothing after SETTLE, and its history gets no marker.
  if (!isCollected(method) || !patched(COLLECTION_AFTER_SETTLE)) return;
  const input: CollectionWorkflowInput = {
    orderId: order.orderId,
    method,
    settings: order.settings ?? DEFAULT_COLLECTION_SETTINGS,
    ...(typeof instalments === 'number' && Number.isInteger(instalments) && instalments > 0 ? { instalmentCount: instalments } : {}),
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
