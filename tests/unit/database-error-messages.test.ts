import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describePostgresError, explainDatabaseError } from '../../src/db/errors';
import { withoutQueryParameters } from '../../src/temporal/database-errors';

// The words a database failure reaches an operator or a new user in: what is missing and
// the statement that adds it, never the query's parameters, whichever copy of drizzle
// threw it (recognised by shape, not by class).

const pg = (code: string, message: string) => Object.assign(new Error(message), { code });

/** A DrizzleQueryError as another copy of drizzle (ESM vs CJS) makes it: not our class. */
class ForeignQueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(',')}`, { cause });
    this.name = 'DrizzleQueryError';
  }
}

describe('database failures in words that say what to fix', () => {
  it('scrubs the parameters of a query error from any copy of drizzle', () => {
    const failed = new ForeignQueryError('insert into "shipments" ("id", "decision") values ($1, $2)', ['s-1', '{"name":"Zebediah Quillfeather"}'], pg('23505', 'duplicate key'));
    const result = withoutQueryParameters(failed) as ApplicationFailure;
    expect(result).toBeInstanceOf(ApplicationFailure);
    expect(result.message).toContain('duplicate key (SQLSTATE 23505)');
    expect(result.message).not.toContain('Zebediah');
    expect(result.nonRetryable).toBe(false);
  });

  it('names the missing privilege on a table and the GRANT, and does not retry what only a person can fix', () => {
    const failed = new ForeignQueryError('insert into "shipments" ("id") values ($1)', ['Zebediah'], pg('42501', 'permission denied for table shipments'));
    const result = withoutQueryParameters(failed) as ApplicationFailure;
    expect(result.message).toContain('lacks INSERT on table shipments: GRANT INSERT ON TABLE shipments TO');
    expect(result.message).not.toContain('Zebediah');
    expect(result.nonRetryable).toBe(true);
  });

  it('explains a missing privilege on the database, a schema, a sequence and ownership', () => {
    expect(describePostgresError(pg('42501', 'permission denied for database orderflow') as never, 'CREATE SCHEMA IF NOT EXISTS "drizzle"', 'app')).toContain(
      'app lacks CREATE on database orderflow (the migrations create a schema): GRANT CREATE ON DATABASE orderflow TO app',
    );
    expect(describePostgresError(pg('42501', 'permission denied for schema public') as never, 'CREATE TABLE "orders" ()', 'app')).toContain(
      'GRANT CREATE ON SCHEMA public TO app',
    );
    expect(describePostgresError(pg('42501', 'permission denied for sequence orders_number_seq') as never, 'insert into orders default values', 'app')).toContain(
      'GRANT USAGE ON SEQUENCE orders_number_seq TO app',
    );
    expect(describePostgresError(pg('42501', 'must be owner of table orders') as never, 'ALTER TABLE orders ADD COLUMN x int', 'app')).toContain(
      'ALTER TABLE orders OWNER TO app',
    );
  });

  it('turns a failed migration into an error naming what was going on; anything else passes', () => {
    const failed = new ForeignQueryError('CREATE SCHEMA IF NOT EXISTS "drizzle"', [], pg('42501', 'permission denied for database orderflow'));
    expect(String(explainDatabaseError(failed, 'applying the migrations', 'app'))).toContain(
      'database error while applying the migrations: permission denied for database orderflow (SQLSTATE 42501): app lacks CREATE',
    );
    const other = new Error('socket hang up');
    expect(explainDatabaseError(other, 'applying the migrations')).toBe(other);
  });
});
