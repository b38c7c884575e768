import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Role } from '../config';
import { HttpProblem } from './problem';

// Bearer API keys, each carrying one role. Admin may do everything.

export interface Caller {
  role: Role;
  /** A stable, non-secret id of the key: scopes idempotency keys per caller. */
  keyId: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export function keyring(keys: readonly { role: Role; key: string }[]) {
  const entries = keys.map((k) => ({ role: k.role, hash: digest(k.key) }));
  return {
    identify(presented: string): Caller | undefined {
      const hash = digest(presented);
      const match = entries.find((e) => timingSafeEqual(e.hash, hash));
      return match ? { role: match.role, keyId: hash.subarray(0, 8).toString('hex') } : undefined;
    },
  };
}

export type Keyring = ReturnType<typeof keyring>;

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export function requireRole(ring: Keyring, roles: readonly Role[]): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpProblem(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    }
    const caller = ring.identify(match[1]!);
    if (!caller) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpProblem(401, 'Unauthorized', 'the API key is not valid');
    }
    if (caller.role !== 'admin' && !roles.includes(caller.role)) {
      throw new HttpProblem(403, 'Forbidden', `the ${caller.role} role may not do this; allowed: ${[...roles, 'admin'].join(', ')}`);
    }
    req.caller = caller;
    next();
  };
}
