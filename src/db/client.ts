import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
// Static imports: drizzle must be loaded once, as one module, or `instanceof` on its
// errors fails where another file loaded it the other way (ESM vs CJS).
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { explainDatabaseError } from './errors';
import * as schema from './schema';

// One drizzle database over PostgreSQL (the `postgres` driver): the server in DATABASE_URL
// or the embedded one `npm start` runs (src/db/embedded-postgres.ts).

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The handle a drizzle transaction callback receives; same query surface as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DatabaseTarget {
  kind: 'postgres';
  url: string;
  maxConnections?: number;
}

export interface Database {
  db: Db;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

// Any constant works; it only has to be the same in every orderflow process.
const MIGRATION_LOCK = 7_233_001;

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const client = postgres(target.url, {
    max: target.maxConnections ?? 10,
    onnotice: () => undefined,
    connection: { application_name: 'orderflow' },
  });
  const postgresDb = drizzle(client, { schema });
  const db = postgresDb as unknown as Db;
  return {
    db,
    async migrate() {
      // Replicas starting together must not apply the same migration twice. The lock
      // is held on a connection of its own: drizzle's migrator opens its own transaction.
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migrate(postgresDb, { migrationsFolder: MIGRATIONS_DIR });
      } catch (err) {
        throw explainDatabaseError(err, 'applying the migrations', userOf(target.url));
      } finally {
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
        lock.release();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

function userOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).username) || undefined;
  } catch {
    return undefined;
  }
}
