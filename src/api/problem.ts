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
    if (isUnavailable(err)) {
      log(`${req.method} ${req.originalUrl}: a dependency is unavailable`, err);
      res.set('Retry-After', '5');
      return sendProblem(
        res,
        new HttpProblem(503, 'Service unavailable', 'the database or Temporal did not answer; nothing was changed, send the request again', { retryAfterSeconds: 5 }),
        req.originalUrl,
      );
    }
    log(`unhandled error on ${req.method} ${req.originalUrl}`, err);
    sendProblem(res, new HttpProblem(500, 'Internal error', 'something went wrong on our side; it has been logged'), req.originalUrl);
  };
}

// gRPC codes from Temporal that mean "not now": DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE.
const GRPC_NOT_NOW = new Set([4, 8, 14]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
// SQLSTATE: connection exceptions (08…), the server shutting down (57P01–57P03), too many connections.
const isPostgresNotNow = (code: string) => code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);

/** True when an error (or one it was caused by) says a dependency is down or overloaded, not that the request is wrong. */
export function isUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; details?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number' && typeof e.details === 'string' && GRPC_NOT_NOW.has(e.code)) return true;
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || isPostgresNotNow(e.code))) return true;
  }
  return false;
}
