import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers log their state changes at INFO; tests want only what went wrong.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this process
}
