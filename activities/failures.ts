import { ApplicationFailure } from '@temporalio/common';
import { BusinessFailure, type BusinessFailureType } from '../src/domain/failures';

/** A business failure: typed, non-retryable, with the details the workflow acts on. */
export function businessFailure(type: BusinessFailureType, message: string, details: Record<string, unknown> = {}) {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

export function orderMissing(orderId: string) {
  return businessFailure(BusinessFailure.OrderMissing, `order ${orderId} is not in the database`);
}
