import fs from 'node:fs';
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

// One drizzle database over either a real Postgres (the `postgres` driver) or embedded
// PGlite. Everything above this file sees the same `Db` type and cannot tell which.

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The handle a drizzle transaction callback receives; same query surface as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type DatabaseTarget = { kind: 'postgres'; url: string; maxConnections?: number } | { kind: 'pglite'; dir?: string };

export interface Database {
  db: Db;
  kind: DatabaseTarget['kind'];
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

// Any constant works; it only has to be the same in every orderflow process.
const MIGRATION_LOCK = 7_233_001;

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const client = postgres(target.url, {
      max: target.maxConnections ?? 10,
      onnotice: () => undefined,
      connection: { application_name: 'orderflow' },
    });
    const postgresDb = drizzle(client, { schema });
    const db = postgresDb as unknown as Db;
    return {
      db,
      kind: 'postgres',
      async migrate() {
        // Replicas starting together must not apply the same migration twice. The lock
        // is held on a connection of its own: drizzle's migrator opens its own transaction.
        const lock = await client.reserve();
        try {
          await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
          await migrate(postgresDb, { migrationsFolder: MIGRATIONS_DIR });
        } finally {
          await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
          lock.release();
        }
      },
      close: () => client.end({ timeout: 5 }),
    };
  }

  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  if (target.dir) fs.mkdirSync(path.dirname(target.dir), { recursive: true });
  const client = target.dir ? await PGlite.create(target.dir) : await PGlite.create();
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR }),
    close: () => client.close(),
  };
}
