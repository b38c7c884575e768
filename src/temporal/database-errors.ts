import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { asPostgresError, describePostgresError, isQueryError, needsAPerson } from '../db/errors';

// A failed query's error carries the query's parameters: names, addresses, amounts. Sent
// as it is, it would land in the workflow history and the Web UI, once per retry. This
// keeps what an operator needs (the database's own message and code, which statement)
// and drops the data. Business failures and every other error pass unchanged. Matched by
// shape (src/db/errors.ts): an `instanceof DrizzleQueryError` here was false in the running
// service, where drizzle was loaded a second time as ESM, and every parameter leaked.

export const DATABASE_FAILURE_TYPE = 'DatabaseError';

export function withoutQueryParameters(err: unknown): unknown {
  if (!isQueryError(err)) return err;
  const cause = asPostgresError(err.cause);
  const statement = err.query.replace(/\s+/g, ' ').slice(0, 120);
  // Without a PostgreSQL error: a system error (a lost connection) says what happened; any
  // other message may quote a value the driver could not encode, so only its class is kept.
  const other = err.cause as (Error & { code?: unknown }) | undefined;
  const reason = cause
    ? describePostgresError(cause, err.query)
    : other instanceof Error
      ? typeof other.code === 'string'
        ? `${other.message} (${other.code})`
        : `${other.name} from the database driver`
      : 'the query failed';
  // Retryable: a database that refuses now may take the same statement in a moment. Not
  // a missing privilege or table (SQLSTATE class 42): retrying that for ten minutes only
  // delays the operator, who sees the fix in the reason and retries once it is done.
  return ApplicationFailure.create({
    type: DATABASE_FAILURE_TYPE,
    message: `database: ${reason}; in: ${statement}`,
    nonRetryable: cause ? needsAPerson(cause) : false,
  });
}

export const databaseErrorInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw withoutQueryParameters(err);
      }
    },
  },
});
