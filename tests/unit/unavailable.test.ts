import { ServiceError } from '@temporalio/client';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { isUnavailable } from '../../src/api/problem';

// What the API answers 503 (send it again) rather than 500 (our bug) or 4xx (your request).

const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
const pg = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isUnavailable', () => {
  it('knows Temporal down or overloaded, however deep the gRPC error is wrapped', () => {
    expect(isUnavailable(new ServiceError('Failed to start workflow', { cause: grpc(14, 'No connection established') }))).toBe(true);
    expect(isUnavailable(new ServiceError('Failed to query', { cause: grpc(4, 'Deadline exceeded') }))).toBe(true);
    expect(isUnavailable(new ServiceError('Too many', { cause: grpc(8, 'namespace rate limit exceeded') }))).toBe(true);
  });

  it('knows Postgres unreachable, shutting down or out of connections', () => {
    expect(isUnavailable(new DrizzleQueryError('select 1', [], pg('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')))).toBe(true);
    expect(isUnavailable(new DrizzleQueryError('select 1', [], pg('57P01', 'terminating connection due to administrator command')))).toBe(true);
    expect(isUnavailable(pg('08006', 'connection failure'))).toBe(true);
    expect(isUnavailable(pg('53300', 'too many connections for role'))).toBe(true);
  });

  it('leaves bugs and refusals alone', () => {
    expect(isUnavailable(new Error('undefined is not a function'))).toBe(false);
    expect(isUnavailable(new ServiceError('bad', { cause: grpc(3, 'invalid argument') }))).toBe(false);
    expect(isUnavailable(new DrizzleQueryError('insert', [], pg('23505', 'duplicate key value')))).toBe(false);
    expect(isUnavailable(undefined)).toBe(false);
  });
});
