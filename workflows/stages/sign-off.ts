import { condition } from '@temporalio/workflow';
import type { OrderRun } from '../order-run';

/**
 * SIGN-OFF (R5.2, R5.3): the recipient signs through the `signOff` update. When no one
 * signs within the sign-off window, the carrier's proof of delivery stands in.
 */
export async function awaitSignOff(order: OrderRun): Promise<void> {
  const window = order.settings.signOffWindowMs;
  order.ask('sign_off', window);
  const deadline = Date.now() + window;
  while (order.signedOffAt === undefined) {
    if (order.signOffInProgress) {
      // A sign-off is being recorded: wait for it to land, or to fail and be sent again.
      await condition(() => order.signedOffAt !== undefined || !order.signOffInProgress);
      continue;
    }
    const left = deadline - Date.now();
    const signal = () => order.signedOffAt !== undefined || order.signOffInProgress;
    if (left > 0 && (await condition(signal, left, { summary: 'sign-off window' }))) continue;
    const transitions = [order.prepare('signed_off', { method: 'carrier_proof_of_delivery' }), order.prepare('awaiting_feedback')];
    // The window has closed: a customer's sign-off sent while proof of delivery is being
    // recorded is refused, not accepted and then lost to it.
    order.signOffInProgress = true;
    try {
      const { signedAt } = await order.run('record sign-off by proof of delivery', () =>
        order.acts.recordSignOff({ orderId: order.orderId, method: 'carrier_proof_of_delivery', transitions }),
      );
      order.apply(...transitions);
      order.signedOffAt = signedAt;
    } finally {
      order.signOffInProgress = false;
    }
  }
  order.answered('sign_off');
}
