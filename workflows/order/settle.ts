import type { OrderRun } from './run';

/** SETTLE (R6.1): post the order's journal to the ledger; the order is complete. */
export async function settle(order: OrderRun): Promise<void> {
  await order.transition(
    'settle the order',
    [{ status: 'settling', detail: { feedback: order.state.feedback ? 'received' : 'window_closed' } }, 'completed'],
    (transitions) => order.acts.settleOrder({ orderId: order.orderId, transitions }),
  );
}
