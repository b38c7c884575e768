import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { startPollingLoop, type PollingLoop } from '../background/polling-loop';
import type { Db } from '../db/client';
import {
  replenishmentWorkflowId,
  shortageRaised,
  stockArrived,
  REPLENISHMENT_WORKFLOW_TYPE,
  type ReplenishmentSettings,
  type ReplenishmentWorkflowInput,
} from '../../workflows/replenishment/messages';
import { alertsAwaitingReplenishment, markReplenishmentStarted } from './alerts';

// From an open shortage alert to its replenishment workflow. Alerts are written inside
// whatever transaction moved the stock (an order's reservation in an activity, an
// adjustment over HTTP); this starts their workflows after the commit, by
// signal-with-start on replenishment-{sku}-{warehouse}: a second breach while one runs
// is a signal to it, never a second workflow. The API sweeps right after its own
// movements; a loop in the service sweeps for the rest, like the outbox.

export interface ReplenishmentStarterDeps {
  db: Db;
  client: Client;
  /** The orders task queue (with its prefix). */
  taskQueue: string;
  settings: ReplenishmentSettings;
  log: (message: string) => void;
}

/** Signals-with-start the replenishment of every open alert not yet started. Returns how many it started. */
export async function startPendingReplenishments(deps: ReplenishmentStarterDeps): Promise<number> {
  const pending = await alertsAwaitingReplenishment(deps.db);
  let started = 0;
  for (const alert of pending) {
    const workflowId = replenishmentWorkflowId(alert.sku, alert.warehouseCode);
    try {
      await deps.client.workflow.signalWithStart<(input: ReplenishmentWorkflowInput) => Promise<unknown>, [{ alertId: string }]>(
        REPLENISHMENT_WORKFLOW_TYPE,
        {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ sku: alert.sku, warehouse: alert.warehouseCode, settings: deps.settings }],
          signal: shortageRaised,
          signalArgs: [{ alertId: alert.id }],
        },
      );
      // Marked after the signal: a crash in between signals once more, which the workflow only counts.
      await markReplenishmentStarted(deps.db, alert.id, workflowId);
      started += 1;
    } catch (err) {
      deps.log(`could not start the replenishment of ${alert.sku} at ${alert.warehouseCode}: ${String(err)}`);
    }
  }
  return started;
}

/** Tells the SKU's replenishment at the warehouse that stock arrived; none running is fine. */
export async function tellReplenishment(
  deps: { client: Client; log: (message: string) => void },
  sku: string,
  warehouse: string,
  arrival: { kind: 'transfer' | 'purchase_order'; id: string },
): Promise<void> {
  try {
    await deps.client.workflow.getHandle(replenishmentWorkflowId(sku, warehouse)).signal(stockArrived, arrival);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    deps.log(`could not tell the replenishment of ${sku} at ${warehouse} that ${arrival.kind} ${arrival.id} arrived: ${String(err)}`);
  }
}

/** Sweeps every `intervalMs` until stopped. */
export function startReplenishmentStarter(deps: ReplenishmentStarterDeps & { intervalMs: number }): PollingLoop {
  return startPollingLoop(
    async () => {
      await startPendingReplenishments(deps);
      return 0;
    },
    {
      intervalMs: deps.intervalMs,
      batch: Number.POSITIVE_INFINITY,
      errorDelayMs: deps.intervalMs,
      onError: (err) => deps.log(`replenishment sweep failed: ${String(err)}`),
    },
  );
}
