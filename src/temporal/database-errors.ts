import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { DrizzleQueryError } from 'drizzle-orm/errors';

// A failed query's error carries the query's parameters: names, addresses, amounts. Sent
// as it is, it would land in the workflow history and the Web UI, once per retry. This
// keeps what an operator needs (the database's own message and code, which statement)
// and drops the data. Business failures and every other error pass unchanged.

export const DATABASE_FAILURE_TYPE = 'DatabaseError';

export function withoutQueryParameters(err: unknown): unknown {
  if (!(err instanceof DrizzleQueryError)) return err;
  const cause = err.cause as (Error & { code?: string }) | undefined;
  const statement = err.query.replace(/\s+/g, ' ').slice(0, 120);
  const reason = cause ? `${cause.message}${cause.code ? ` (SQLSTATE ${cause.code})` : ''}` : err.message.split('\n')[0];
  // Retryable: a database that refuses now may take the same statement in a moment.
  return ApplicationFailure.create({ type: DATABASE_FAILURE_TYPE, message: `database: ${reason}; in: ${statement}` });
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
