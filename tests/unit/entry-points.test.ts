import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionRefusals } from '../../src/cli/entry-point';
import { loadConfig } from '../../src/config';

// The production entry points (npm run api, npm run worker:*) refuse to make up what every
// process must share or what customers must really receive.

const API = { api: true, workers: [], sandbox: false, outbox: false } as const;
const ORDERS_WORKER = { api: false, workers: ['orders' as const], sandbox: false, outbox: true };
const PROVIDERS = { SMTP_URL: 'smtp://mail.example.com:587', SMS_API_URL: 'https://sms.example.com', SMS_ACCOUNT_SID: 'AC1', SMS_AUTH_TOKEN: 'token' };

describe('production refusals', () => {
  it('the API needs ORDERFLOW_CUSTOMER_ID_SECRET', () => {
    expect(productionRefusals(loadConfig({}), API)).toEqual([expect.stringMatching(/^ORDERFLOW_CUSTOMER_ID_SECRET must be set/)]);
    expect(productionRefusals(loadConfig({ ORDERFLOW_CUSTOMER_ID_SECRET: 'a-secret-of-16-chars' }), API)).toEqual([]);
  });

  it('the outbox needs real mail and SMS providers, or NOTICES_SANDBOX=on', () => {
    expect(productionRefusals(loadConfig({}), ORDERS_WORKER)).toEqual([expect.stringMatching(/^SMTP_URL and SMS_API_URL must be set/)]);
    expect(productionRefusals(loadConfig({ SMTP_URL: PROVIDERS.SMTP_URL }), ORDERS_WORKER)).toEqual([expect.stringMatching(/^SMS_API_URL must be set/)]);
    expect(productionRefusals(loadConfig(PROVIDERS), ORDERS_WORKER)).toEqual([]);
    expect(productionRefusals(loadConfig({ NOTICES_SANDBOX: 'on' }), ORDERS_WORKER)).toEqual([]);
    // A worker without the outbox sends nothing: nothing to refuse.
    expect(productionRefusals(loadConfig({}), { ...ORDERS_WORKER, outbox: false })).toEqual([]);
  });

  it('a real start of the API entry point without ORDERFLOW_CODEC_KEYS stops with exit code 2: each process would make keys of its own', () => {
    const run = startApi({});
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/ORDERFLOW_CODEC_KEYS must be set/);
  });

  it('a real start of the API entry point without ORDERFLOW_CUSTOMER_ID_SECRET stops with exit code 2 and says why', () => {
    const run = startApi({ ORDERFLOW_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/ORDERFLOW_CUSTOMER_ID_SECRET must be set/);
  });
});

/** `npm run api` against a Temporal and a Postgres that are not there: it must stop before it looks. */
function startApi(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/api.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      ORDERFLOW_API_KEYS: 'operator:entry-point-test-key',
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
}
