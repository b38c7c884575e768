import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { CarrierActivities, OrderActivities } from '../activities';
import { BUSINESS_FAILURE_TYPES } from '../src/domain/failures';

// How long and how often each kind of step may be tried before an operator is asked.
// Database steps are quick: retry for about ten minutes. Carrier calls may meet a
// carrier's outage: retry for about half an hour.

const databaseStep: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 25,
    nonRetryableErrorTypes: [...BUSINESS_FAILURE_TYPES],
  },
};

export function orderActivities() {
  return proxyActivities<OrderActivities>(databaseStep);
}

// The fast path for the same steps: run inside the workflow's own worker, with no
// round trip through the Temporal server and one marker in the history instead of three
// events. A few quick tries only; after that the step goes the visible slow way above.
const localDatabaseStep: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...BUSINESS_FAILURE_TYPES],
  },
};

export function localOrderActivities() {
  return proxyLocalActivities<OrderActivities>(localDatabaseStep);
}

export function carrierActivities(taskQueue: string) {
  return proxyActivities<CarrierActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: 40,
      nonRetryableErrorTypes: [...BUSINESS_FAILURE_TYPES],
    },
  });
}
