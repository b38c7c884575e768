import type { OrderStage } from '../../src/domain/order-status';
import { aftercareMessages, dropAftercares, runAftercares, takeAftercareInput } from './aftercare';
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { arrangementMessages } from './arrangements';
import { cancelMessages, endCancelled } from './cancel';
import { endRefunded, exceptionMessages, nothingToDeliver } from './exceptions';
import { dispatch } from './dispatch';
import { collectFeedback, feedbackMessages } from './feedback';
import { operatorAction, view, type OrderOutcome, type OrderWorkflowInput } from './messages';
import { plan } from './plan';
import { awaitPrepayment, prepaymentMessages } from './prepayment';
import { reserve, reserveMessages } from './reserve';
import { OrderCancelled, OrderRun } from './run';
import { settle } from './settle';
import { awaitSignOff, signOffMessages } from './sign-off';
import { isPending, startingState } from './resume';
import { track, trackMessages } from './track';
import { verify, verifyMessages } from './verify';

/** One order's whole life, as the process deck tells it. */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  // A new order starts at VERIFY; one carried over (continue-as-new) where its state says.
  const { state, from } = startingState(input);
  const order = new OrderRun(state);
  // Finance's reship / return on a closed order: a new run carrying its state (aftercare.ts).
  if (input.aftercare) takeAftercareInput(state);
  const pending = (stage: OrderStage) => isPending(stage, from);
  answerMessages(order);
  try {
    if (pending('verify')) await verify(order);
    if (pending('reserve')) {
      const consignments = await reserve(order);
      await plan(order, consignments);
    }
    if (pending('dispatch')) {
      await awaitPrepayment(order);
      await dispatch(order);
    }
    if (pending('track')) await track(order);
    // Goods found damaged at the door send the order back to run that exception; a
    // replacement comes back here to be signed for.
    if (pending('sign_off')) {
      while (!nothingToDeliver(order.state) && (await awaitSignOff(order)) === 'exception') await track(order);
    }
    if (nothingToDeliver(order.state)) {
      if (!order.isFinal) await endRefunded(order);
    } else {
      if (pending('feedback')) await collectFeedback(order);
      if (pending('settle') && !order.isFinal) await settle(order);
    }
    // Only an order finance asked to reship or return has any (never one recorded before).
    if (state.aftercares?.length) await runAftercares(order);
    else state.aftercareClosed = true;
  } catch (err) {
    if (!(err instanceof OrderCancelled)) throw err;
    await endCancelled(order, err.reason);
    if (state.aftercares?.length) await dropAftercares(order);
  }
  state.aftercareClosed = true;
  await condition(allHandlersFinished);
  return order.outcome();
}

/** What an order answers to while it runs; each stage owns its own messages. */
function answerMessages(order: OrderRun): void {
  setHandler(view, () => order.view());
  verifyMessages(order);
  reserveMessages(order);
  signOffMessages(order);
  feedbackMessages(order);
  cancelMessages(order);
  trackMessages(order);
  exceptionMessages(order);
  arrangementMessages(order);
  prepaymentMessages(order);
  aftercareMessages(order);
  // The Temporal UI's Send Signal dialog takes any JSON: the desk checks it.
  setHandler(operatorAction, (payload) => order.desk.receive(payload));
}
