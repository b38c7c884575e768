import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { startOrderflow, type RunningOrderflow } from '../../src/service';
import { TASK_QUEUES } from '../../src/temporal/workers';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// The worker set is generic: every task queue in TASK_QUEUES gets a worker in one process,
// a process can run any one of them (workers/*), and each says at start where it listens.

describe('workers', () => {
  let database: TestDatabase;
  let running: RunningOrderflow | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await running?.stop();
    await database?.drop();
  });

  it('a finance worker runs the workflow bundle and the finance activities, and names its Temporal address, namespace and queue', async () => {
    const config = loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: 'workers-test-', CARRIER_SANDBOX: 'off' });
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    const bundle = inject('workflowBundlePath');
    running = await startOrderflow({
      config,
      db: database.database.db,
      temporal: { address, namespace },
      apiKeys: [],
      pieces: { api: false, sandbox: false, outbox: false, workers: ['finance'] },
      workflowCode: bundle ? { workflowBundle: { codePath: bundle } } : undefined,
      log: (line) => lines.push(line),
    });
    expect(running.workers.map((w) => w.options.taskQueue)).toEqual(['workers-test-finance']);
    const [finance] = running.workers;
    expect(finance!.options.workflowBundle).toBeDefined();
    expect([...finance!.options.activities.keys()]).toContain('settleOrder');
    expect(lines).toContain(`worker for task queue workers-test-finance on Temporal ${address}, namespace ${namespace}`);
    expect(TASK_QUEUES.map((q) => [q.name, q.hostsWorkflows])).toEqual([
      ['orders', true],
      ['carriers', false],
      ['finance', true],
    ]);
  });
});
