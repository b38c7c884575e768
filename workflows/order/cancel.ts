import { condition, log, setHandler } from '@temporalio/workflow';
import { handedOver } from './exceptions';
import { cancel, type CancelReply } from './messages';
import { restCancellable } from './partial';
import { describe, invalid, wrongState } from './refusals';
import { OrderCancelled, type OrderRun } from './run';

/** The customer's cancel once the first part of a partial delivery is with the carrier: the rest still waiting is given up (track.ts takes it). */
async function cancelRestOnly(order: OrderRun, reason: string): Promise<CancelReply> {
  const { state } = order;
  state.restCancelRequest ??= { reason };
  state.restCancelRefused = undefined;
  await condition(() => state.restCancelled !== undefined || state.restCancelRefused !== undefined);
  if (!state.restCancelled) throw wrongState(order, `${describe(order)}; the goods are with the carrier and ${state.restCancelRefused}, so it can no longer be cancelled`);
  return { status: state.status, cancelled: { what: 'rest', ...state.restCancelled } };
}

// Cancelling an order: asked for by the customer (the `cancel` update), an operator, a
// closed window, or a stockout; taken at the next safe point, where what the order
// holds is given back before it is written as cancelled.

/** Ends the order as cancelled: undo what it holds, then write the end. */
export async function endCancelled(order: OrderRun, reason: string): Promise<void> {
  log.info('order cancelled', { orderId: order.orderId, reason });
  // From here a failing step waits for an operator; the cancel request that brought us
  // here is not an answer to it (it would skip giving the stock back).
  order.state.ending = true;
  try {
    await order.undo.run();
  } catch (err) {
    // An operator chose to stop undoing: what could be undone, was.
    if (!(err instanceof OrderCancelled)) throw err;
  }
  for (;;) {
    try {
      await order.moveTo('cancelled', { reason });
      return;
    } catch (err) {
      // An operator cannot cancel the cancellation: it is written on their next answer.
      if (!(err instanceof OrderCancelled)) throw err;
    }
  }
}

/** The customer's cancel: taken until a carrier has the goods (a booking is voided first). */
export function cancelMessages(order: OrderRun): void {
  const { state } = order;
  setHandler(
    cancel,
    async ({ reason }) => {
      // The first part is with the carrier: only the rest still waiting can go (partial.ts).
      if (state.shipments.some(handedOver) || state.status === 'delivery_exception') return cancelRestOnly(order, reason);
      state.cancelRequest ??= { reason };
      state.cancelRefused = undefined;
      // After booking, the carrier is asked to void first; it may already have the parcel.
      await condition(() => order.isFinal || state.cancelRefused !== undefined);
      if (!order.isFinal) throw wrongState(order, `${describe(order)}; it can no longer be cancelled: ${state.cancelRefused}`);
      return { status: state.status };
    },
    {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || reason.trim() === '') throw invalid('a cancellation needs a reason');
        if (order.isFinal) throw wrongState(order, describe(order));
        if ((state.shipments.some(handedOver) || state.status === 'delivery_exception') && !restCancellable(state)) {
          throw wrongState(order, `${describe(order)}; the goods are with the carrier, so it can no longer be cancelled`);
        }
      },
    },
  );
}
