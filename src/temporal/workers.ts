import path from 'node:path';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import { createCarrierActivities, createOrderActivities } from '../../activities';
import type { CarrierGateway } from '../carriers/carrier-gateway';
import type { Db } from '../db/client';
import { databaseErrorInterceptor } from './database-errors';

// The workers of orderflow's task queues, built the same way by `npm start`, the
// `workers/` entry points, the tests and the benchmark.

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');

export type WorkflowCode = { workflowsPath: string } | { workflowBundle: { code: string } | { codePath: string } };

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
}

export async function createOrdersWorker(
  deps: WorkerDeps & { db: Db; workflowCode?: WorkflowCode; tuning?: Partial<WorkerOptions> },
): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowCode ?? { workflowsPath: WORKFLOWS_PATH }),
    activities: createOrderActivities({ db: deps.db }),
    interceptors: { activity: [databaseErrorInterceptor] },
    ...deps.tuning,
  });
}

export async function createCarriersWorker(
  deps: WorkerDeps & { carriers: CarrierGateway; ratePerSecond: number; tuning?: Partial<WorkerOptions> },
): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createCarrierActivities(deps.carriers),
    // A carrier throttles whoever calls too fast; this cap holds across all our workers.
    maxTaskQueueActivitiesPerSecond: deps.ratePerSecond,
    ...deps.tuning,
  });
}

/** Runs workers until `stop()`; `stop()` lets in-flight tasks finish first. */
export function runWorkers(workers: Worker[]): { done: Promise<void>; stop(): Promise<void> } {
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    done,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
