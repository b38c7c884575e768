import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { Role } from '../config';
import type { Db } from '../db/client';
import { apiKeys } from '../db/schema';
import { HttpProblem } from './problem';

// Bearer API keys, each carrying one role. Admin may do everything. Keys live hashed in
// `api_keys`: those from configuration (ORDERFLOW_API_KEYS or the dev keys) are seeded
// there on first use, others are issued and revoked at run time (routes/api-keys.ts,
// src/cli/keys.ts) with no restart.

export interface Caller {
  role: Role;
  /** A stable, non-secret id of the key: scopes idempotency keys and order ownership per caller. */
  keyId: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The stored hash of a key, and its id: the first 8 bytes of the hash (as before keys were stored). */
export function keyHash(key: string): { hash: string; id: string } {
  const hash = digest(key).toString('hex');
  return { hash, id: hash.slice(0, 16) };
}

/** A new key: 32 random bytes, prefixed with its role so a leaked one is recognisable. */
export function newApiKey(role: Role): string {
  return `of_${role}_${randomBytes(32).toString('base64url')}`;
}

/** How long a known key's verdict is trusted before the table is read again. Revoking through the API clears it at once. */
export const KEY_CACHE_MS = 5_000;
/** last_used_at is written at most this often per key. */
const LAST_USED_EVERY_MS = 60_000;

interface Known {
  caller: Caller;
  hash: Buffer;
  checkedAt: number;
}

export function keyring(deps: { db: Db; keys: readonly { role: Role; key: string }[]; cacheMs?: number }) {
  const { db } = deps;
  const cacheMs = deps.cacheMs ?? KEY_CACHE_MS;
  const cache = new Map<string, Known>();
  let seeded: Promise<void> | undefined;
  // A configuration key counts only while this process is configured with it: one
  // removed from ORDERFLOW_API_KEYS (or a dev key file made anew) stops working.
  const configured = new Set(deps.keys.map((k) => keyHash(k.key).hash));

  /** Configuration keys into the table, once per process; a key revoked there stays revoked. */
  function seed(): Promise<void> {
    seeded ??= (async () => {
      if (deps.keys.length === 0) return;
      const rows = deps.keys.map((k) => ({ ...keyHash(k.key), role: k.role, label: `configuration (${k.role})`, source: 'configuration' as const }));
      await db
        .insert(apiKeys)
        .values(rows)
        .onConflictDoUpdate({ target: apiKeys.id, set: { role: sql`excluded.role` } });
    })().catch((err: unknown) => {
      seeded = undefined;
      throw err;
    });
    return seeded;
  }

  async function identify(presented: string): Promise<Caller | undefined> {
    const hash = digest(presented);
    const hex = hash.toString('hex');
    const known = cache.get(hex);
    const now = Date.now();
    if (known && now - known.checkedAt < cacheMs && timingSafeEqual(known.hash, hash)) return known.caller;
    await seed();
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.hash, hex));
    const refused = !row || row.revokedAt || (row.source === 'configuration' && !configured.has(hex));
    if (refused || !timingSafeEqual(Buffer.from(row.hash, 'hex'), hash)) {
      cache.delete(hex);
      return undefined;
    }
    const caller: Caller = { role: row.role, keyId: row.id };
    cache.set(hex, { caller, hash, checkedAt: now });
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
      // Bookkeeping only: a failure here must not refuse the request.
      void db
        .update(apiKeys)
        .set({ lastUsedAt: new Date(now) })
        .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now - LAST_USED_EVERY_MS)))))
        .catch(() => undefined);
    }
    return caller;
  }

  return {
    identify,
    seed,
    /** Forgets a key's cached verdict (after a revocation in this process). */
    forget(keyId: string) {
      for (const [hex, known] of cache) if (known.caller.keyId === keyId) cache.delete(hex);
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
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpProblem(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    }
    const caller = await ring.identify(match[1]!);
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

/** An API key as listed: never its secret or hash. */
export function apiKeyJson(row: typeof apiKeys.$inferSelect) {
  return {
    id: row.id,
    role: row.role,
    label: row.label,
    source: row.source,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** Issues a new key; the answer is the only place its secret ever appears. */
export async function issueApiKey(db: Db, input: { role: Role; label: string }) {
  const key = newApiKey(input.role);
  const [row] = await db
    .insert(apiKeys)
    .values({ ...keyHash(key), role: input.role, label: input.label, source: 'issued' })
    .returning();
  return { ...apiKeyJson(row!), key };
}

export async function listApiKeys(db: Db) {
  const rows = await db.select().from(apiKeys).orderBy(apiKeys.createdAt, apiKeys.id);
  return rows.map(apiKeyJson);
}

/** Revokes a key at once; revoking a revoked key keeps its first revocation time. Undefined: no such key. */
export async function revokeApiKey(db: Db, id: string) {
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row ? apiKeyJson(row) : undefined;
}
