import { expect } from 'vitest';
import type { ApiResponse } from './stack';

// What every refusal of the API looks like: RFC 9457 problem+json, with the fields at fault.

export const PROBLEM_JSON = /^application\/problem\+json/;

export function expectProblem(res: ApiResponse, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
  expect(res.body).toMatchObject({ status, title: expect.any(String) });
}

/** The fields a problem names as at fault. */
export function fields(res: ApiResponse): string[] {
  return ((res.body?.errors ?? []) as { field: string }[]).map((e) => e.field);
}
