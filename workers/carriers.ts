// Worker for the `carriers` task queue: calls to carriers' APIs, rate-limited across
// all replicas (CARRIER_RATE_LIMIT_PER_SECOND).
import { runEntryPoint } from '../src/cli/entry-point';

runEntryPoint('carriers worker', { workers: ['carriers'], api: false, sandbox: false, outbox: false });
