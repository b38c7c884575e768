import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { cancelMessages, endCancelled } from './cancel';
import { dispatch } from './dispatch';
import { collectFeedback, feedbackMessages } from './feedback';
import { operatorAction, view, type OrderOutcome, type OrderWorkflowInput } from './messages';
import { plan } from './plan';
import { reserve, reserveMessages } from './reserve';
import { OrderCancelled, OrderRun } from './run';
import { settle } from './settle';
import { awaitSignOff, signOffMessages } from './sign-off';
import { newOrderState } from './state';
import { track, trackMessages } from './track';
import { verify, verifyMessages } from './verify';

/** One order's whole life, as the process deck tells it. */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const order = new OrderRun(newOrderState(input));
  answerMessages(order);
  try {
    await verify(order);
    const consignments = await reserve(order);
    await plan(order, consignments);
    await dispatch(order);
    await track(order);
    await awaitSignOff(order);
    await collectFeedback(order);
    await settle(order);
  } catch (err) {
    if (!(err instanceof OrderCancelled)) throw err;
    await endCancelled(order, err.reason);
  }
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
  // The Temporal UI's Send Signal dialog takes any JSON: the desk checks it.
  setHandler(operatorAction, (payload) => order.desk.receive(payload));
}
