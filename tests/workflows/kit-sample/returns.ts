import { defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Transition } from '../../../src/domain/transition';
import { Compensations, type Compensation } from '../../../workflows/kit/compensation';
import { OperatorDesk, type OperatorState } from '../../../workflows/kit/operator';
import { StepRunner } from '../../../workflows/kit/steps';
import { StatusLine, type StatusLineState } from '../../../workflows/kit/transition';
import { waitWithinWindow } from '../../../workflows/kit/window';

// A workflow that is not an order, built only from workflows/kit: a customer's return.
// It exists to prove the kit is not order-shaped (tests/workflows/kit.test.ts runs it);
// it is not a product feature.

export type ReturnStatus = 'requested' | 'label_sent' | 'received' | 'refunded' | 'cancelled';

export interface ReturnActivities {
  writeStatus(input: { returnId: string; step: string; transitions: Transition<ReturnStatus>[] }): Promise<void>;
  holdRefund(input: { returnId: string }): Promise<void>;
  releaseRefundHold(input: { returnId: string }): Promise<void>;
  inspectGoods(input: { returnId: string }): Promise<{ ok: boolean }>;
  noteAttention(input: { returnId: string; on: boolean; reason?: string }): Promise<void>;
}

export interface ReturnState extends StatusLineState<ReturnStatus>, OperatorState {
  returnId: string;
  arrived: boolean;
  inspection?: { ok: boolean };
  compensations: Compensation<ReturnActivities>[];
}

export const operatorAction = defineSignal<[unknown]>('operatorAction');
export const goodsArrived = defineSignal('goodsArrived');
export const look = defineQuery<ReturnState>('look');

class ReturnCancelled extends Error {}

export async function returnWorkflow(input: { returnId: string; windowMs: number }): Promise<ReturnState> {
  const { returnId } = input;
  const state: ReturnState = {
    returnId,
    status: 'requested',
    version: 0,
    appliedVersion: 0,
    needsAttention: false,
    operatorInbox: [],
    openQuestions: [],
    compensations: [],
    arrived: false,
  };
  const acts = proxyActivities<ReturnActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });
  const desk = new OperatorDesk(state, {
    context: () => ({ returnId }),
    announce: (on, reason) => acts.noteAttention(reason === undefined ? { returnId, on } : { returnId, on, reason }),
  });
  const steps = new StepRunner(desk, (reason) => new ReturnCancelled(reason));
  const undo = new Compensations<ReturnActivities>(state.compensations, acts, steps);
  const statuses = new StatusLine<ReturnStatus>(state);
  const write = (step: string) => (transitions: Transition<ReturnStatus>[]) =>
    steps.run(step, () => acts.writeStatus({ returnId, step, transitions }));

  setHandler(operatorAction, (payload) => desk.receive(payload));
  setHandler(goodsArrived, () => void (state.arrived = true));
  setHandler(look, () => state);

  try {
    await statuses.transition('label_sent', write('send the label'));
    undo.register('release the refund hold', 'releaseRefundHold', { returnId });
    await steps.run('hold the refund', () => acts.holdRefund({ returnId }));
    const arrived = await waitWithinWindow({ windowMs: input.windowMs, done: () => state.arrived, summary: 'return window' });
    if (!arrived) throw new ReturnCancelled('the goods did not come back in time');
    state.inspection = await steps.run('inspect the goods', () => acts.inspectGoods({ returnId }), {
      skip: { means: 'accept the goods uninspected', outcome: () => ({ ok: true }) },
    });
    await statuses.transition(['received', { status: 'refunded', detail: { inspected: state.inspection } }], write('refund'));
  } catch (err) {
    if (!(err instanceof ReturnCancelled)) throw err;
    await undo.run();
    await statuses.transition({ status: 'cancelled', detail: { reason: err.message } }, write('cancel'));
  }
  return state;
}
