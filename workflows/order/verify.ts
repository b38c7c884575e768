import { condition, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { BusinessFailure } from '../../src/domain/failures';
import { orderSearchFields } from '../../src/domain/order';
import type { VerificationReason } from '../../src/domain/verification';
import { CustomerIdKey, OrderNumberKey, RegionKey } from '../../src/temporal/search-attributes';
import { failureDetails, failureType } from '../kit/failures';
import { waitWithinWindow } from '../kit/window';
import { unresolved } from './exceptions';
import { awaitVerification, correctOrder } from './messages';
import { closed, describe, intakeReply, invalid, wrongState } from './refusals';
import { OrderCancelled, type OrderRun } from './run';

/** Patch id: orders corrected before it kept their pre-correction CustomerId and Region. */
export const SEARCH_FIELDS_FOLLOW_CORRECTION = 'search-fields-follow-correction';
/** Patch id: orders corrected before it upserted the customer's key (an e-mail) as CustomerId. */
export const OPAQUE_CUSTOMER_ID = 'opaque-customer-id';
/** Patch id: orders started before intake took their number learn it from VERIFY. */
export const ORDER_NUMBER_FROM_VERIFY = 'order-number-from-verify';

/** An order started without its number (before intake took one) shows it once VERIFY has it. */
function showNumber(order: OrderRun, round: number): void {
  const { state } = order;
  if (round !== 1 || state.input.number || !state.number) return;
  if (patched(ORDER_NUMBER_FROM_VERIFY)) upsertSearchAttributes([{ key: OrderNumberKey, value: state.number }]);
}

/**
 * VERIFY (R1.2, R1.3): record the order and check it. An order that fails the check
 * waits for a correction (R1.9) for the correction window, then is cancelled.
 */
export async function verify(order: OrderRun): Promise<void> {
  const { state } = order;
  for (let round = 1; ; round++) {
    try {
      const result = await order.transition(
        'verify the order',
        round === 1 ? ['received', 'verifying'] : ['verifying'],
        (transitions) =>
          order.acts.verifyOrder({
            orderId: order.orderId,
            workflowId: workflowInfo().workflowId,
            fingerprint: state.input.fingerprint,
            draft: state.draft,
            correction: round > 1,
            ...(state.input.number ? { number: state.input.number } : {}),
            transitions,
          }),
        // A failed check is recorded too: the order exists, with its number, and says why.
        { handles: [BusinessFailure.OrderVerificationFailed], writtenDespite: [BusinessFailure.OrderVerificationFailed] },
      );
      state.number = result.number;
      showNumber(order, round);
      state.verification = result.verification;
      state.verificationRound = round;
      state.correction = undefined;
      return;
    } catch (err) {
      if (failureType(err) !== BusinessFailure.OrderVerificationFailed) throw err;
      const { number, reasons } = failureDetails<{ number: string; reasons: VerificationReason[] }>(err)!;
      state.number = number;
      showNumber(order, round);
      await order.moveTo('needs_correction', { reasons });
      state.verification = { ok: false, reasons };
      state.verificationRound = round;
      // Only now may the next correction come: one sent while this one was being
      // checked was refused ("already being checked"), not silently dropped.
      state.correction = undefined;
    }

    const windowMs = order.settings.correctionWindowMs;
    order.ask('correction', windowMs, { reasons: state.verification.reasons });
    const corrected = await waitWithinWindow({
      windowMs,
      done: () => state.correction !== undefined || state.cancelRequest !== undefined,
      summary: 'correction window',
    });
    order.answered('correction');
    order.throwIfCancelled();
    if (!corrected) throw new OrderCancelled('the order was not corrected within the correction window');
    applyCorrection(order);
  }
}

function applyCorrection(order: OrderRun): void {
  const { state } = order;
  const { customer, items, customerRef } = state.correction!;
  state.draft = { ...state.draft, ...(customer ? { customer } : {}), ...(items ? { items } : {}) };
  // Operators filter by who the order is for and where it goes: follow the correction.
  if (customer && patched(SEARCH_FIELDS_FOLLOW_CORRECTION)) {
    const fields = orderSearchFields(state.draft);
    // Workflow code cannot key a hash: the API sends the opaque id with the correction.
    const customerId = patched(OPAQUE_CUSTOMER_ID) ? customerRef : fields.customerId;
    upsertSearchAttributes([
      ...(customerId !== undefined ? [{ key: CustomerIdKey, value: customerId }] : []),
      { key: RegionKey, value: fields.region },
    ]);
  }
}

/** The address problem waiting for a corrected address, if any. */
function awaitingAddress(order: OrderRun) {
  return unresolved(order.state).find((i) => i.waitingFor === 'address_correction');
}

/** VERIFY's messages: the create's wait for the verdict, and a correction (R1.9). */
export function verifyMessages(order: OrderRun): void {
  const { state } = order;

  setHandler(awaitVerification, async (request) => {
    await condition(() => state.verificationRound > 0 || order.isFinal);
    return intakeReply(order, request.requestId === state.input.requestId);
  });

  setHandler(
    correctOrder,
    async (correction) => {
      const addressProblem = awaitingAddress(order);
      if (addressProblem && state.status !== 'needs_correction') {
        // R1.9 during delivery: the new address is checked, then the parcels re-routed.
        const round = state.addressCorrectionRound ?? 0;
        state.addressCorrection = { incidentId: addressProblem.id, customer: correction.customer! };
        await condition(() => (state.addressCorrectionRound ?? 0) > round || order.isFinal);
        return { ...intakeReply(order, false), verification: state.addressCorrectionResult ?? { ok: false, reasons: [] } };
      }
      const round = state.verificationRound;
      state.correction = correction;
      await condition(() => state.verificationRound > round || order.isFinal);
      return intakeReply(order, false);
    },
    {
      validator: (correction) => {
        if (awaitingAddress(order) && state.status !== 'needs_correction') {
          if (!correction.customer || correction.items) throw invalid('during an address problem only the customer (address and contact) can be corrected');
          if (state.addressCorrection) throw wrongState(order, 'a corrected address is already being checked');
          return;
        }
        if (state.status !== 'needs_correction') throw wrongState(order, `${describe(order)}; only an order that needs correction can be corrected`);
        if (state.correction) throw wrongState(order, 'a correction is already being checked');
        // The window closed (or a cancel came): the order is on its way to `cancelled`.
        if (!order.isAsking('correction')) throw wrongState(order, `${describe(order)}; ${closed(order, 'the correction window has closed')}`);
        if (!correction.customer && !correction.items) throw invalid('a correction changes the customer, the items, or both');
      },
    },
  );
}
