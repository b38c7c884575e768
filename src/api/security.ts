import express, { type RequestHandler } from 'express';
import { HttpProblem, PROBLEM_TYPE_BASE } from './problem';
import { TokenBuckets } from './rate-limit';

// What every answer of the API carries and what every request is held to: security
// headers, a body limit that names itself, per-key rate limits, and CORS preflights that
// need no key and run no handler.

export interface SecuritySettings {
  /** Largest JSON body accepted, in bytes. */
  bodyLimitBytes: number;
  /** Requests a key may make per minute (a burst of as many, earned back evenly). */
  rateLimitPerMinute: number;
  /** Origins whose browsers may call /v1 (CORS); none by default. */
  corsOrigins: readonly string[];
  /** Send Strict-Transport-Security: the API is served over https (behind a proxy). */
  hsts: boolean;
}

export const DEFAULT_SECURITY: SecuritySettings = { bodyLimitBytes: 1_048_576, rateLimitPerMinute: 600, corsOrigins: [], hsts: false };

/** JSON answers are data, never a page: nothing may load, frame or sniff them. A route serving HTML sets its own CSP. */
export function securityHeaders(settings: Pick<SecuritySettings, 'hsts'>): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    if (settings.hsts) res.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const CORS_HEADERS = 'Authorization, Content-Type, Idempotency-Key';

/**
 * CORS for /v1: an allowed origin's answers say so, and a preflight (OPTIONS) is answered
 * 204 here — before any key is asked for, and without running a route's handler. Other
 * origins get no CORS headers at all, so their browsers refuse to read the answer.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin && allowed.has(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Location, Retry-After' });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': CORS_METHODS, 'Access-Control-Allow-Headers': CORS_HEADERS, 'Access-Control-Max-Age': '600' });
      }
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** The JSON body parser, with a 413 that names the limit. */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, type: () => true });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type === 'entity.too.large') {
        return next(
          new HttpProblem(413, 'Request body too large', `the body may be at most ${limitBytes} bytes`, {
            type: `${PROBLEM_TYPE_BASE}body-too-large`,
            limitBytes,
          }),
        );
      }
      next(err);
    });
}

/** Per API key (its id, after authentication): a token bucket of `perMinute`, in this process's memory. */
export function perKeyRateLimit(perMinute: number): RequestHandler {
  const buckets = new TokenBuckets({ capacity: perMinute, perMs: 60_000 });
  return (req, res, next) => {
    const keyId = req.caller?.keyId;
    if (!keyId) return next();
    const taken = buckets.take(keyId);
    if (taken.ok) return next();
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    res.set('Retry-After', String(seconds));
    next(
      new HttpProblem(429, 'Too many requests', `this API key may make ${perMinute} requests a minute; try again in ${seconds} s`, {
        type: `${PROBLEM_TYPE_BASE}rate-limited`,
        limitPerMinute: perMinute,
        retryAfterSeconds: seconds,
      }),
    );
  };
}
