import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { TEST_CODEC_KEYS, failuresIn, testCodec } from '../helpers/codec';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { freePort } from '../helpers/free-port';
import { sampleOrder } from '../helpers/orders';
import { withAdmin } from '../helpers/postgres-server';
import { waitFor } from '../helpers/wait-for';

// The running service as a user runs it (`npm start`'s entry, loaded by tsx as in
// production, not through vitest's module graph, where drizzle is loaded only once and the
// old `instanceof` filter happened to work) against a database whose user may not insert
// orders. The order's first step, which records it with the customer's details, fails;
// what Temporal records and what the order shows an operator must name the missing
// privilege and never carry the customer's data.

const REPO = path.resolve(__dirname, '../..');
const CUSTOMER = {
  name: 'Zebediah Quillfeather',
  email: 'zebediah.quillfeather@example.test',
  phone: '+49 30 9988776',
  address: { line1: 'Quillsnap Lane 77', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
};
const KEYS = { integrator: 'privileges-integrator-key-01', operator: 'privileges-operator-key-001' };

let child: ChildProcess | undefined;
let database: TestDatabase | undefined;
let role: string | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-privileges-'));

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
  await database?.drop();
  if (role) await withAdmin(inject('databaseUrl'), (sql) => sql.unsafe(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the running service with a database user that lacks a privilege', () => {
  it('names the missing privilege and the GRANT in the failure and the attention reason, and leaks no customer data', async () => {
    database = await createTestDatabase();
    role = `app_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(9).toString('hex');
    // Everything an application user needs, except INSERT on orders.
    await withAdmin(database.url, async (sql) => {
      await sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      const dbName = decodeURIComponent(new URL(database!.url).pathname.slice(1));
      await sql.unsafe(`GRANT CREATE ON DATABASE ${dbName} TO ${role}`);
      for (const schema of ['public', 'drizzle', 'carrier_sandbox']) {
        await sql.unsafe(`GRANT ALL ON SCHEMA ${schema} TO ${role}`);
        await sql.unsafe(`GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
        await sql.unsafe(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
      }
      await sql.unsafe(`REVOKE INSERT ON orders FROM ${role}`);
    });
    const appUrl = new URL(database.url);
    appUrl.username = role;
    appUrl.password = password;

    const [port, sandboxPort] = await Promise.all([freePort(), freePort()]);
    const queuePrefix = `priv${randomBytes(3).toString('hex')}-`;
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME ?? os.homedir(),
        DATABASE_URL: appUrl.toString(),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: inject('temporalNamespace'),
        TEMPORAL_TASK_QUEUE_PREFIX: queuePrefix,
        ORDERFLOW_DATA_DIR: dataDir,
        ORDERFLOW_API_KEYS: `integrator:${KEYS.integrator},operator:${KEYS.operator}`,
        ORDERFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
        PORT: String(port),
        CARRIER_SANDBOX_PORT: String(sandboxPort),
        ORDERFLOW_TIME_SCALE: '0.00001',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => {
        if (child!.exitCode !== null) throw new Error(`orderflow exited:\n${output}`);
        return output.includes('ready —');
      },
      { timeoutMs: 120_000, intervalMs: 100, message: `orderflow to start; output so far:\n${output}` },
    );

    const api = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { authorization: `Bearer ${KEYS.integrator}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    // The API answers once the verdict is in or its wait is over; the workflow runs either way.
    const created = await api('POST', '/v1/orders', sampleOrder({ customer: CUSTOMER }));
    expect(created.body.id, JSON.stringify(created)).toBeTruthy();
    const workflowId = `order-${created.body.id as string}`;

    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const client = new Client({ connection, namespace: inject('temporalNamespace'), dataConverter: dataConverterFor(testCodec()) });
      const seen = await waitFor(
        async () => {
          // While a step is being retried, its last failure is what the Web UI shows.
          const { pendingActivities } = (await client.workflow.getHandle(workflowId).describe()).raw;
          for (const failure of await failuresIn(pendingActivities ?? [], testCodec())) {
            const shown = (failure.opened ?? failure.stored).message;
            if (shown.includes(CUSTOMER.name) || shown.includes(CUSTOMER.address.line1)) return { leaked: shown };
          }
          // No row in Postgres to read (the insert is what fails): the workflow's own view.
          const order = await client.workflow.getHandle(workflowId).query<{ needsAttention: boolean; attentionReason?: string }>('view');
          return order.needsAttention ? { order } : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, message: 'the order to need attention' },
      );
      expect(seen.leaked, "customer data in a pending activity's last failure").toBeUndefined();
      const flagged = seen.order;
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const failed = (history.events ?? []).flatMap((e) => (e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : []));
      expect(failed.length).toBeGreaterThan(0);
      // Failure messages are sealed in the history; read them as an operator with the key would.
      const opened = await failuresIn(history.events?.filter((e) => e.activityTaskFailedEventAttributes), testCodec());
      const recorded = JSON.stringify(opened.map((f) => f.opened ?? f.stored));
      const reason = flagged!.attentionReason ?? '';
      for (const text of [recorded, reason]) {
        // The database's message, and what to do about it.
        expect(text).toContain('permission denied for table orders');
        expect(text).toContain(`GRANT INSERT ON TABLE orders TO`);
        // None of the customer's data.
        for (const secret of [CUSTOMER.name, CUSTOMER.email, CUSTOMER.phone, CUSTOMER.address.line1]) expect(text).not.toContain(secret);
      }
    } finally {
      await connection.close();
    }
  }, 240_000);
});
