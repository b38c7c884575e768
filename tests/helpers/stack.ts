import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig, type Config, type Role } from '../../src/config';
import type { Db } from '../../src/db/client';
import type { Logger } from '../../src/observability/logger';
import { startOrderflow, type RunningOrderflow } from '../../src/service';
import { TEST_CODEC_KEYS } from './codec';
import { createTestDatabase, type TestDatabase } from './database';

// The real orderflow for a test file: API, workers, carrier sandbox and outbox over a
// fresh database, on the run's shared Temporal server, with task queues of its own.

export const TEST_KEYS: Record<Role, string> = {
  integrator: 'test-integrator-key-0001',
  operator: 'test-operator-key-00001',
  finance: 'test-finance-key-000001',
  carrier: 'test-carrier-key-000001',
  admin: 'test-admin-key-00000001',
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestStack {
  config: Config;
  db: Db;
  database: TestDatabase;
  running: RunningOrderflow;
  apiUrl: string;
  sandboxUrl: string;
  api<T = any>(method: string, url: string, options?: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/** Time runs 100 000 times faster than life: a two-day parcel journey takes about two seconds. */
export const TEST_TIME_SCALE = '0.00001';

export async function startTestStack(
  env: Record<string, string> = {},
  options: { uiCodecToken?: string; logger?: Logger; /** Another Temporal than the run's shared one (a test's own, with its Web UI). */ temporal?: { address: string; namespace: string } } = {},
): Promise<TestStack> {
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-test-'));
  const config = loadConfig({
    PORT: '0',
    CARRIER_SANDBOX_PORT: '0',
    ORDERFLOW_DATA_DIR: dataDir,
    TEMPORAL_TASK_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}-`,
    ORDERFLOW_TIME_SCALE: TEST_TIME_SCALE,
    // Long enough that a test never races a window it is not testing.
    ORDERFLOW_SIGN_OFF_WINDOW: '1000d',
    ORDERFLOW_FEEDBACK_WINDOW: '1000d',
    ORDERFLOW_CORRECTION_WINDOW: '1000d',
    ORDERFLOW_STOCK_DECISION_WINDOW: '1000d',
    ORDERFLOW_INCIDENT_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_SHIP_DATE_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_DELIVERY_CONFIRMATION_WINDOW: '1000d',
    // Orders dispatch unpaid unless a test turns the prepaid wait on (tests/e2e/payments.test.ts).
    ORDERFLOW_REQUIRE_PREPAYMENT: 'off',
    // The fixtures' key: a live history a test keeps can be replayed by another.
    ORDERFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    // Tests poll orders every 50 ms with one key: the per-key rate limit is tested on its own (tests/e2e/operations.test.ts).
    ORDERFLOW_RATE_LIMIT_PER_MINUTE: '100000000',
    ...env,
  });
  const bundle = inject('workflowBundlePath');
  const running = await startOrderflow({
    config,
    db: database.database.db,
    temporal: options.temporal ?? { address: inject('temporalAddress'), namespace: inject('temporalNamespace') },
    apiKeys: Object.entries(TEST_KEYS).map(([role, key]) => ({ role: role as Role, key })),
    workflowCode: bundle ? { workflowBundle: { codePath: bundle } } : undefined,
    uiCodecToken: options.uiCodecToken,
    log: () => undefined,
    logger: options.logger,
  });
  const apiUrl = running.apiUrl!;

  return {
    config,
    db: database.database.db,
    database,
    running,
    apiUrl,
    sandboxUrl: running.sandboxUrl!,
    async api(method, url, options = {}) {
      const key = options.key === undefined ? TEST_KEYS.integrator : options.key;
      const headers: Record<string, string> = { ...options.headers };
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${apiUrl}${url}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async stop() {
      await running.stop();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
