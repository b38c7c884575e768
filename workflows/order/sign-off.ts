import { ApplicationFailure, condition, setHandler, uuid4 } from '@temporalio/workflow';
import { checkSignOff } from '../../src/domain/sign-off';
import { waitWithinWindow } from '../kit/window';
import { activeShipments, incidentsOf, unresolved } from './exceptions';
import { signOff } from './messages';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';

/**
 * SIGN-OFF (R5.2, R5.3): the recipient signs through the `signOff` update. When no one
 * signs within the sign-off window, the carrier's proof of delivery stands in — but only
 * for goods nobody reported damaged. Damaged or short goods (the recipient says so, or
 * anyone reports it) open a delivery exception instead: 'exception' sends the order back
 * to run it, and it comes back here if anything is still to be signed for.
 */
export async function awaitSignOff(order: OrderRun): Promise<'signed' | 'exception'> {
  const { state } = order;
  const windowMs = order.settings.signOffWindowMs;
  order.ask('sign_off', windowMs);
  const troubled = () => (state.exceptionInbox?.length ?? 0) > 0 || unresolved(state).length > 0;
  const signed = await waitWithinWindow({
    windowMs,
    done: () => state.signedOffAt !== undefined || troubled(),
    // A sign-off is being recorded: wait for it to land, or to fail and be sent again.
    busy: () => state.signOffInProgress,
    summary: 'sign-off window',
  });
  if (state.signedOffAt === undefined && troubled()) {
    order.answered('sign_off');
    return 'exception';
  }
  if (!signed) await signByProofOfDelivery(order);
  order.answered('sign_off');
  return 'signed';
}

async function signByProofOfDelivery(order: OrderRun): Promise<void> {
  const { state } = order;
  // The window has closed: a customer's sign-off sent while proof of delivery is being
  // recorded is refused, not accepted and then lost to it.
  state.signOffInProgress = true;
  try {
    // The carrier's proof covers what it delivered and nobody reported damaged or lost.
    const excluded = state.shipments.filter((s) => s.closedAs).map((s) => s.shipmentId);
    const detail = excluded.length > 0 ? { method: 'carrier_proof_of_delivery', excludedShipments: excluded } : { method: 'carrier_proof_of_delivery' };
    const { signedAt } = await order.transition(
      'record sign-off by proof of delivery',
      [{ status: 'signed_off', detail }, 'awaiting_feedback'],
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
      if (!check.ok && check.code === 'goods_not_accepted') {
        // R5.2: the recipient does not sign for damaged or short goods; they report them,
        // and the order runs the damaged-goods playbook (replacement or refund).
        const incidentId = uuid4();
        (state.exceptionInbox ??= []).push({ incidentId, kind: 'damaged', reportedBy: 'customer', detail: check.message.replace(/^cannot sign off: /, '').replace(/; report a delivery exception instead$/, '') });
        // Answered once the incident is written and the order shows it.
        await condition(() => {
          const incident = incidentsOf(state).find((i) => i.id === incidentId);
          return order.isFinal || (incident !== undefined && (incident.status === 'resolved' || state.status === 'delivery_exception'));
        });
        return { status: state.status, incidentId };
      }
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
        if (!check.ok && check.code !== 'goods_not_accepted') throw invalid(check.message, { code: check.code });
        if (activeShipments(state).length === 0) throw wrongState(order, `${describe(order)}; nothing is left to sign for`);
      },
    },
  );
}
