import { condition } from '@temporalio/workflow';
import type { Consignment } from '../../activities/inventory';
import type { Shortage } from '../../src/domain/allocation';
import { BusinessFailure } from '../../src/domain/failures';
import { OrderCancelled, failureDetails, failureType, type OrderRun } from '../order-run';

/**
 * RESERVE (R1.4, R1.8): set the stock aside. When stock is short the customer decides:
 * wait (the order is back-ordered and tries again when stock arrives) or cancel; no
 * answer within the stock decision window cancels the order.
 */
export async function reserve(order: OrderRun): Promise<Consignment[]> {
  order.throwIfCancelled();
  let backordered = false;
  for (;;) {
    // Cleared before trying, so news of stock that comes while we try is not lost.
    order.stockArrived = false;
    const reserved = order.prepare('reserved');
    order.onCancel('release reserved stock', () => order.acts.releaseStock({ orderId: order.orderId }));
    try {
      const result = await order.run(
        'reserve stock',
        () => order.acts.reserveStock({ orderId: order.orderId, transitions: [reserved] }),
        [BusinessFailure.InsufficientStock],
      );
      order.apply(reserved);
      return result.consignments;
    } catch (err) {
      if (failureType(err) !== BusinessFailure.InsufficientStock) throw err;
      const { shortages } = failureDetails<{ shortages: Shortage[] }>(err)!;
      if (!backordered) {
        await decideOnStockout(order, shortages);
        await order.moveTo('backordered', { shortages });
        backordered = true;
        // Stock may have come in while the customer decided: try again at once.
        continue;
      }
      await condition(() => order.stockArrived || order.cancelRequest !== undefined, order.settings.stockRecheckIntervalMs, {
        summary: 'back-ordered: wait for stock',
      });
      order.throwIfCancelled();
    }
  }
}

async function decideOnStockout(order: OrderRun, shortages: Shortage[]): Promise<void> {
  await order.moveTo('awaiting_stock_decision', { shortages });
  const window = order.settings.stockDecisionWindowMs;
  order.ask('stock_decision', window, { shortages });
  const decided = await condition(() => order.stockDecision !== undefined || order.cancelRequest !== undefined, window, {
    summary: 'stock decision window',
  });
  order.answered('stock_decision');
  order.throwIfCancelled();
  if (!decided) throw new OrderCancelled('no decision on the stockout within the stock decision window');
  const decision = order.stockDecision!;
  if (decision.decision === 'cancel') {
    throw new OrderCancelled(decision.reason ?? 'the customer chose to cancel after a stockout');
  }
}
