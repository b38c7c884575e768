import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { carrierWebhookSecret, deriveCarrierSecret } from '../../src/carriers/webhook-signature';
import { ConfigError, loadConfig } from '../../src/config';

// Every setting comes from the environment; a bad value is reported by the name the
// user typed. The tests pass an explicit env, never process.env.

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('runs on defaults with an empty environment: port 3000, embedded PostgreSQL under .data on a free port, real time', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1', publicUrl: undefined });
    expect(config.dataDir).toBe(path.resolve('.data'));
    expect(config.database).toEqual({ kind: 'embedded', dir: path.join(path.resolve('.data'), 'postgres'), port: 0 });
    expect(config.timeScale).toBe(1);
    expect(config.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      devServerPort: 7233,
      uiPort: 8233,
      tls: false,
      taskQueues: { orders: 'orders', carriers: 'carriers', finance: 'finance' },
    });
    expect(config.apiKeys).toBeUndefined();
    expect(config.carriers).toMatchObject({ sandbox: true, sandboxPort: 3001 });
    expect(config.logLevel).toBe('info');
    expect(config.orderSettings).toEqual({
      correctionWindowMs: 3 * 86_400_000,
      stockDecisionWindowMs: 2 * 86_400_000,
      stockRecheckIntervalMs: 3_600_000,
      stockoutDefault: 'cancel',
      restockLeadTimeMs: 7 * 86_400_000,
      allocationReach: 'country',
      signOffWindowMs: 7 * 86_400_000,
      feedbackWindowMs: 7 * 86_400_000,
      trackingPollIntervalMs: 12 * 3_600_000,
      trackingStallAfterMs: 10 * 86_400_000,
      incidentResponseWindowMs: 3 * 86_400_000,
      presumeLostAfterMs: 14 * 86_400_000,
      shipDateResponseWindowMs: 2 * 86_400_000,
      deliveryConfirmationWindowMs: 86_400_000,
      returnWaitMs: 30 * 86_400_000,
      delayCompensation: { kind: 'percent', basisPoints: 1000 },
      requirePrepayment: true,
      prepaymentWindowMs: 3 * 86_400_000,
      collection: {
        codRemittanceWindowMs: 14 * 86_400_000,
        codRemittanceGraceMs: 7 * 86_400_000,
        instalmentCount: 3,
        instalmentIntervalMs: 30 * 86_400_000,
        dunningIntervalMs: 7 * 86_400_000,
      },
    });
  });

  it('scales the collection windows (R6.1) and reads the instalment count', () => {
    const { collection } = loadConfig({ ORDERFLOW_TIME_SCALE: '0.001', ORDERFLOW_INSTALMENT_COUNT: '6', ORDERFLOW_COD_REMITTANCE_WINDOW: '10d' }).orderSettings;
    expect(collection).toMatchObject({ codRemittanceWindowMs: 864_000, instalmentCount: 6, instalmentIntervalMs: 2_592_000 });
    expect(() => loadConfig({ ORDERFLOW_INSTALMENT_COUNT: '0' })).toThrow(/ORDERFLOW_INSTALMENT_COUNT/);
  });

  it('reads the delay compensation policy, and names the variable when it is not one', () => {
    expect(loadConfig({ ORDERFLOW_DELAY_COMPENSATION: 'fixed:500' }).orderSettings.delayCompensation).toEqual({ kind: 'fixed', amount: 500 });
    expect(loadConfig({ ORDERFLOW_DELAY_COMPENSATION: 'none' }).orderSettings.delayCompensation).toEqual({ kind: 'none' });
    expect(loadConfig({ ORDERFLOW_DELAY_COMPENSATION: '12.5%' }).orderSettings.delayCompensation).toEqual({ kind: 'percent', basisPoints: 1250 });
    expect(() => loadConfig({ ORDERFLOW_DELAY_COMPENSATION: '150%' })).toThrow(/ORDERFLOW_DELAY_COMPENSATION: "150%" is not a compensation policy/);
    expect(() => loadConfig({ ORDERFLOW_DELAY_COMPENSATION: 'half' })).toThrow(/ORDERFLOW_DELAY_COMPENSATION/);
  });

  it('scales every waiting window by ORDERFLOW_TIME_SCALE', () => {
    const config = loadConfig({ ORDERFLOW_TIME_SCALE: '0.001' });
    expect(config.timeScale).toBe(0.001);
    expect(config.orderSettings.feedbackWindowMs).toBe(604_800);
    expect(config.orderSettings.correctionWindowMs).toBe(259_200);
    expect(config.orderSettings.stockRecheckIntervalMs).toBe(3_600);
    // Never scaled to zero: a zero timer would mean "no wait".
    expect(loadConfig({ ORDERFLOW_TIME_SCALE: '0.000000001' }).orderSettings.stockRecheckIntervalMs).toBe(1);
  });

  it('reads a window written as a duration, then scales it', () => {
    const config = loadConfig({ ORDERFLOW_FEEDBACK_WINDOW: '36h', ORDERFLOW_SIGN_OFF_WINDOW: '90s', ORDERFLOW_TIME_SCALE: '0.5' });
    expect(config.orderSettings.feedbackWindowMs).toBe(18 * 3_600_000);
    expect(config.orderSettings.signOffWindowMs).toBe(45_000);
  });

  it('runs the embedded PostgreSQL on EMBEDDED_POSTGRES_PORT when set', () => {
    expect(loadConfig({ EMBEDDED_POSTGRES_PORT: '5433' }).database).toMatchObject({ kind: 'embedded', port: 5433 });
  });

  it('uses Postgres when DATABASE_URL is set', () => {
    for (const url of ['postgres://orderflow:secret@db:5432/orderflow', 'postgresql://db/orderflow']) {
      expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
    }
  });

  it('parses ORDERFLOW_API_KEYS as role:key pairs separated by commas', () => {
    expect(loadConfig({ ORDERFLOW_API_KEYS: 'integrator:shop-key-123, finance:fin-key-4567,admin:adm1n-k3y' }).apiKeys).toEqual([
      { role: 'integrator', key: 'shop-key-123' },
      { role: 'finance', key: 'fin-key-4567' },
      { role: 'admin', key: 'adm1n-k3y' },
    ]);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({
      PORT: '',
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      ORDERFLOW_API_KEYS: '',
      ORDERFLOW_TIME_SCALE: '',
      ORDERFLOW_FEEDBACK_WINDOW: '',
      TEMPORAL_TASK_QUEUE_PREFIX: '',
    });
    expect(config).toEqual(loadConfig({}));
  });

  it('prefixes the three task queue names with TEMPORAL_TASK_QUEUE_PREFIX', () => {
    expect(loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: 'staging-' }).temporal.taskQueues).toEqual({
      orders: 'staging-orders',
      carriers: 'staging-carriers',
      finance: 'staging-finance',
    });
    expect(configError({ TEMPORAL_TASK_QUEUE_PREFIX: 'a b' }).message).toContain('TEMPORAL_TASK_QUEUE_PREFIX');
  });

  it('connects to an existing Temporal server given as host:port, and uses TLS when given a cert or an API key', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }).temporal.address).toBe('temporal.internal:7233');
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal.tls).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem' }).temporal.tls).toBe(true);
    expect(configError({ TEMPORAL_TLS_CERT_PATH: '/c.pem' }).message).toContain('TEMPORAL_TLS_KEY_PATH');
  });

  const bad: [variable: string, value: string][] = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['ORDERFLOW_TIME_SCALE', '0'],
    ['ORDERFLOW_TIME_SCALE', '-1'],
    ['ORDERFLOW_TIME_SCALE', 'x'],
    ['DATABASE_URL', 'mysql://orderflow@db/orderflow'],
    ['DATABASE_URL', 'not a url'],
    ['ORDERFLOW_API_KEYS', 'boss:xyz'],
    ['ORDERFLOW_API_KEYS', 'integrator:short'],
    ['ORDERFLOW_API_KEYS', 'integrator'],
    ['ORDERFLOW_API_KEYS', 'integrator:shop-key-123,'],
    ['ORDERFLOW_FEEDBACK_WINDOW', 'soon'],
    ['ORDERFLOW_FEEDBACK_WINDOW', '0d'],
    ['ORDERFLOW_CORRECTION_WINDOW', '7'],
    ['TEMPORAL_ADDRESS', 'nohost'],
    ['TEMPORAL_ADDRESS', 'host:port'],
    ['LOG_LEVEL', 'verbose'],
    ['CARRIER_SANDBOX', 'yes'],
    ['ORDERFLOW_PUBLIC_URL', 'ftp://example.com'],
    ['EMBEDDED_POSTGRES_PORT', '70000'],
    ['EMBEDDED_POSTGRES_PORT', 'five'],
  ];
  for (const [variable, value] of bad) {
    it(`refuses ${variable}=${value} with a ConfigError that names ${variable}`, () => {
      const error = configError({ [variable]: value });
      expect(error.name).toBe('ConfigError');
      expect(error.message).toContain(`${variable}:`);
    });
  }

  it('refuses a carrier API without webhook secrets of its own, one per carrier, and names the variable', () => {
    const real = { CARRIER_SANDBOX: 'off', CARRIER_API_URL: 'https://api.carrier.example' };
    expect(configError(real).message).toContain('CARRIER_WEBHOOK_SECRETS:');
    // One secret for every carrier is what let one carrier sign another's events.
    expect(configError({ ...real, CARRIER_WEBHOOK_SECRET: 'agreed-with-the-carrier-0001' }).message).toContain('CARRIER_WEBHOOK_SECRETS:');

    const csv = loadConfig({ ...real, CARRIER_WEBHOOK_SECRETS: 'swiftship=swiftship-secret-0001, terraline=terraline-secret-0001' });
    expect(carrierWebhookSecret(csv.carriers.webhookSecrets, 'swiftship')).toBe('swiftship-secret-0001');
    expect(carrierWebhookSecret(csv.carriers.webhookSecrets, 'terraline')).toBe('terraline-secret-0001');
    expect(carrierWebhookSecret(csv.carriers.webhookSecrets, 'budgetpost')).toBeUndefined();
    const json = loadConfig({ ...real, CARRIER_WEBHOOK_SECRETS: '{"swiftship":"swiftship-secret-0001"}' });
    expect(carrierWebhookSecret(json.carriers.webhookSecrets, 'swiftship')).toBe('swiftship-secret-0001');

    for (const bad of ['swiftship=short', 'swiftship', 'Swift Ship=swiftship-secret-0001', 'a=aaaaaaaaaaaaaaaa,a=bbbbbbbbbbbbbbbb', '{"swiftship":1}', '[]']) {
      const message = configError({ ...real, CARRIER_WEBHOOK_SECRETS: bad }).message;
      expect(message).toContain('CARRIER_WEBHOOK_SECRETS:');
      expect(message).not.toContain('aaaaaaaaaaaaaaaa');
    }

    // The sandbox: each carrier's secret derived from the one dev secret, all different.
    const sandbox = loadConfig({}).carriers.webhookSecrets;
    const swift = carrierWebhookSecret(sandbox, 'swiftship');
    expect(swift).toBe(deriveCarrierSecret('orderflow-sandbox-webhook-secret', 'swiftship'));
    expect(swift).not.toBe(carrierWebhookSecret(sandbox, 'terraline'));
  });

  it('reports every bad variable at once', () => {
    const message = configError({ PORT: 'abc', ORDERFLOW_TIME_SCALE: '0', TEMPORAL_ADDRESS: 'nohost' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('ORDERFLOW_TIME_SCALE');
    expect(message).toContain('TEMPORAL_ADDRESS');
  });

  // Config errors end up in terminal output and logs: a key with a mistyped role must not.
  it('never prints an API key in the error for a malformed ORDERFLOW_API_KEYS', () => {
    const secret = 'Zq8rT2vX9kLm4Np7';
    for (const keys of [`admn:${secret}`, `admin:${secret}:x`, `integrator:ok-key-123,operatr:${secret}`]) {
      const message = configError({ ORDERFLOW_API_KEYS: keys }).message;
      expect(message).toContain('ORDERFLOW_API_KEYS');
      expect(message).not.toContain(secret.slice(0, 8));
    }
  });

  // Number(' ') is 0, which would mean "any free port".
  it('treats a PORT of only spaces as unset, never as port 0', () => {
    expect(loadConfig({ PORT: ' ' }).http.port).toBe(3000);
  });
});

describe('notification settings', () => {
  it('writes e-mail to <data dir>/mail and sends SMS to the sandbox by default', () => {
    const n = loadConfig({ ORDERFLOW_DATA_DIR: '/srv/of' }).notifications;
    expect(n).toMatchObject({
      smtpUrl: undefined,
      mailDir: path.resolve('/srv/of/mail'),
      mailFrom: 'orderflow <no-reply@orderflow.local>',
      operatorEmail: 'operators@orderflow.local',
      sms: { apiUrl: undefined, from: '+15005550006', sandboxDir: path.resolve('/srv/of/sms') },
      retryBaseMs: 30_000,
    });
  });

  it('reads SMTP_URL, an SMS provider with its credentials, and a retry base', () => {
    const n = loadConfig({
      SMTP_URL: 'smtps://u:p@mail.example.com:465',
      SMS_API_URL: 'https://api.twilio.com',
      SMS_ACCOUNT_SID: 'AC1',
      SMS_AUTH_TOKEN: 'tok',
      NOTIFICATION_RETRY_BASE: '5s',
    }).notifications;
    expect(n).toMatchObject({ smtpUrl: 'smtps://u:p@mail.example.com:465', sms: { apiUrl: 'https://api.twilio.com', accountSid: 'AC1', authToken: 'tok' }, retryBaseMs: 5_000 });
  });

  it('refuses an SMS provider without credentials, and an SMTP_URL that is not smtp(s) without echoing it', () => {
    expect(configError({ SMS_API_URL: 'https://api.twilio.com' }).message).toContain('SMS_AUTH_TOKEN');
    const message = configError({ SMTP_URL: 'http://user:Zq8rT2vX9kLm@mail.example.com' }).message;
    expect(message).toContain('SMTP_URL');
    expect(message).not.toContain('Zq8rT2vX9kLm');
    expect(configError({ OPERATOR_EMAIL: 'desk' }).message).toContain('OPERATOR_EMAIL');
  });
});
