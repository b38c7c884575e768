import { ActivityFailure, log } from '@temporalio/workflow';
import { failureMessage, failureType } from './failures';
import type { OperatorDesk } from './operator';

// Running a step (an activity call): a business failure the caller handles is passed up;
// any other failure (retries ran out, or a business failure nobody expects) flags the
// workflow for an operator and waits for their retry, skip or cancel.

export interface StepOptions<T> {
  /** Business failure types the caller handles itself. */
  handles?: readonly string[];
  /** Why an operator may not cancel here (the step waits for a retry instead). */
  noCancel?: string;
  /** Where an operator may skip the step: what skipping means, and the step's result then. */
  skip?: { means: string; outcome: () => T };
}

export class StepRunner {
  constructor(
    private readonly desk: OperatorDesk,
    /** The error that ends the workflow's run as cancelled (caught where it ends). */
    private readonly cancelled: (reason: string) => Error,
    private readonly context: () => Record<string, unknown> = () => ({}),
  ) {}

  async run<T>(what: string, step: () => Promise<T>, options: StepOptions<T> = {}): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const type = failureType(err);
        if (type && options.handles?.includes(type)) throw err;
        const answer = await this.desk.decide(`${what} failed: ${failureMessage(err)}`, {
          noCancel: options.noCancel,
          skip: options.skip?.means,
        });
        if (answer.action === 'cancel') throw this.cancelled(answer.reason ?? 'cancelled by an operator');
        if (answer.action === 'skip' && options.skip) {
          log.info('operator skipped a step', { ...this.context(), what, means: options.skip.means, operator: answer.operator });
          return options.skip.outcome();
        }
        log.info('operator asked to retry', { ...this.context(), what, operator: answer.operator });
      }
    }
  }
}
