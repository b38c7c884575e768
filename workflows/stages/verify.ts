import { condition, workflowInfo } from '@temporalio/workflow';
import { BusinessFailure } from '../../src/domain/failures';
import type { VerificationReason } from '../../src/domain/verification';
import { OrderCancelled, failureDetails, failureType, type OrderRun } from '../order-run';

/**
 * VERIFY (R1.2, R1.3): record the order and check it. An order that fails the check
 * waits for a correction (R1.9) for the correction window, then is cancelled.
 */
export async function verify(order: OrderRun): Promise<void> {
  for (let round = 1; ; round++) {
    const transitions = round === 1 ? [order.prepare('received'), order.prepare('verifying')] : [order.prepare('verifying')];
    try {
      const result = await order.run(
        'verify the order',
        () =>
          order.acts.verifyOrder({
            orderId: order.orderId,
            workflowId: workflowInfo().workflowId,
            fingerprint: order.input.fingerprint,
            draft: order.draft,
            correction: round > 1,
            transitions,
          }),
        [BusinessFailure.OrderVerificationFailed],
      );
      order.apply(...transitions);
      order.number = result.number;
      order.verification = result.verification;
      order.verificationRound = round;
      order.correction = undefined;
      return;
    } catch (err) {
      if (failureType(err) !== BusinessFailure.OrderVerificationFailed) throw err;
      const { number, reasons } = failureDetails<{ number: string; reasons: VerificationReason[] }>(err)!;
      order.apply(...transitions);
      order.number = number;
      await order.moveTo('needs_correction', { reasons });
      order.verification = { ok: false, reasons };
      order.verificationRound = round;
      // Only now may the next correction come: one sent while this one was being
      // checked was refused ("already being checked"), not silently dropped.
      order.correction = undefined;
    }

    const window = order.settings.correctionWindowMs;
    order.ask('correction', window, { reasons: order.verification.reasons });
    const corrected = await condition(() => order.correction !== undefined || order.cancelRequest !== undefined, window, {
      summary: 'correction window',
    });
    order.answered('correction');
    order.throwIfCancelled();
    if (!corrected) throw new OrderCancelled('the order was not corrected within the correction window');
    const { customer, items } = order.correction!;
    order.draft = { ...order.draft, ...(customer ? { customer } : {}), ...(items ? { items } : {}) };
  }
}
