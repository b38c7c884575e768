import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { ratingProblems } from '../../src/domain/feedback';
import { waitWithinWindow } from '../kit/window';
import { submitFeedback } from './messages';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';

/** FEEDBACK (R5.4, R5.5): the customer may rate the order until the feedback window closes. */
export async function collectFeedback(order: OrderRun): Promise<void> {
  const { state } = order;
  const windowMs = order.settings.feedbackWindowMs;
  order.ask('feedback', windowMs);
  const given = await waitWithinWindow({
    windowMs,
    done: () => state.feedback !== undefined,
    busy: () => state.feedbackInProgress,
    summary: 'feedback window',
  });
  if (!given) state.feedbackWindowClosed = true;
  order.answered('feedback');
}

/** FEEDBACK's message: the customer's ratings and comment. */
export function feedbackMessages(order: OrderRun): void {
  const { state } = order;
  setHandler(
    submitFeedback,
    async (feedback) => {
      state.feedbackInProgress = true;
      try {
        const { submittedAt } = await order.acts.recordFeedback({ orderId: order.orderId, feedback, transitions: [] });
        state.feedback = { ...feedback, submittedAt };
        return { status: state.status, submittedAt };
      } catch {
        throw ApplicationFailure.create({ type: 'FeedbackNotRecorded', message: 'the feedback could not be recorded; send it again' });
      } finally {
        state.feedbackInProgress = false;
      }
    },
    {
      validator: (feedback) => {
        if (state.feedback || state.feedbackInProgress) throw wrongState(order, 'feedback for this order was already given');
        if (state.feedbackWindowClosed) throw wrongState(order, 'the feedback window for this order has closed');
        if (state.status !== 'awaiting_feedback') throw wrongState(order, `${describe(order)}; feedback opens once the order is signed off`);
        const problems = ratingProblems(feedback);
        if (problems.length > 0) throw invalid(problems.join('; '));
      },
    },
  );
}
