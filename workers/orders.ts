// Worker for the `orders` task queue: order workflows and the activities that write the
// database. Run as many replicas as load needs; they share the queue.
import { runEntryPoint } from '../src/cli/entry-point';

runEntryPoint('orders worker', { workers: ['orders'], api: false, sandbox: false, outbox: true });
