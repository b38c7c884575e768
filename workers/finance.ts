// Worker for the `finance` task queue: the workflow bundle (settlement and reconciliation
// workflows run here as they arrive) and finance's activities, today the settlement
// posting. Run one or more replicas; they share the queue.
import { runEntryPoint } from '../src/cli/entry-point';

runEntryPoint('finance worker', { workers: ['finance'], api: false, sandbox: false, outbox: false });
