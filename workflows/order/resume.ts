import { ApplicationFailure } from '@temporalio/workflow';
import { ORDER_STAGES, type OrderStage } from '../../src/domain/order-status';
import type { OrderWorkflowInput } from './messages';
import { newOrderState, type OrderState } from './state';

// Where a run starts: a new order at VERIFY, or a carried state (continue-as-new) at
// the first stage whose work that state does not record as done.

/** The state this run starts on, and the stage it starts at. */
export function startingState(input: OrderWorkflowInput): { state: OrderState; from: OrderStage } {
  const { carried, ...own } = input;
  if (!carried) return { state: newOrderState(input), from: 'verify' };
  // The run's own input (settings, carrier queue) is the one it was started with.
  const state: OrderState = { ...carried, input: own };
  return { state, from: resumeStage(state) };
}

/**
 * The first stage a carried state has not done. PLAN's consignments live only in
 * RESERVE's reply, so a run can be carried on from a planned order, not before.
 */
export function resumeStage(state: OrderState): OrderStage {
  const { status } = state;
  if (status === 'completed' || status === 'cancelled' || status === 'refunded' || status === 'settling') return 'settle';
  if (state.feedback !== undefined || state.feedbackWindowClosed) return 'settle';
  if (state.signedOffAt !== undefined || status === 'awaiting_feedback') return 'feedback';
  if (state.trackingDone || status === 'delivered' || status === 'signed_off') return state.trackingDone ? 'sign_off' : 'track';
  if (status === 'dispatched' || status === 'in_transit' || status === 'out_for_delivery' || status === 'delivery_exception') return 'track';
  if ((status === 'planned' || status === 'awaiting_payment') && state.shipments.length > 0) return 'dispatch';
  throw ApplicationFailure.nonRetryable(`an order at ${status} cannot be carried on: it resumes from PLAN on`, 'CannotResume');
}

/** The stage `stage` is still to do for a run that starts at `from`. */
export function isPending(stage: OrderStage, from: OrderStage): boolean {
  return ORDER_STAGES.indexOf(stage) >= ORDER_STAGES.indexOf(from);
}
