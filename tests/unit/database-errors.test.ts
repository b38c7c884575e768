import { ApplicationFailure } from '@temporalio/common';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { DATABASE_FAILURE_TYPE, withoutQueryParameters } from '../../src/temporal/database-errors';

describe('withoutQueryParameters', () => {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "orders_number"'), { code: '23505' });
  const failed = new DrizzleQueryError('insert into "orders" ("customer_name", "line1")\n  values ($1, $2)', ['Ada Lovelace', 'Unter den Linden 1'], cause);

  it("keeps the database's reason, its code and the statement, and drops the parameters", () => {
    const result = withoutQueryParameters(failed);
    expect(result).toBeInstanceOf(ApplicationFailure);
    const failure = result as ApplicationFailure;
    expect(failure.type).toBe(DATABASE_FAILURE_TYPE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('duplicate key value violates unique constraint "orders_number"');
    expect(failure.message).toContain('SQLSTATE 23505');
    expect(failure.message).toContain('insert into "orders" ("customer_name", "line1") values ($1, $2)');
    expect(failure.message).not.toContain('Ada Lovelace');
    expect(failure.message).not.toContain('Unter den Linden');
    expect(failed.message).toContain('Ada Lovelace'); // what would have leaked
  });

  it('passes every other error through unchanged', () => {
    const business = ApplicationFailure.create({ type: 'InsufficientStock', nonRetryable: true, message: 'short' });
    const plain = new Error('socket hang up');
    expect(withoutQueryParameters(business)).toBe(business);
    expect(withoutQueryParameters(plain)).toBe(plain);
  });
});
