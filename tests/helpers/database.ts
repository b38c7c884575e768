import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { databaseUrl, withAdmin } from './postgres-server';

// A fresh, migrated database per test file (or per test): a clone of the template that
// global setup migrated once, which takes milliseconds.

export interface TestDatabase {
  database: Database;
  url: string;
  /** Closes and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { maxConnections?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const template = inject('templateDatabase');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(adminUrl, name);
  const database = await openDatabase({ kind: 'postgres', url, maxConnections: options.maxConnections });
  return {
    database,
    url,
    drop: once(async () => {
      await database.close();
      await withAdmin(adminUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
