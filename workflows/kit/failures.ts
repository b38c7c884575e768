import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

// Reading what went wrong in an activity: business failures carry a type and details
// (typed, non-retryable ApplicationFailures); anything else is the infrastructure's.

/** The type of the business failure behind an activity failure, if it is one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** The details a business failure was raised with (its first detail). */
export function failureDetails<T>(err: unknown): T | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.details?.[0] as T | undefined) : undefined;
}

/** The message an operator reads: the cause's, not the SDK's "activity task failed". */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure) return err.cause?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
