// The HTTP API on its own, for running replicas behind a load balancer.
import { runEntryPoint } from './entry-point';

runEntryPoint('API', { api: true, workers: [], sandbox: false, outbox: false });
