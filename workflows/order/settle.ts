import { collectAfterSettle } from '../collection/start';
import type { OrderRun } from './run';

/** SETTLE (R6.1): post the order's journal to the ledger; the order is complete. */
export async function settle(order: OrderRun): Promise<void> {
  await order.transition(
    'settle the order',
    [{ status: 'settling', detail: { feedback: order.state.feedback ? 'received' : 'window_closed' } }, 'completed'],
    (transitions) => order.acts.settleOrder({ orderId: order.orderId, transitions }),
  );
  // COD and instalment orders: the money still owed is collected by a workflow of its own.
  await collectAfterSettle({ orderId: order.orderId, settlement: order.state.draft.settlement, settings: order.settings.collection });
}
