import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { BusinessFailure, type BusinessFailureType } from '../src/domain/failures';

/**
 * A business failure: typed, non-retryable, with the details the workflow acts on.
 * Benign: an order with a wrong price is the process working, not the worker failing,
 * so the SDK logs it at DEBUG and leaves it out of its failure metrics.
 */
export function businessFailure(type: BusinessFailureType, message: string, details: Record<string, unknown> = {}) {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details], category: ApplicationFailureCategory.BENIGN });
}

export function orderMissing(orderId: string) {
  return businessFailure(BusinessFailure.OrderMissing, `order ${orderId} is not in the database`);
}
