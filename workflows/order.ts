import { allHandlersFinished, condition, log } from '@temporalio/workflow';
import type { OrderOutcome, OrderWorkflowInput } from './order-messages';
import { installHandlers } from './order-handlers';
import { OrderCancelled, OrderRun } from './order-run';
import { dispatch } from './stages/dispatch';
import { collectFeedback } from './stages/feedback';
import { plan } from './stages/plan';
import { reserve } from './stages/reserve';
import { settle } from './stages/settle';
import { awaitSignOff } from './stages/sign-off';
import { track } from './stages/track';
import { verify } from './stages/verify';

/** One order's whole life, as the process deck tells it. */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const order = new OrderRun(input);
  installHandlers(order);
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

async function endCancelled(order: OrderRun, reason: string): Promise<void> {
  log.info('order cancelled', { orderId: order.orderId, reason });
  // From here a failing step waits for an operator; the cancel request that brought us
  // here is not an answer to it (it would skip giving the stock back).
  order.ending = true;
  try {
    await order.compensate();
  } catch (err) {
    // An operator chose to stop undoing: what could be undone, was.
    if (!(err instanceof OrderCancelled)) throw err;
  }
  for (;;) {
    try {
      await order.moveTo('cancelled', { reason });
      return;
    } catch (err) {
      // An operator cannot cancel the cancellation: it is written on their next answer.
      if (!(err instanceof OrderCancelled)) throw err;
    }
  }
}
