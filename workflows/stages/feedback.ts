import { condition } from '@temporalio/workflow';
import type { OrderRun } from '../order-run';

/** FEEDBACK (R5.4, R5.5): the customer may rate the order until the feedback window closes. */
export async function collectFeedback(order: OrderRun): Promise<void> {
  const window = order.settings.feedbackWindowMs;
  order.ask('feedback', window);
  const deadline = Date.now() + window;
  while (order.feedback === undefined) {
    if (order.feedbackInProgress) {
      await condition(() => order.feedback !== undefined || !order.feedbackInProgress);
      continue;
    }
    const left = deadline - Date.now();
    const given = () => order.feedback !== undefined || order.feedbackInProgress;
    if (left > 0 && (await condition(given, left, { summary: 'feedback window' }))) continue;
    order.feedbackWindowClosed = true;
    break;
  }
  order.answered('feedback');
}
