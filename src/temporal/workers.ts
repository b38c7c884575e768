import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createCarrierActivities, createFinanceActivities, createOrderActivities } from '../../activities';
import type { CarrierGateway } from '../carriers/carrier-gateway';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { databaseErrorInterceptor } from './database-errors';
import { dataConverterFor } from './payload-codec';

// The workers of orderflow's task queues, built the same way by `npm start`, the
// `workers/` entry points, the tests and the benchmark. A task queue is a line in
// TASK_QUEUES: its name in the configuration, the activities it hosts, whether it hosts
// the workflow bundle (every workflow workflows/index.ts exports), and its tuning.
// Adding a workflow does not touch this file; adding a queue adds a line.

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');

export type WorkflowCode = { workflowsPath: string } | { workflowBundle: { code: string } | { codePath: string } };

export type TaskQueueName = keyof Config['temporal']['taskQueues'];

/** What activity factories are built from; the carrier gateway only once it is needed. */
export interface ActivityDeps {
  db: Db;
  carriers(): CarrierGateway;
}

export interface TaskQueueDefinition {
  name: TaskQueueName;
  /** Whether its workers run workflow tasks (the whole bundle) as well as activities. */
  hostsWorkflows: boolean;
  activities(deps: ActivityDeps, config: Config): object;
  /** Activities that touch the database have its errors scrubbed of query parameters. */
  usesDatabase: boolean;
  tuning?(config: Config): Partial<WorkerOptions>;
}

export const TASK_QUEUES: readonly TaskQueueDefinition[] = [
  {
    // Order workflows and the activities that write the database.
    name: 'orders',
    hostsWorkflows: true,
    activities: ({ db }, config) => createOrderActivities({ db, allocationReach: config.orderSettings.allocationReach }),
    usesDatabase: true,
  },
  {
    // Calls to carriers' APIs.
    name: 'carriers',
    hostsWorkflows: false,
    activities: ({ carriers }) => createCarrierActivities(carriers()),
    usesDatabase: false,
    // A carrier throttles whoever calls too fast; this cap holds across all our workers.
    tuning: (config) => ({ maxTaskQueueActivitiesPerSecond: config.carriers.rateLimitPerSecond }),
  },
  {
    // Settlement, reconciliation and reports: finance's workflows and their activities.
    name: 'finance',
    hostsWorkflows: true,
    activities: ({ db }) => createFinanceActivities({ db }),
    usesDatabase: true,
  },
];

export function taskQueueDefinition(name: TaskQueueName): TaskQueueDefinition {
  const definition = TASK_QUEUES.find((q) => q.name === name);
  if (!definition) throw new Error(`no task queue named ${name}`);
  return definition;
}

export interface CreateWorkerOptions {
  definition: TaskQueueDefinition;
  config: Config;
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** Seals every payload the worker sends and opens those it receives. */
  codec: PayloadCodec;
  workflowCode?: WorkflowCode;
  tuning?: Partial<WorkerOptions>;
}

/** A worker for one task queue, as its definition says. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { definition, config } = options;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: config.temporal.taskQueues[definition.name],
    dataConverter: dataConverterFor(options.codec),
    ...(definition.hostsWorkflows ? (options.workflowCode ?? { workflowsPath: WORKFLOWS_PATH }) : {}),
    activities: definition.activities(options.deps, config),
    ...(definition.usesDatabase ? { interceptors: { activity: [databaseErrorInterceptor] } } : {}),
    ...definition.tuning?.(config),
    ...options.tuning,
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
