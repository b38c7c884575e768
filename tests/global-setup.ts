import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client';
import { startDevServer } from '../src/temporal/dev-server';
import { locateTemporalCli } from '../src/temporal/locator';
import { FAILURE_CONVERTER_PATH } from '../src/temporal/payload-codec';
import { ensureSearchAttributes } from '../src/temporal/register-search-attributes';
import { ORDER_SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { databaseUrl, startPostgres, withAdmin } from './helpers/postgres-server';

// Starts what the whole test run shares, in parallel: a Postgres (or DATABASE_URL) with a
// migrated template database, a Temporal dev server (or TEMPORAL_ADDRESS) with orderflow's
// search attributes, and the workflow bundle, built once instead of once per worker.

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL that may CREATE DATABASE. */
    databaseUrl: string;
    /** Migrated database to clone: CREATE DATABASE x TEMPLATE <templateDatabase>. */
    templateDatabase: string;
    temporalAddress: string;
    temporalNamespace: string;
    /** The Temporal CLI the run found, for tests that start orderflow as a whole (null with TEMPORAL_ADDRESS). */
    temporalCliPath: string | null;
    /** Path of the bundled workflows/ code for Worker.create({ workflowBundle: { codePath } }); null while workflows/index.ts is absent. */
    workflowBundlePath: string | null;
  }
}

const REPO_ROOT = path.resolve(__dirname, '..');
const TEMPLATE_DATABASE = 'orderflow_template';
const RUN_DIR_PREFIX = 'orderflow-test-run-';

type Cleanup = () => Promise<void>;

const log = (msg: string): void => {
  console.log(`[global-setup] ${msg}`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const runDir = makeRunDir();
  const cleanups: Cleanup[] = [];
  const teardown = async (): Promise<void> => {
    const results = await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
    for (const r of results) if (r.status === 'rejected') log(`teardown: ${String(r.reason)}`);
    fs.rmSync(runDir, { recursive: true, force: true });
  };

  // allSettled, not all: whatever did start must be stopped even when another part failed.
  const [database, temporal, bundle] = await Promise.allSettled([
    timed('database', () => setupDatabase(cleanups)),
    timed('temporal', () => setupTemporal(cleanups, runDir)),
    timed('workflow bundle', () => bundleWorkflows(runDir)),
  ]);
  if (database.status === 'rejected' || temporal.status === 'rejected' || bundle.status === 'rejected') {
    const reasons = [database, temporal, bundle].flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
    await teardown();
    throw reasons.length === 1 ? reasons[0] : new AggregateError(reasons, `global setup failed: ${reasons.map(String).join('; ')}`);
  }

  project.provide('databaseUrl', database.value.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('temporalAddress', temporal.value.address);
  project.provide('temporalNamespace', temporal.value.namespace);
  project.provide('temporalCliPath', temporal.value.binary);
  project.provide('workflowBundlePath', bundle.value);
  log(`ready in ${Date.now() - started} ms`);
  return teardown;
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  log(`${what}: ${Date.now() - started} ms`);
  return result;
}

async function setupDatabase(cleanups: Cleanup[]): Promise<{ adminUrl: string }> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const server = await startPostgres({ log });
    cleanups.push(server.stop);
    adminUrl = server.url;
  } else {
    // On a shared server, leave no template behind; a private one is deleted whole.
    cleanups.push(() => withAdmin(adminUrl as string, dropTemplate));
  }

  // A leftover template may predate the current migrations: build it afresh every run.
  await withAdmin(adminUrl, async (sql) => {
    await dropTemplate(sql);
    await sql.unsafe(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  });
  const template = await openDatabase({ kind: 'postgres', url: databaseUrl(adminUrl, TEMPLATE_DATABASE) });
  try {
    await template.migrate();
  } finally {
    await template.close();
  }
  // No connections allowed from now on: a stray one would make every clone fail.
  await withAdmin(adminUrl, (sql) => sql.unsafe(`ALTER DATABASE ${TEMPLATE_DATABASE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`));
  return { adminUrl };
}

async function dropTemplate(sql: postgres.Sql): Promise<void> {
  const rows = await sql`select 1 from pg_database where datname = ${TEMPLATE_DATABASE}`;
  if (rows.length === 0) return;
  await sql.unsafe(`ALTER DATABASE ${TEMPLATE_DATABASE} WITH IS_TEMPLATE false`);
  await sql.unsafe(`DROP DATABASE ${TEMPLATE_DATABASE} WITH (FORCE)`);
}

async function setupTemporal(cleanups: Cleanup[], runDir: string): Promise<{ address: string; namespace: string; binary: string | null }> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    // Someone else's server: start nothing, only make sure our search attributes exist.
    const connection = await Connection.connect({ address: existing });
    try {
      const added = await ensureSearchAttributes(connection, namespace);
      log(`using Temporal at ${existing} (namespace ${namespace})${added.length ? `; registered ${added.join(', ')}` : ''}`);
    } finally {
      await connection.close();
    }
    return { address: existing, namespace, binary: null };
  }

  const binary = await locateTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, projectDir: REPO_ROOT, log });
  const server = await startDevServer({
    binary,
    port: 0,
    uiPort: false,
    namespace,
    searchAttributes: ORDER_SEARCH_ATTRIBUTES,
    logFile: path.join(runDir, 'temporal.log'),
    log,
  });
  cleanups.push(server.stop);
  return { address: server.address, namespace, binary };
}

async function bundleWorkflows(runDir: string): Promise<string | null> {
  const workflowsPath = path.join(REPO_ROOT, 'workflows', 'index.ts');
  if (!fs.existsSync(workflowsPath)) {
    log('workflows/index.ts does not exist yet: no workflow bundle');
    return null;
  }
  // Loaded only when needed: @temporalio/worker pulls in webpack and the native bridge.
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  // The explicit file, not require.resolve('../workflows'): vitest runs this file through
  // Vite, where `require` is Node's own and does not resolve .ts files.
  // The bundler's default logger prints every webpack step; keep warnings.
  // With orderflow's failure converter, as a worker bundling on its own would be: failures
  // raised in workflow code keep their message sealed too.
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  const file = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(file, code);
  return file;
}

/**
 * A temp dir for this run's files (Temporal log, workflow bundle), deleted at teardown.
 * Dirs of earlier runs that were killed before their teardown are deleted here.
 */
function makeRunDir(): string {
  for (const name of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(RUN_DIR_PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    let owner: number;
    try {
      owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8').trim());
    } catch {
      continue; // being created right now
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_DIR_PREFIX));
  fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
