import { ApplicationFailure } from '@temporalio/workflow';
import { MessageRejection } from '../../src/domain/failures';
import type { IntakeReply } from './messages';
import type { OrderRun } from './run';

// How an order refuses an update it cannot take now (WrongState → HTTP 409) or whose
// content is wrong (Invalid → HTTP 422), before anything is written to history.

// The order's status and state version go with a refusal: the API can tell "not yet"
// (its database already shows a newer version than the workflow has applied) from "no".
export const wrongState = (order: OrderRun, message: string) =>
  ApplicationFailure.create({
    type: MessageRejection.WrongState,
    message,
    nonRetryable: true,
    details: [{ status: order.state.status, version: order.statuses.version }],
  });

export const invalid = (message: string, details?: Record<string, unknown>) =>
  ApplicationFailure.create({ type: MessageRejection.Invalid, message, nonRetryable: true, details: details ? [details] : undefined });

export function describe(order: OrderRun): string {
  return `order ${order.state.number ?? order.orderId} is ${order.state.status}`;
}

/** Why a question's window no longer takes answers: a cancel asked for, or else the window itself. */
export function closed(order: OrderRun, windowClosed: string): string {
  return order.state.cancelRequest ? 'it is being cancelled' : windowClosed;
}

/** What a create or a correction is answered with: where verification got. */
export function intakeReply(order: OrderRun, created: boolean): IntakeReply {
  return {
    orderId: order.orderId,
    number: order.state.number,
    status: order.state.status,
    verification: order.state.verification ?? { ok: false, reasons: [] },
    created,
    fingerprint: order.state.input.fingerprint,
  };
}
