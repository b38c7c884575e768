import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findOnPath } from './locator';
import { ensureSearchAttributes } from './register-search-attributes';

// Runs `temporal server start-dev` as a child process: orderflow's embedded Temporal.
// orderflow may be killed with `kill -9` and restarted right away. On Linux the server
// then gets SIGTERM from the kernel (setpriv --pdeathsig); elsewhere the pid file lets the
// next start stop the stale one. Its SQLite state survives a SIGKILL of the server too.
// Registering stop() on the caller's shutdown hooks is the caller's job.

export interface DevServerOptions {
  /** The `temporal` CLI, from locateTemporalCli. */
  binary: string;
  /** Frontend gRPC port; 0 picks a free one. Default 7233. */
  port?: number;
  /** Web UI port; false = headless; 0 picks a free one. Default: port + 1000 (free one if port is 0). */
  uiPort?: number | false;
  /** Address to bind. Default 127.0.0.1. */
  ip?: string;
  /** SQLite file that keeps state across restarts; undefined = in memory. */
  dbFile?: string;
  /** Default 'default' (which the CLI always creates). */
  namespace?: string;
  /** Name → CLI type name (`Keyword`, `Bool`, …). */
  searchAttributes?: Readonly<Record<string, string>>;
  /** Codec server URL the Web UI calls to decode payloads. */
  uiCodecEndpoint?: string;
  /**
   * Extra dynamic config, key → value (sent as JSON). Tests set
   * `history.timerProcessorMaxTimeShift: '10ms'`: by default no timer fires sooner than 1 s.
   */
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
  /** Server stdout/stderr are appended here; otherwise only the last lines are kept in memory. */
  logFile?: string;
  pidFile?: string;
  log?: (msg: string) => void;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  /** host:port for Connection.connect / NativeConnection.connect. */
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  /** Settles when the server process ends, with how it ended; lets callers notice a crash. */
  exited: Promise<string>;
  /** SIGTERM, up to 10 s grace, then SIGKILL. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port the dev server needs is taken; `envVar` names the setting that chose it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly envVar: string,
    message: string,
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

const DEFAULT_PORT = 7233;
const STOP_GRACE_MS = 10_000;
const MEMORY_LOG_BYTES = 8_000;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const ip = options.ip ?? '127.0.0.1';
  const host = connectHost(ip);
  const namespace = options.namespace ?? 'default';
  const searchAttributes = options.searchAttributes ?? {};

  if (options.pidFile) await stopStaleDevServer(options.pidFile, log);

  const port = await choosePort(ip, options.port ?? DEFAULT_PORT, [], 'TEMPORAL_DEV_PORT', 'Temporal dev server (gRPC)');
  let uiPort: number | undefined;
  if (options.uiPort !== false) {
    const wanted = options.uiPort ?? (options.port === 0 ? 0 : port + 1000);
    uiPort = await choosePort(ip, wanted, [port], 'TEMPORAL_UI_PORT', 'Temporal Web UI');
  }

  if (options.dbFile) fs.mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
  const args = devServerArgs({
    ip,
    port,
    uiPort,
    dbFile: options.dbFile,
    namespace,
    searchAttributes,
    uiCodecEndpoint: options.uiCodecEndpoint,
    dynamicConfig: options.dynamicConfig,
  });
  const output = openOutput(options.logFile);
  const { command, argv } = withParentDeathSignal(options.binary, args);
  const child = spawn(command, argv, { stdio: ['ignore', output.stdio, output.stdio], env: cliEnv(), detached: false });
  output.attach(child);
  await spawned(child);
  const pid = child.pid as number;
  if (options.pidFile) {
    fs.mkdirSync(path.dirname(path.resolve(options.pidFile)), { recursive: true });
    fs.writeFileSync(options.pidFile, `${pid}\n`);
  }

  let exitInfo: string | undefined;
  const exited = new Promise<string>((resolve) => {
    // 'close', not 'exit': by then the last output has arrived, for the error message.
    child.once('close', (code, signal) => {
      exitInfo = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      resolve(exitInfo);
    });
  });
  // Normal exits of the parent (process.exit, end of the event loop) take the server along.
  const onParentExit = (): void => {
    if (exitInfo === undefined) child.kill('SIGTERM');
  };
  process.on('exit', onParentExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        child.kill('SIGTERM');
        if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
          log(`Temporal dev server (pid ${pid}) ignored SIGTERM for ${STOP_GRACE_MS / 1000} s; sending SIGKILL`);
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.off('exit', onParentExit);
      if (options.pidFile) removePidFileIfOurs(options.pidFile, pid);
    })();
    return stopping;
  };

  const address = `${host}:${port}`;
  const failure = (what: string): Error => {
    const tail = output.tail();
    const hint = /address already in use/i.test(tail)
      ? ' A port was taken after we checked it: set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT to free ports (0 picks one).'
      : '';
    return new Error(`Temporal dev server ${what}.${hint}\n${options.logFile ? `Last lines of ${options.logFile}` : 'Last output'}:\n${tail || '(none)'}`);
  };
  try {
    await waitForFrontend(address, namespace, started + (options.readyTimeoutMs ?? 60_000), exited, failure);
    const connection = await Connection.connect({ address });
    try {
      // A --db-filename created before an attribute existed ignores --search-attribute for it.
      const added = await ensureSearchAttributes(connection, namespace, searchAttributes);
      if (added.length > 0) log(`Registered search attributes on the existing Temporal database: ${added.join(', ')}`);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const uiUrl = uiPort === undefined ? undefined : `http://${formatHost(host)}:${uiPort}`;
  log(
    `Temporal dev server ready at ${address} (namespace ${namespace}${uiUrl ? `, Web UI ${uiUrl}` : ''}, ` +
      `${options.dbFile ? `state in ${options.dbFile}` : 'in memory'}, pid ${pid}) after ${Date.now() - started} ms`,
  );
  return { address, uiUrl, namespace, pid, exited, stop };
}

/** The `temporal` arguments for a dev server. Pure; exported for tests. */
export function devServerArgs(o: {
  ip: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace: string;
  searchAttributes: Readonly<Record<string, string>>;
  uiCodecEndpoint?: string;
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--log-level', 'warn'];
  // The dev server would otherwise phone home for a version check at every start.
  args.push('--dynamic-config-value', 'frontend.enableServerVersionCheck=false');
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  if (o.uiPort !== undefined && o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const [key, value] of Object.entries(o.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  for (const [name, type] of Object.entries(o.searchAttributes)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Search attribute name "${name}" is not an identifier`);
    args.push('--search-attribute', `${name}=${type}`);
  }
  return args;
}

/** True when argv (as in /proc/<pid>/cmdline) is a `temporal server start-dev`. */
export function isTemporalDevServerCommand(argv: readonly string[]): boolean {
  const exe = path.basename(argv[0] ?? '');
  return exe.startsWith('temporal') && argv.includes('server') && argv.includes('start-dev');
}

// --- readiness ---------------------------------------------------------------------------

async function waitForFrontend(
  address: string,
  namespace: string,
  deadline: number,
  exited: Promise<string>,
  failure: (what: string) => Error,
): Promise<void> {
  let exit: string | undefined;
  void exited.then((how) => {
    exit = how;
  });
  // Raced against every attempt, so an early exit is reported at once, not after a timeout.
  const died = exited.then((how) => Promise.reject(failure(`${how} before it was ready`)));
  died.catch(() => undefined);
  let lastError = 'no answer yet';
  while (exit === undefined) {
    // A fresh connection per try: a channel that failed early backs off for seconds.
    const connection = Connection.lazy({ address, connectTimeout: 2_000 });
    const attempt = answers(connection, namespace);
    attempt.catch(() => undefined);
    try {
      await Promise.race([attempt, died]);
      return;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await connection.close().catch(() => undefined);
    }
    if (exit !== undefined) break;
    if (Date.now() > deadline) throw failure(`did not answer at ${address} in time (last error: ${lastError})`);
    await sleep(100);
  }
  return died;
}

async function answers(connection: Connection, namespace: string): Promise<void> {
  await connection.ensureConnected();
  await connection.workflowService.getSystemInfo({});
  await connection.workflowService.describeNamespace({ namespace });
}

// --- ports ---------------------------------------------------------------------------------

async function choosePort(ip: string, wanted: number, avoid: number[], envVar: string, what: string): Promise<number> {
  if (wanted !== 0) {
    if (!(await isPortFree(ip, wanted))) {
      const useIt = envVar === 'TEMPORAL_DEV_PORT' ? ` If that is a Temporal server, set TEMPORAL_ADDRESS=${connectHost(ip)}:${wanted} to use it.` : '';
      throw new PortInUseError(
        wanted,
        envVar,
        `${what} port ${wanted} on ${ip} is already in use. Stop whatever listens there, or set ${envVar} to a free port (0 picks one).${useIt}`,
      );
    }
    return wanted;
  }
  for (;;) {
    const port = await pickFreePort(ip);
    if (!avoid.includes(port)) return port;
  }
}

/** Whether ip:port can be bound right now. */
export function isPortFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS considers free on ip. */
export function pickFreePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: ip, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function connectHost(ip: string): string {
  if (ip === '0.0.0.0') return '127.0.0.1';
  if (ip === '::') return '::1';
  return ip;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

// --- processes -----------------------------------------------------------------------------

/** Stops the dev server named in pidFile if it is still running (its parent was killed). */
async function stopStaleDevServer(pidFile: string, log: (msg: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const argv = Number.isInteger(pid) && pid > 0 && isAlive(pid) ? commandLine(pid) : undefined;
  if (argv && isTemporalDevServerCommand(argv)) {
    log(`Stopping a Temporal dev server left running by an earlier run (pid ${pid})`);
    await stopPid(pid, [['SIGTERM', STOP_GRACE_MS], ['SIGKILL', 5_000]], 'the stale Temporal dev server');
  }
  fs.rmSync(pidFile, { force: true });
}

/** Whether pid runs (a zombie does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers signal 0 but is already dead.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/** argv of a running process, from /proc or ps. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // No /proc (macOS): ps gives the same, space-separated.
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    } catch {
      return undefined;
    }
  }
}

/**
 * Stops a process left by an earlier run: each signal of the ladder in turn, waiting its
 * time for the process to go, before the next (the last is usually SIGKILL).
 */
export async function stopPid(pid: number, ladder: readonly [NodeJS.Signals, number][], what: string): Promise<void> {
  const gone = async (ms: number): Promise<boolean> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (!isAlive(pid)) return true;
    return !isAlive(pid);
  };
  for (const [signal, waitMs] of ladder) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
    if (await gone(waitMs)) return;
  }
  throw new Error(`Could not stop ${what} (pid ${pid})`);
}

function removePidFileIfOurs(pidFile: string, pid: number): void {
  try {
    if (fs.readFileSync(pidFile, 'utf8').trim() === String(pid)) fs.rmSync(pidFile, { force: true });
  } catch {
    // already gone
  }
}

let setprivPath: string | null | undefined;

/**
 * On Linux, wrap in `setpriv --pdeathsig <signal>` so the server dies even if we are SIGKILLed.
 * The kernel sends it when the spawning thread ends: call startDevServer from the main thread.
 */
export function withParentDeathSignal(binary: string, args: string[], signal = 'TERM'): { command: string; argv: string[] } {
  if (setprivPath === undefined) {
    setprivPath = null;
    const found = process.platform === 'linux' ? findOnPath('setpriv', process.env.PATH) : [];
    for (const candidate of found) {
      try {
        if (execFileSync(candidate, ['--help'], { encoding: 'utf8' }).includes('--pdeathsig')) setprivPath = candidate;
      } catch {
        // an old util-linux without --pdeathsig
      }
      if (setprivPath) break;
    }
  }
  return setprivPath ? { command: setprivPath, argv: ['--pdeathsig', signal, '--', binary, ...args] } : { command: binary, argv: args };
}

/** orderflow's TEMPORAL_* settings describe the client side; keep them from the CLI's env config. */
function cliEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_')));
}

function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`Cannot start the Temporal CLI: ${error.message}`)));
  });
}

export interface Output {
  stdio: 'pipe' | number;
  attach(child: ChildProcess): void;
  tail(): string;
}

/** The log file (appended, fd handed to the child) or an in-memory tail of piped output. */
export function openOutput(logFile: string | undefined): Output {
  if (logFile) {
    fs.mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
    const fd = fs.openSync(logFile, 'a');
    const from = fs.fstatSync(fd).size;
    return {
      stdio: fd,
      attach: () => fs.closeSync(fd), // the child has its own copy
      tail: () => readTail(logFile, from),
    };
  }
  let buffer = '';
  const keep = (chunk: Buffer): void => {
    buffer = (buffer + chunk.toString()).slice(-MEMORY_LOG_BYTES);
  };
  return {
    stdio: 'pipe',
    attach: (child) => {
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
    },
    tail: () => lastLines(buffer),
  };
}

function readTail(file: string, from: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from, size - MEMORY_LOG_BYTES);
      const data = Buffer.alloc(size - start);
      fs.readSync(fd, data, 0, data.length, start);
      return lastLines(data.toString());
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function lastLines(text: string, count = 20): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Whether `promise` settles within `ms`; leaves no timer behind to hold the process open. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
