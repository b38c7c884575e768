import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/client';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { EMBEDDED_DATABASE } from '../../src/db/provide';
import { isAlive } from '../../src/temporal/dev-server';
import { sandboxShipments } from '../../src/db/sandbox-schema';
import { shipments } from '../../src/db/schema';
import { freePort } from '../helpers/free-port';
import { databaseUrl } from '../helpers/postgres-server';
import { FEEDBACK, SIGN_OFF, isSubsequence, sampleOrder } from '../helpers/orders';
import { waitFor } from '../helpers/wait-for';

// `npm start` as a user runs it — one process group hosting the Temporal dev server,
// embedded Postgres, API, workers and carrier sandbox — killed with kill -9 mid-order and
// started again on the same data directory: the order completes, booked once.

const REPO = path.resolve(__dirname, '../..');
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function npmStart(env: Record<string, string>): Started {
  let output = '';
  const child = spawn('npm', ['start'], {
    cwd: REPO,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? os.homedir(), ...env },
    // Its own process group, like a shell job: kill -9 -<pgid> takes everything down.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function ready(run: Started, apiUrl: string): Promise<void> {
  await waitFor(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`npm start exited:\n${run.output()}`);
      const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
      return res?.ok === true && run.output().includes('ready —');
    },
    { timeoutMs: 120_000, intervalMs: 200, message: 'npm start to be ready' },
  );
}

describe('npm start, killed with kill -9 mid-order and started again', () => {
  it('completes the order with one shipment booked, not two', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-durability-'));
    const [port, sandboxPort, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const cli = inject('temporalCliPath');
    const env: Record<string, string> = {
      ORDERFLOW_DATA_DIR: dataDir,
      PORT: String(port),
      CARRIER_SANDBOX_PORT: String(sandboxPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ORDERFLOW_TIME_SCALE: '0.00002',
      ORDERFLOW_SIGN_OFF_WINDOW: '1000d',
      ORDERFLOW_FEEDBACK_WINDOW: '1000d',
      // Its order dispatches unpaid: restarts are this test's business, not payments.
      ORDERFLOW_REQUIRE_PREPAYMENT: 'off',
      ...(cli ? { TEMPORAL_CLI_PATH: cli } : {}),
    };
    const apiUrl = `http://127.0.0.1:${port}`;

    const first = npmStart(env);
    await ready(first, apiUrl);
    const keys = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as Record<string, string>;
    const api = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${keys.integrator}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    const created = await api('POST', '/v1/orders', sampleOrder({ externalId: 'durability-1' }));
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    // Kill as the shipment is planned: the booking is in flight or about to be.
    const seen = await waitFor(
      async () => {
        const { body } = await api('GET', `/v1/orders/${id}`);
        return ['planned', 'dispatched', 'in_transit'].includes(body.status) ? body.status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5, message: 'the order to be planned' },
    );
    const postmasterPid = path.join(dataDir, 'postgres', 'postmaster.pid');
    const postgresPid = Number(fs.readFileSync(postmasterPid, 'utf8').split('\n')[0]);
    killGroup(first.child, 'SIGKILL');
    await first.exited;
    await waitFor(() => !groupAlive(first.child), { timeoutMs: 10_000, message: 'every process of the group to be gone' });
    // PostgreSQL runs in a group of its own (so Ctrl-C reaches orderflow first); it must
    // not outlive a kill -9 of orderflow all the same.
    await waitFor(() => !isAlive(postgresPid), { timeoutMs: 30_000, message: 'the embedded PostgreSQL to end with orderflow' });

    // Same data directory, same ports: nothing stale may stop the restart.
    const second = npmStart(env);
    await ready(second, apiUrl);
    const delivered = await waitFor(
      async () => {
        const { body } = await api('GET', `/v1/orders/${id}`);
        return body.status === 'delivered' ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'the order to be delivered after the restart' },
    );
    expect((await api('POST', `/v1/orders/${id}/sign-off`, SIGN_OFF(delivered.number))).status).toBe(200);
    expect((await api('POST', `/v1/orders/${id}/feedback`, FEEDBACK)).status).toBe(200);
    const done = await waitFor(
      async () => {
        const { body } = await api('GET', `/v1/orders/${id}`);
        return body.status === 'completed' ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the order to complete' },
    );
    const statuses = done.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['verifying', 'reserved', 'planned', 'dispatched', 'in_transit', 'delivered', 'signed_off', 'completed'], statuses)).toBe(true);
    expect(done.shipments).toHaveLength(1);

    // Ctrl-C stops it cleanly (PostgreSQL too: no lock left), and then the embedded
    // database can be read directly.
    killGroup(second.child, 'SIGINT');
    await second.exited;
    expect(second.output()).toContain('stopped');
    expect(fs.existsSync(postmasterPid)).toBe(false);
    const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') });
    const database = await openDatabase({ kind: 'postgres', url: databaseUrl(server.adminUrl, EMBEDDED_DATABASE) });
    try {
      const ours = await database.db.select().from(shipments).where(eq(shipments.orderId, id));
      expect(ours).toHaveLength(1);
      const booked = await database.db.select().from(sandboxShipments).where(eq(sandboxShipments.reference, ours[0]!.id));
      expect(booked).toHaveLength(1);
      expect(booked[0]!.trackingNumber).toBe(done.shipments[0].trackingNumber);
    } finally {
      await database.close();
      await server.stop();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(seen).toBeTruthy();
  }, 300_000);
});

describe('npm start with a bad setting', () => {
  it('stops at once with a message naming the variable', async () => {
    const run = npmStart({ ORDERFLOW_TIME_SCALE: 'fast', ORDERFLOW_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-badenv-')) });
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toContain('ORDERFLOW_TIME_SCALE');
  });
});
