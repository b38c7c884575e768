import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
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
