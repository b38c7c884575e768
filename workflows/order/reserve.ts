import { condition, patched, setHandler } from '@temporalio/workflow';
import type { AllocationReach, Shortage } from '../../src/domain/allocation';
import { BusinessFailure } from '../../src/domain/failures';
import type { Consignment } from '../../src/domain/shipment';
import { defaultDecision, STOCKOUT_DECISIONS, type StockoutOption } from '../../src/domain/stockout-options';
import { failureDetails, failureType } from '../kit/failures';
import { waitWithinWindow } from '../kit/window';
import { respondToStockout, stockAvailable, type StockDecision } from './messages';
import { closed, describe, invalid, wrongState } from './refusals';
import { OrderCancelled, type OrderRun } from './run';

/**
 * RESERVE (R1.4, R1.8): set the stock aside. When stock is short the customer is offered
 * what is really possible (stockout options, src/domain/stockout-options.ts): wait for
 * the replenishment (the order is back-ordered and tries again when stock arrives),
 * take it from another region's warehouse (beyond RESERVE's reach), take a substitute,
 * ship what is there now and the rest when it comes (partial: the rest is shipped by
 * TRACK as a second fulfilment, partial.ts), or cancel (refunding what was paid). No
 * answer within the stock decision window applies the configured default.
 */

// Runs that began before the options asked only "wait or cancel", and cancelled on silence.
export const STOCKOUT_PATCHES = {
  options: 'stockout-options',
  /** `partial`: the first part reserved now, the rest back-ordered as a second fulfilment. */
  partial: 'stockout-partial',
} as const;

const WINDOW_CLOSED = 'no decision on the stockout within the stock decision window';

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
          return order.acts.reserveStock({ orderId: order.orderId, transitions, ...scope(order) });
        },
        { handles: [BusinessFailure.InsufficientStock] },
      );
      if (state.partialChosen && result.later && result.later.length > 0) {
        state.backOrderedRest = { fulfilment: state.partialChosen.fulfilment, lines: result.later };
      }
      return result.consignments;
    } catch (err) {
      if (failureType(err) !== BusinessFailure.InsufficientStock) throw err;
      const { shortages } = failureDetails<{ shortages: Shortage[] }>(err)!;
      if (!backordered) {
        // A transfer or a substitute changes where (or what) the order takes: try again at once.
        if ((await decideOnStockout(order, shortages)) === 'retry') continue;
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

/** What RESERVE may take from (its reach, agreed transfers) and whether it takes only what is there (partial). */
function scope(order: OrderRun): { reach?: AllocationReach; alsoFrom?: string[]; partial?: { fulfilment: number } } {
  const { state, settings } = order;
  return {
    ...(settings.allocationReach ? { reach: settings.allocationReach } : {}),
    ...(state.stockTransferFrom ? { alsoFrom: state.stockTransferFrom } : {}),
    ...(state.partialChosen ? { partial: state.partialChosen } : {}),
  };
}

/** Asks the customer and acts on the answer: `wait` to back-order, `retry` to reserve again; a cancel throws. */
async function decideOnStockout(order: OrderRun, shortages: Shortage[]): Promise<'wait' | 'retry'> {
  const { state } = order;
  // A partial choice that found nothing left to ship now is asked again.
  state.partialChosen = undefined;
  let options: StockoutOption[] | undefined;
  if (patched(STOCKOUT_PATCHES.options)) {
    // Worked out first, so the status written says what is on offer (GET /v1/orders/{id}).
    const reach = order.settings.allocationReach;
    ({ options } = await order.run('work out the stockout options', () =>
      order.acts.stockoutOptions({ orderId: order.orderId, shortages, leadTimeMs: order.settings.restockLeadTimeMs, ...(reach ? { reach } : {}) }),
    ));
    await order.moveTo('awaiting_stock_decision', { shortages, options });
    state.stockoutOptions = options;
  } else {
    await order.moveTo('awaiting_stock_decision', { shortages });
  }
  const windowMs = order.settings.stockDecisionWindowMs;
  order.ask('stock_decision', windowMs, options ? { shortages, options } : { shortages });
  const decided = await waitWithinWindow({
    windowMs,
    done: () => state.stockDecision !== undefined || state.cancelRequest !== undefined,
    summary: 'stock decision window',
  });
  order.answered('stock_decision');
  // A cancel asked for while the customer decided (POST …/cancel) refunds like the option does.
  if (options && state.cancelRequest) await refund(order, state.cancelRequest.reason);
  order.throwIfCancelled();

  if (!options) {
    if (!decided) throw new OrderCancelled(WINDOW_CLOSED);
    const decision = state.stockDecision!;
    if (decision.decision === 'cancel') throw new OrderCancelled(decision.reason ?? 'the customer chose to cancel after a stockout');
    return 'wait';
  }

  state.stockoutOptions = undefined;
  const decision: StockDecision = decided ? state.stockDecision! : defaulted(options, order);
  switch (decision.decision) {
    case 'cancel': {
      const reason = decision.reason ?? (decided ? 'the customer chose to cancel after a stockout' : WINDOW_CLOSED);
      await refund(order, reason);
      throw new OrderCancelled(reason);
    }
    case 'substitute': {
      const offer = options.flatMap((o) => (o.decision === 'substitute' ? o.substitutes : [])).find((s) => s.sku === decision.substituteSku)!;
      await order.run(`substitute ${offer.sku} for ${offer.forSku}`, () =>
        order.acts.substituteItem({ orderId: order.orderId, sku: offer.forSku, substituteSku: offer.sku }),
      );
      state.draft = {
        ...state.draft,
        items: state.draft.items.map((i) => (i.sku === offer.forSku ? { sku: offer.sku, quantity: i.quantity, unitPrice: i.unitPrice } : i)),
      };
      nextRound(order);
      return 'retry';
    }
    case 'transfer': {
      // The customer agreed to the other region's warehouse: RESERVE may take from it now.
      const offer = options.find((o) => o.decision === 'transfer');
      if (offer) state.stockTransferFrom = [...new Set([...(state.stockTransferFrom ?? []), offer.fromWarehouse])];
      nextRound(order);
      return 'retry';
    }
    case 'partial':
      if (patched(STOCKOUT_PATCHES.partial)) {
        // The rest ships as a fulfilment of its own: its number is taken now, so a retry reuses it.
        const fulfilment = (state.replacements ?? 0) + 1;
        state.replacements = fulfilment;
        state.partialChosen = { fulfilment };
        nextRound(order);
        return 'retry';
      }
      return 'wait';
    default:
      return 'wait';
  }
}

function refund(order: OrderRun, reason: string): Promise<unknown> {
  return order.run('refund what was paid', () => order.acts.refundStockout({ orderId: order.orderId, reason }));
}

/** The configured default when it is on offer, else cancel. */
function defaulted(options: readonly StockoutOption[], order: OrderRun): StockDecision {
  return defaultDecision(options, order.settings.stockoutDefault) === 'wait' ? { decision: 'wait' } : { decision: 'cancel' };
}

/** A decision taken without leaving awaiting_stock_decision: the update waiting on it may answer, and a new question be asked. */
function nextRound(order: OrderRun): void {
  order.state.stockDecision = undefined;
  order.state.stockRound = (order.state.stockRound ?? 0) + 1;
}

/** RESERVE's messages: the customer's answer to a stockout, and news of stock. */
export function reserveMessages(order: OrderRun): void {
  const { state } = order;

  setHandler(
    respondToStockout,
    async (decision) => {
      const round = state.stockRound ?? 0;
      state.stockDecision = decision;
      await condition(() => state.status !== 'awaiting_stock_decision' || (state.stockRound ?? 0) > round);
      return { status: state.status };
    },
    {
      validator: (decision) => {
        if (!STOCKOUT_DECISIONS.includes(decision?.decision)) throw invalid(`decision is one of ${STOCKOUT_DECISIONS.join(', ')}`);
        if (state.status !== 'awaiting_stock_decision' || state.stockDecision) {
          throw wrongState(order, `${describe(order)}; it is not waiting for a stock decision`);
        }
        // The window closed (or a cancel came): the order is on its way to `cancelled`.
        if (!order.isAsking('stock_decision')) throw wrongState(order, `${describe(order)}; ${closed(order, 'the stock decision window has closed')}`);
        notOnOffer(order, decision);
      },
    },
  );

  setHandler(stockAvailable, ({ skus }) => {
    if (!skus || state.draft.items.some((i) => skus.includes(i.sku))) state.stockArrived = true;
  });
}

/** Refuses an answer that is not on offer, naming those that are (runs before the options offered wait or cancel). */
function notOnOffer(order: OrderRun, decision: StockDecision): void {
  const options = order.state.stockoutOptions;
  const offered = options ? options.map((o) => o.decision) : ['wait', 'cancel'];
  if (!offered.includes(decision.decision)) {
    throw wrongState(order, `"${decision.decision}" is not on offer for this stockout; the options are: ${offered.join(', ')}`);
  }
  if (decision.decision === 'substitute') {
    const substitutes = (options ?? []).flatMap((o) => (o.decision === 'substitute' ? o.substitutes : [])).map((s) => s.sku);
    if (typeof decision.substituteSku !== 'string') throw invalid('substituteSku names the substitute');
    if (!substitutes.includes(decision.substituteSku)) {
      throw wrongState(order, `substitute "${decision.substituteSku}" is not on offer for this stockout; the substitutes are: ${substitutes.join(', ')}`);
    }
  }
}
