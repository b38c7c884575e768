import type { OrderRun } from '../order-run';

/** SETTLE (R6.1): post the order's journal to the ledger; the order is complete. */
export async function settle(order: OrderRun): Promise<void> {
  const transitions = [
    order.prepare('settling', { feedback: order.feedback ? 'received' : 'window_closed' }),
    order.prepare('completed'),
  ];
  await order.run('settle the order', () => order.acts.settleOrder({ orderId: order.orderId, transitions }));
  order.apply(...transitions);
}
