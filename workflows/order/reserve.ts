import { condition, setHandler } from '@temporalio/workflow';
import type { Shortage } from '../../src/domain/allocation';
import { BusinessFailure } from '../../src/domain/failures';
import type { Consignment } from '../../src/domain/shipment';
import { failureDetails, failureType } from '../kit/failures';
import { waitWithinWindow } from '../kit/window';
import { respondToStockout, stockAvailable } from './messages';
import { closed, describe, invalid, wrongState } from './refusals';
import { OrderCancelled, type OrderRun } from './run';

/**
 * RESERVE (R1.4, R1.8): set the stock aside. When stock is short the customer decides:
 * wait (the order is back-ordered and tries again when stock arrives) or cancel; no
 * answer within the stock decision window cancels the order.
 */
export async function reserve(order: OrderRun): Promise<Consignment[]> {
  const { state } = order;
  order.throwIfCancelled();
  let backordered = false;
  for (;;) {
    // Cleared before trying, so news of stock that comes while we try is not lost.
    state.stockArrived = false;
    try {
      const result = await order.transition(
        'reserve stock',
        'reserved',
        (transitions) => {
          order.undo.register('release reserved stock', 'releaseStock', { orderId: order.orderId });
          return order.acts.reserveStock({ orderId: order.orderId, transitions });
        },
        { handles: [BusinessFailure.InsufficientStock] },
      );
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
      await condition(() => state.stockArrived || state.cancelRequest !== undefined, order.settings.stockRecheckIntervalMs, {
        summary: 'back-ordered: wait for stock',
      });
      order.throwIfCancelled();
    }
  }
}

async function decideOnStockout(order: OrderRun, shortages: Shortage[]): Promise<void> {
  const { state } = order;
  await order.moveTo('awaiting_stock_decision', { shortages });
  const windowMs = order.settings.stockDecisionWindowMs;
  order.ask('stock_decision', windowMs, { shortages });
  const decided = await waitWithinWindow({
    windowMs,
    done: () => state.stockDecision !== undefined || state.cancelRequest !== undefined,
    summary: 'stock decision window',
  });
  order.answered('stock_decision');
  order.throwIfCancelled();
  if (!decided) throw new OrderCancelled('no decision on the stockout within the stock decision window');
  const decision = state.stockDecision!;
  if (decision.decision === 'cancel') {
    throw new OrderCancelled(decision.reason ?? 'the customer chose to cancel after a stockout');
  }
}

/** RESERVE's messages: the customer's answer to a stockout, and news of stock. */
export function reserveMessages(order: OrderRun): void {
  const { state } = order;

  setHandler(
    respondToStockout,
    async (decision) => {
      state.stockDecision = decision;
      await condition(() => state.status !== 'awaiting_stock_decision');
      return { status: state.status };
    },
    {
      validator: (decision) => {
        if (decision.decision !== 'wait' && decision.decision !== 'cancel') throw invalid('decision is wait or cancel');
        if (state.status !== 'awaiting_stock_decision' || state.stockDecision) {
          throw wrongState(order, `${describe(order)}; it is not waiting for a stock decision`);
        }
        // The window closed (or a cancel came): the order is on its way to `cancelled`.
        if (!order.isAsking('stock_decision')) throw wrongState(order, `${describe(order)}; ${closed(order, 'the stock decision window has closed')}`);
      },
    },
  );

  setHandler(stockAvailable, ({ skus }) => {
    if (!skus || state.draft.items.some((i) => skus.includes(i.sku))) state.stockArrived = true;
  });
}
