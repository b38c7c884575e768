import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { checkSignOff } from '../../src/domain/sign-off';
import { waitWithinWindow } from '../kit/window';
import { signOff } from './messages';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';

/**
 * SIGN-OFF (R5.2, R5.3): the recipient signs through the `signOff` update. When no one
 * signs within the sign-off window, the carrier's proof of delivery stands in.
 */
export async function awaitSignOff(order: OrderRun): Promise<void> {
  const { state } = order;
  const windowMs = order.settings.signOffWindowMs;
  order.ask('sign_off', windowMs);
  const signed = await waitWithinWindow({
    windowMs,
    done: () => state.signedOffAt !== undefined,
    // A sign-off is being recorded: wait for it to land, or to fail and be sent again.
    busy: () => state.signOffInProgress,
    summary: 'sign-off window',
  });
  if (!signed) await signByProofOfDelivery(order);
  order.answered('sign_off');
}

async function signByProofOfDelivery(order: OrderRun): Promise<void> {
  const { state } = order;
  // The window has closed: a customer's sign-off sent while proof of delivery is being
  // recorded is refused, not accepted and then lost to it.
  state.signOffInProgress = true;
  try {
    const { signedAt } = await order.transition(
      'record sign-off by proof of delivery',
      [{ status: 'signed_off', detail: { method: 'carrier_proof_of_delivery' } }, 'awaiting_feedback'],
      (transitions) => order.acts.recordSignOff({ orderId: order.orderId, method: 'carrier_proof_of_delivery', transitions }),
    );
    state.signedOffAt = signedAt;
  } finally {
    state.signOffInProgress = false;
  }
}

/** SIGN-OFF's message: the recipient's sign-off with proof of identity and order. */
export function signOffMessages(order: OrderRun): void {
  const { state } = order;
  const orderRef = () => ({ id: order.orderId, number: state.number, externalId: state.draft.externalId });

  setHandler(
    signOff,
    async (proof) => {
      const check = checkSignOff(proof, orderRef());
      if (!check.ok) throw invalid(check.message, { code: check.code });
      state.signOffInProgress = true;
      try {
        // Straight to the activity, not a step: the customer is waiting for the answer,
        // and a failure is theirs to send again, not an operator's to retry.
        const { signedAt } = await order.statuses.transition(
          [{ status: 'signed_off', detail: { method: 'customer', recipientName: proof.recipientName } }, 'awaiting_feedback'],
          (transitions) =>
            order.acts.recordSignOff({ orderId: order.orderId, method: 'customer', proof, credentialHint: check.credentialHint, transitions }),
        );
        state.signedOffAt = signedAt;
        return { status: state.status, signedAt };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw ApplicationFailure.create({ type: 'SignOffNotRecorded', message: 'the sign-off could not be recorded; send it again' });
      } finally {
        state.signOffInProgress = false;
      }
    },
    {
      validator: (proof) => {
        if (state.status !== 'delivered' || state.signedOffAt || state.signOffInProgress) {
          throw wrongState(order, `${describe(order)}; an order can be signed off once, after it is delivered`);
        }
        const check = checkSignOff(proof, orderRef());
        if (!check.ok) throw invalid(check.message, { code: check.code });
      },
    },
  );
}
