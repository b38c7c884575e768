import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';

// Errors as RFC 9457 problem details (application/problem+json). Validation problems
// name every field at fault, as a dotted path into the request.

export interface FieldError {
  field: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; type?: string; [key: string]: unknown } = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

export const PROBLEM_TYPE_BASE = 'https://orderflow.dev/problems/';

export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  const at = (path: readonly PropertyKey[]) => [prefix, path.map(String).join('.')].filter(Boolean).join('.') || (prefix ?? 'body');
  return error.issues.flatMap((issue) =>
    // An unknown key is reported against its parent: name the key itself, it is the typo.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: at([...issue.path, key]), message: 'unknown field' }))
      : [{ field: at(issue.path), message: issue.message }],
  );
}

export function validationProblem(error: z.ZodError, where: 'body' | 'query' | 'path' | 'header', status = 422): HttpProblem {
  const errors = fieldErrors(error, where === 'body' ? undefined : where);
  return new HttpProblem(status, 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    type: `${PROBLEM_TYPE_BASE}validation`,
    errors,
  });
}

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  const { type, ...extra } = problem.extra;
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: type ?? 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(instance ? { instance } : {}),
      ...extra,
    });
}

/** Turns anything thrown by a route into a problem; hides internals behind a 500. */
export function problemHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpProblem) return sendProblem(res, err, req.originalUrl);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      return sendProblem(res, new HttpProblem(400, 'Malformed JSON', e.message, { type: `${PROBLEM_TYPE_BASE}malformed-json` }), req.originalUrl);
    }
    if (e?.type === 'entity.too.large') {
      return sendProblem(res, new HttpProblem(413, 'Request body too large'), req.originalUrl);
    }
    const pgCode = (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
    if (pgCode === '22003') {
      return sendProblem(res, new HttpProblem(422, 'Number out of range', 'a quantity or amount would exceed what can be stored'), req.originalUrl);
    }
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendProblem(res, new HttpProblem(e.status, e.message ?? 'Bad request'), req.originalUrl);
    }
    log(`unhandled error on ${req.method} ${req.originalUrl}`, err);
    sendProblem(res, new HttpProblem(500, 'Internal error', 'something went wrong on our side; it has been logged'), req.originalUrl);
  };
}
