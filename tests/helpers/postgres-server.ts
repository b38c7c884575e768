import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port';

// A throwaway PostgreSQL server for the tests when DATABASE_URL is not set: initdb into a
// temp dir, pg_ctl start on a free port with durability switched off (speed over safety),
// `pg_ctl stop -m immediate` and delete at the end. initdb and postgres refuse to run as
// root, so as root they run as the `postgres` OS user.

export interface PostgresServer {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:5555/postgres */
  url: string;
  stop(): Promise<void>;
}

const DIR_PREFIX = 'orderflow-pg-';
const OWNER_FILE = 'owner.pid';

export async function startPostgres(options: { log?: (msg: string) => void } = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const bin = findBinDir();
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  sweepAbandoned(bin, runAs);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  // Lets a later run tell this dir was abandoned (our process died without stop()).
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const run = (tool: string, args: string[]): Promise<void> => runTool(path.join(bin, tool), args, dir, runAs);

  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    spawnSync(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...spawnOptions(dir, runAs), stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Teardown normally calls stop(); this covers an exit that skips it.
  process.on('exit', stopSync);

  try {
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C', '--no-instructions']);
    const initMs = Date.now() - started;
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=300',
      ].join(' ');
      try {
        await run('pg_ctl', ['-w', '-t', '60', '-D', data, '-l', logFile, '-o', settings, 'start']);
        break;
      } catch (error) {
        // Someone took the port between freePort() and bind: pick another.
        const raced = /could not bind|already in use/i.test(readLog(logFile));
        if (!raced || attempt === 3) throw new Error(`${(error as Error).message}\n${readLog(logFile)}`);
      }
    }
    log(`PostgreSQL (${path.basename(path.dirname(bin))}) on 127.0.0.1:${port} in ${Date.now() - started} ms (initdb ${initMs} ms)`);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        process.off('exit', stopSync);
        if (stopped) return;
        stopped = true;
        await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.off('exit', stopSync);
    stopSync();
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

/** `pg_config --bindir` if it has initdb, else the newest /usr/lib/postgresql/<n>/bin. */
export function findBinDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  const root = '/usr/lib/postgresql';
  const versions = (fs.existsSync(root) ? fs.readdirSync(root) : [])
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions[0] === undefined) {
    throw new Error('PostgreSQL server binaries not found (no pg_config, no /usr/lib/postgresql/*/bin/initdb). Install PostgreSQL or set DATABASE_URL.');
  }
  return path.join(root, versions[0], 'bin');
}

interface RunAs {
  uid: number;
  gid: number;
}

function postgresUser(): RunAs {
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('Running as root, and PostgreSQL refuses to run as root: create a `postgres` OS user or set DATABASE_URL.');
  }
}

interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

function spawnOptions(cwd: string, runAs: RunAs | undefined): ProcessOptions {
  // Node drops root's supplementary groups when uid/gid are set. HOME points at a dir
  // the postgres user can read.
  const env = { ...process.env, HOME: cwd, LC_ALL: 'C' };
  return runAs ? { cwd, env, uid: runAs.uid, gid: runAs.gid } : { cwd, env };
}

function runTool(exe: string, args: string[], cwd: string, runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(exe, args, { ...spawnOptions(cwd, runAs), timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(exe)} failed: ${String(stderr || stdout || error.message).trim()}`));
      else resolve();
    });
  });
}

function readLog(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** Stops and deletes servers of earlier runs whose owning process is gone (killed with -9). */
function sweepAbandoned(bin: string, runAs: RunAs | undefined): void {
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
    const data = path.join(dir, 'data');
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      spawnSync(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...spawnOptions(dir, runAs), stdio: 'ignore' });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
