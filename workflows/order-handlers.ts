import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { MessageRejection } from '../src/domain/failures';
import { ratingProblems } from '../src/domain/feedback';
import { checkSignOff } from '../src/domain/sign-off';
import {
  awaitVerification,
  cancel,
  correctOrder,
  operatorAction,
  respondToStockout,
  signOff,
  stockAvailable,
  submitFeedback,
  trackingEvent,
  view,
  type IntakeReply,
} from './order-messages';
import type { OrderRun } from './order-run';
import { acceptTrackingEvent } from './stages/track';

// What an order answers to while it runs. Validators refuse a message the order cannot
// take now (WrongState → HTTP 409) or whose content is wrong (Invalid → HTTP 422) before
// anything is written to history; handlers hand the message to the main flow.

// The order's status and state version go with a refusal: the API can tell "not yet"
// (its database already shows a newer version than the workflow has applied) from "no".
const wrongState = (order: OrderRun, message: string) =>
  ApplicationFailure.create({
    type: MessageRejection.WrongState,
    message,
    nonRetryable: true,
    details: [{ status: order.status, version: order.stateVersion }],
  });
const invalid = (message: string, details?: Record<string, unknown>) =>
  ApplicationFailure.create({ type: MessageRejection.Invalid, message, nonRetryable: true, details: details ? [details] : undefined });

function describe(order: OrderRun): string {
  return `order ${order.number ?? order.orderId} is ${order.status}`;
}

function intakeReply(order: OrderRun, created: boolean): IntakeReply {
  return {
    orderId: order.orderId,
    number: order.number,
    status: order.status,
    verification: order.verification ?? { ok: false, reasons: [] },
    created,
    fingerprint: order.input.fingerprint,
  };
}

export function installHandlers(order: OrderRun): void {
  setHandler(view, () => order.view());

  setHandler(awaitVerification, async (request) => {
    await condition(() => order.verificationRound > 0 || order.isFinal);
    return intakeReply(order, request.requestId === order.input.requestId);
  });

  setHandler(
    correctOrder,
    async (correction) => {
      const round = order.verificationRound;
      order.correction = correction;
      await condition(() => order.verificationRound > round || order.isFinal);
      return intakeReply(order, false);
    },
    {
      validator: (correction) => {
        if (order.status !== 'needs_correction') throw wrongState(order, `${describe(order)}; only an order that needs correction can be corrected`);
        if (order.correction) throw wrongState(order, 'a correction is already being checked');
        if (!correction.customer && !correction.items) throw invalid('a correction changes the customer, the items, or both');
      },
    },
  );

  setHandler(
    respondToStockout,
    async (decision) => {
      order.stockDecision = decision;
      await condition(() => order.status !== 'awaiting_stock_decision');
      return { status: order.status };
    },
    {
      validator: (decision) => {
        if (decision.decision !== 'wait' && decision.decision !== 'cancel') throw invalid('decision is wait or cancel');
        if (order.status !== 'awaiting_stock_decision' || order.stockDecision) {
          throw wrongState(order, `${describe(order)}; it is not waiting for a stock decision`);
        }
      },
    },
  );

  setHandler(
    signOff,
    async (proof) => {
      const check = checkSignOff(proof, { id: order.orderId, number: order.number, externalId: order.draft.externalId });
      if (!check.ok) throw invalid(check.message, { code: check.code });
      order.signOffInProgress = true;
      try {
        const transitions = [
          order.prepare('signed_off', { method: 'customer', recipientName: proof.recipientName }),
          order.prepare('awaiting_feedback'),
        ];
        const { signedAt } = await order.acts.recordSignOff({
          orderId: order.orderId,
          method: 'customer',
          proof,
          credentialHint: check.credentialHint,
          transitions,
        });
        order.apply(...transitions);
        order.signedOffAt = signedAt;
        return { status: order.status, signedAt };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw ApplicationFailure.create({ type: 'SignOffNotRecorded', message: 'the sign-off could not be recorded; send it again' });
      } finally {
        order.signOffInProgress = false;
      }
    },
    {
      validator: (proof) => {
        if (order.status !== 'delivered' || order.signedOffAt || order.signOffInProgress) {
          throw wrongState(order, `${describe(order)}; an order can be signed off once, after it is delivered`);
        }
        const check = checkSignOff(proof, { id: order.orderId, number: order.number, externalId: order.draft.externalId });
        if (!check.ok) throw invalid(check.message, { code: check.code });
      },
    },
  );

  setHandler(
    submitFeedback,
    async (feedback) => {
      order.feedbackInProgress = true;
      try {
        const { submittedAt } = await order.acts.recordFeedback({ orderId: order.orderId, feedback, transitions: [] });
        order.feedback = { ...feedback, submittedAt };
        return { status: order.status, submittedAt };
      } catch {
        throw ApplicationFailure.create({ type: 'FeedbackNotRecorded', message: 'the feedback could not be recorded; send it again' });
      } finally {
        order.feedbackInProgress = false;
      }
    },
    {
      validator: (feedback) => {
        if (order.feedback || order.feedbackInProgress) throw wrongState(order, 'feedback for this order was already given');
        if (order.feedbackWindowClosed) throw wrongState(order, 'the feedback window for this order has closed');
        if (order.status !== 'awaiting_feedback') throw wrongState(order, `${describe(order)}; feedback opens once the order is signed off`);
        const problems = ratingProblems(feedback);
        if (problems.length > 0) throw invalid(problems.join('; '));
      },
    },
  );

  setHandler(
    cancel,
    async ({ reason }) => {
      order.cancelRequest ??= { reason };
      await condition(() => order.isFinal);
      return { status: order.status };
    },
    {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || reason.trim() === '') throw invalid('a cancellation needs a reason');
        if (order.isFinal) throw wrongState(order, describe(order));
        if (order.dispatchStarted) {
          throw wrongState(order, `${describe(order)}; the goods are with the carrier, so it can no longer be cancelled`);
        }
      },
    },
  );

  setHandler(trackingEvent, (event) => acceptTrackingEvent(order, event));

  setHandler(stockAvailable, ({ skus }) => {
    if (!skus || order.draft.items.some((i) => skus.includes(i.sku))) order.stockArrived = true;
  });

  setHandler(operatorAction, (action) => {
    if (order.openQuestions.has('operator')) {
      order.operatorActions.push(action);
    } else if (action.action === 'cancel' && !order.dispatchStarted && !order.isFinal) {
      order.cancelRequest ??= { reason: action.reason ?? 'cancelled by an operator' };
    }
  });
}
