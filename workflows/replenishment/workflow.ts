import { ActivityFailure, ApplicationFailure, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Inbound } from '../../src/domain/replenishment';
import { NeedsAttentionKey } from '../../src/temporal/search-attributes';
import { TRANSFER_SHORT, type ReplenishmentActivities } from './activities';
import { replenishmentView, shortageRaised, stockArrived, type ReplenishmentView, type ReplenishmentWorkflowInput } from './messages';

// One SKU's replenishment at one warehouse (R2.2–R2.6), under replenishment-{sku}-{warehouse}:
// every breach signals-with-start this id, so a second breach while it runs is only
// counted. Plan (transfer from a warehouse with surplus, else a purchase order —
// expedited when orders wait), carry it out, wait durably for its receipt (the receipt
// path wakes the waiting orders), and plan again until the level is back at its safety
// stock. A wait has a deadline — expected arrival plus grace — after which an operator
// is flagged and the workflow ends: nothing waits forever, and the open purchase order
// or transfer still closes the shortage whenever it is received.

const stock = proxyActivities<ReplenishmentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Rounds of plan-and-wait before an operator is asked to look (demand eating every arrival). */
const MAX_ROUNDS = 5;

export async function replenishmentWorkflow(input: ReplenishmentWorkflowInput): Promise<ReplenishmentView> {
  const { sku, warehouse, settings } = input;
  const runKey = workflowInfo().runId;
  const view: ReplenishmentView = { sku, warehouse, status: 'planning', shortages: 0, steps: [] };
  const arrived = new Set<string>();

  setHandler(replenishmentView, () => view);
  setHandler(shortageRaised, () => {
    view.shortages += 1;
  });
  setHandler(stockArrived, ({ id }) => {
    arrived.add(id);
  });

  const flag = async (reason: string, inbound?: Inbound) => {
    view.status = 'flagged';
    view.flagReason = reason;
    upsertSearchAttributes([{ key: NeedsAttentionKey, value: true }]);
    await stock.flagReplenishment({ sku, warehouse, reason, key: `${runKey}:${view.steps.length}`, inbound: inbound && { kind: inbound.kind, id: inbound.id } });
    return view;
  };

  for (let round = 0; round < MAX_ROUNDS; round++) {
    view.status = 'planning';
    const seen = view.shortages;
    const plan = await stock.planReplenishment({ sku, warehouse });
    if (plan.kind === 'enough') {
      // A breach signalled while the figures were read may be newer than them: read again.
      if (view.shortages > seen) continue;
      view.status = 'restocked';
      return view;
    }
    if (plan.kind === 'no_source') return flag(`cannot replenish ${plan.quantity} ${sku} at ${warehouse}: ${plan.reason}`);

    let inbound: Inbound;
    let step: ReplenishmentView['steps'][number];
    if (plan.kind === 'await_inbound') {
      inbound = plan.inbound;
      step = { kind: inbound.kind, id: inbound.id, quantity: inbound.quantity, expectedAt: inbound.expectedAt, outcome: 'waiting' };
    } else if (plan.kind === 'transfer') {
      try {
        inbound = await stock.startTransfer({
          key: `${runKey}:${round}`,
          sku,
          from: plan.from,
          to: warehouse,
          quantity: plan.quantity,
          leadMs: settings.transferLeadTimeMs,
        });
      } catch (err) {
        // The donor's surplus went to its own orders meanwhile: look again.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === TRANSFER_SHORT) continue;
        throw err;
      }
      step = { kind: 'transfer', id: inbound.id, quantity: inbound.quantity, expectedAt: inbound.expectedAt, from: plan.from, outcome: 'waiting' };
    } else {
      inbound = await stock.placePurchaseOrder({
        key: `${runKey}:${round}`,
        sku,
        warehouse,
        quantity: plan.quantity,
        supplier: plan.supplier,
        leadTimeDays: plan.leadTimeDays,
        expedited: plan.expedited,
        expediteCost: plan.expediteCost,
        currency: plan.currency,
        dayMs: settings.dayMs,
      });
      step = {
        kind: 'purchase_order',
        id: inbound.id,
        quantity: inbound.quantity,
        expectedAt: inbound.expectedAt,
        expedited: plan.expedited,
        outcome: 'waiting',
      };
    }
    view.steps.push(step);
    view.status = 'waiting';

    const deadline = Date.parse(inbound.expectedAt) + settings.graceMs;
    const signalled = await condition(() => arrived.has(inbound.id), Math.max(1, deadline - Date.now()));
    // A receipt whose signal was lost (the API could not reach Temporal) is still a receipt.
    if (!signalled && !(await stock.inboundArrived({ kind: inbound.kind, id: inbound.id }))) {
      step.outcome = 'overdue';
      return flag(`${inbound.kind === 'transfer' ? 'transfer' : 'purchase order'} ${inbound.id} of ${inbound.quantity} ${sku} for ${warehouse} was expected by ${inbound.expectedAt} and has not been received`, inbound);
    }
    step.outcome = 'arrived';
  }
  return flag(`${sku} at ${warehouse} is still below its safety stock after ${MAX_ROUNDS} replenishments`);
}
