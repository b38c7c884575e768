import path from 'node:path';
import postgres from 'postgres';
import type { Config } from '../config';
import { startEmbeddedPostgres } from './embedded-postgres';

// The database for `npm start` (and the bench, the seed CLI): the server in DATABASE_URL,
// or else an embedded PostgreSQL of our own with its data in the data directory.

export const EMBEDDED_DATABASE = 'orderflow';

export interface DatabaseForOrderflow {
  url: string;
  /** For the log: where the data is, without the password. */
  description: string;
  embedded: boolean;
  /** Resolves, saying how, if an embedded server ends without being stopped. */
  lost: Promise<string>;
  stop(): Promise<void>;
}

export async function provideDatabase(config: Config, options: { log: (message: string) => void; ephemeral?: boolean }): Promise<DatabaseForOrderflow> {
  const target = config.database;
  if (target.kind === 'postgres') {
    const url = new URL(target.url);
    url.password = url.password ? '***' : '';
    return { url: target.url, description: `DATABASE_URL ${url.toString()}`, embedded: false, lost: new Promise<string>(() => undefined), stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres({
    dataDir: target.dir,
    port: target.port,
    portVariable: 'EMBEDDED_POSTGRES_PORT',
    ephemeral: options.ephemeral,
    logFile: path.join(config.dataDir, 'postgres.log'),
    log: options.log,
  });
  try {
    const admin = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
    try {
      const [found] = await admin`select 1 as one from pg_database where datname = ${EMBEDDED_DATABASE}`;
      if (!found) await admin.unsafe(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = new URL(server.adminUrl);
  url.pathname = `/${EMBEDDED_DATABASE}`;
  let stopping = false;
  return {
    url: url.toString(),
    description: `embedded PostgreSQL ${server.version} in ${target.dir} (DATABASE_URL=${url.toString()} lets \`npm run api\` or a worker share it)`,
    embedded: true,
    lost: server.exited.then((how) => (stopping ? new Promise<string>(() => undefined) : how)),
    stop: () => {
      stopping = true;
      return server.stop();
    },
  };
}
