import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/temporal/workers';

// A worker for the whole workflow bundle on a task queue of its own, with the activities
// a test hands it (in-memory fakes or the real ones over a test database), and a client
// beside it: on the run's shared dev server, for workflow tests that need no API.

export interface TestWorker {
  client: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startTestWorker(name: string, activities: object): Promise<TestWorker> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const bundle = inject('workflowBundlePath');
  const taskQueue = `${name}-test-${randomBytes(4).toString('hex')}`;
  const native = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: native,
    namespace,
    taskQueue,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
  });
  const running = worker.run().finally(() => native.close());
  const connection = await Connection.connect({ address });
  return {
    client: new Client({ connection, namespace }),
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
