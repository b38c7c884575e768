import express, { type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Role } from '../config';
import { requireRole, type Caller, type Keyring } from './auth';
import { findTextFaults } from '../domain/safe-text';
import { HttpProblem, PROBLEM_TYPE_BASE, validationProblem, type FieldError } from './problem';
import { jsonBody } from './security';

/** What an Idempotency-Key may be: 1 to 255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

// A route is declared once — path, who may call it, what it accepts — and that one
// declaration wires express, validates the request, and writes the OpenAPI document.

export type Access = readonly Role[] | 'public' | 'carrier-signature';

export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path syntax: /v1/orders/:id */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: B;
  query?: Q;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  responses: Record<number, string>;
  handler: (ctx: {
    req: Request;
    res: Response;
    body: z.output<B>;
    query: z.output<Q>;
    params: Record<string, string>;
    caller?: Caller;
  }) => Promise<void> | void;
}

export function route<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export interface MountOptions {
  /** Largest JSON body, in bytes (1 MiB unless told). */
  bodyLimitBytes?: number;
  /** Runs after a key is checked, before the body is read: the per-key rate limit. */
  afterAuth?: express.RequestHandler;
}

export function mount(router: Router, routes: readonly RouteSpec[], ring: Keyring, options: MountOptions = {}): void {
  for (const spec of routes) {
    const chain: express.RequestHandler[] = [];
    if (Array.isArray(spec.access)) {
      chain.push(requireRole(ring, spec.access as readonly Role[]));
      if (options.afterAuth) chain.push(options.afterAuth);
    }
    if (spec.access === 'carrier-signature') chain.push(express.raw({ type: () => true, limit: '256kb' }));
    else if (spec.body) chain.push(jsonBody(options.bodyLimitBytes ?? 1_048_576));
    chain.push(async (req, res) => {
      refuseUnstorableText(req);
      let body: unknown;
      if (spec.body) {
        const parsed = spec.body.safeParse(req.body ?? {});
        if (!parsed.success) throw validationProblem(parsed.error, 'body');
        body = parsed.data;
      }
      if (spec.idempotent) {
        const key = req.get('idempotency-key');
        // Sent but empty, too long or not printable: refused, not taken as "no key".
        if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
          throw new HttpProblem(422, 'Invalid request', 'Idempotency-Key: 1 to 255 visible ASCII characters', {
            errors: [{ field: 'header.Idempotency-Key', message: '1 to 255 visible ASCII characters' }],
          });
        }
      }
      let query: unknown = {};
      if (spec.query) {
        const parsed = spec.query.safeParse(req.query);
        if (!parsed.success) throw validationProblem(parsed.error, 'query');
        query = parsed.data;
      }
      await spec.handler({ req, res, body, query, params: req.params as Record<string, string>, caller: req.caller });
    });
    router[spec.method](spec.path, ...chain);
  }
}

/**
 * Text Postgres cannot store (a NUL, a lone surrogate) is refused before anything reads
 * it: deep in a body, in a filter, a cursor or a path segment, on every route alike.
 * Body fields are named as zod names them (customer.name); the rest by where they came
 * from (query.status, path.id). A raw body (the carrier webhook) is its route's to check.
 */
function refuseUnstorableText(req: Request): void {
  const errors: FieldError[] = [
    ...findTextFaults(Buffer.isBuffer(req.body) ? undefined : req.body).map((f) => ({ field: f.path.join('.') || 'body', message: f.message })),
    ...findTextFaults(req.query).map((f) => ({ field: ['query', ...f.path].join('.'), message: f.message })),
    ...findTextFaults(req.params).map((f) => ({ field: ['path', ...f.path].join('.'), message: f.message })),
  ];
  if (errors.length > 0) throw textProblem(errors);
}

export function textProblem(errors: FieldError[]): HttpProblem {
  return new HttpProblem(422, 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    type: `${PROBLEM_TYPE_BASE}validation`,
    errors,
  });
}
