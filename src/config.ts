import path from 'node:path';
import { z } from 'zod';
import { ALLOCATION_REACHES } from './domain/allocation';
import { parseDelayCompensation } from './domain/delivery-exception';
import { parseDuration, scaleDuration } from './domain/duration';
import type { OrderSettings } from './domain/order-settings';
import { parseFateProbabilities } from './carriers/sandbox-fates';
import type { CarrierWebhookSecrets } from './carriers/webhook-signature';
import { parseCodecKeys } from './temporal/codec-keys';

// Every setting orderflow reads from the environment, in one place. The keys of the
// schema are the variable names, so a bad value is reported by the name a user typed.

export const ROLES = ['integrator', 'operator', 'finance', 'carrier', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 90s, 36h or 7d` });
        return z.NEVER;
      }
      return ms;
    });

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

const url = z.url({ protocol: /^https?$/ });

const apiKeys = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const keys: { role: Role; key: string }[] = [];
    for (const [index, pair] of text.split(',').entries()) {
      const [role, key, ...rest] = pair.trim().split(':');
      if (!ROLES.includes(role as Role) || !key || rest.length > 0 || key.length < 8) {
        // Never echo the entry: it holds a secret.
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1} is not role:key (roles: ${ROLES.join(', ')}; keys at least 8 characters, no ':')`,
        });
        return z.NEVER;
      }
      keys.push({ role: role as Role, key });
    }
    return keys;
  });

/** ORDERFLOW_CODEC_KEYS: `id:base64key,…`, 32-byte keys; the first seals, all open. */
const codecKeys = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const parsed = parseCodecKeys(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }
    return parsed.keys;
  });

/** ORDERFLOW_UI_ORIGIN: origins (scheme://host:port) allowed to call the codec endpoints, comma-separated. */
const origins = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const list: string[] = [];
    for (const [index, entry] of text.split(',').entries()) {
      let origin: string | undefined;
      try {
        const u = new URL(entry.trim());
        if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin;
      } catch {
        // reported below
      }
      if (!origin) {
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not an http(s) origin such as http://localhost:8233` });
        return z.NEVER;
      }
      list.push(origin);
    }
    return list;
  });

const CARRIER_CODE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** CARRIER_WEBHOOK_SECRETS: `carrier=secret,…` or a JSON object `{"carrier":"secret"}`. */
const carrierSecrets = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    let entries: [string, unknown][];
    if (text.trim().startsWith('{')) {
      try {
        const json: unknown = JSON.parse(text);
        entries = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.entries(json) : [];
      } catch {
        entries = [];
      }
      if (entries.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'not a JSON object of carrier: secret' });
        return z.NEVER;
      }
    } else {
      entries = text.split(',').map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? [pair.trim(), undefined] : [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      });
    }
    const secrets: Record<string, string> = {};
    for (const [index, [carrier, secret]] of entries.entries()) {
      // Never echo a secret; the carrier code is safe to name.
      if (!CARRIER_CODE.test(carrier) || typeof secret !== 'string' || secret.length < 16 || Object.hasOwn(secrets, carrier)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1}${CARRIER_CODE.test(carrier) ? ` (${carrier})` : ''} is not carrier=secret (carrier codes in lower case, each once; secrets at least 16 characters)`,
        });
        return z.NEVER;
      }
      secrets[carrier] = secret;
    }
    return secrets;
  });

const EnvSchema = z.object({
  PORT: port(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  ORDERFLOW_DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  // 0: a free port, the same as last time while it stays free.
  EMBEDDED_POSTGRES_PORT: port(0),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_TLS: z.stringbool().default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().regex(/^[\w.-]*$/).default(''),
  ORDERFLOW_API_KEYS: apiKeys,
  ORDERFLOW_CODEC_KEYS: codecKeys,
  /** Keys the opaque `CustomerId` search attribute (src/intake/customer-ref.ts); never shown. */
  ORDERFLOW_CUSTOMER_ID_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  ORDERFLOW_UI_ORIGIN: origins,
  ORDERFLOW_TIME_SCALE: z.coerce.number().positive().max(1000).default(1),
  ORDERFLOW_CORRECTION_WINDOW: duration('3d'),
  ORDERFLOW_STOCK_DECISION_WINDOW: duration('2d'),
  ORDERFLOW_STOCK_RECHECK_INTERVAL: duration('1h'),
  // R1.8: what an unanswered stockout becomes (when on offer; else cancel), and the
  // restock lead time a `wait` is promised when nothing better is known.
  ORDERFLOW_STOCKOUT_DEFAULT: z.enum(['wait', 'cancel']).default('cancel'),
  ORDERFLOW_RESTOCK_LEAD_TIME: duration('7d'),
  // R1.8: how far RESERVE takes stock on its own (the customer's region, country, or
  // anywhere); stock beyond it is offered as a transfer, with the days it adds.
  ORDERFLOW_ALLOCATION_REACH: z.enum(ALLOCATION_REACHES).default('country'),
  ORDERFLOW_SIGN_OFF_WINDOW: duration('7d'),
  ORDERFLOW_FEEDBACK_WINDOW: duration('7d'),
  ORDERFLOW_TRACKING_POLL_INTERVAL: duration('12h'),
  ORDERFLOW_TRACKING_STALL_AFTER: duration('10d'),
  ORDERFLOW_INCIDENT_RESPONSE_WINDOW: duration('3d'),
  ORDERFLOW_PRESUME_LOST_AFTER: duration('14d'),
  ORDERFLOW_SHIP_DATE_RESPONSE_WINDOW: duration('2d'),
  ORDERFLOW_DELIVERY_CONFIRMATION_WINDOW: duration('1d'),
  ORDERFLOW_RETURN_WAIT: duration('30d'),
  ORDERFLOW_REQUIRE_PREPAYMENT: z.enum(['on', 'off']).default('on'),
  ORDERFLOW_PREPAYMENT_WINDOW: duration('3d'),
  // How long a settlement run's open discrepancies wait for finance before NeedsAttention.
  ORDERFLOW_SETTLEMENT_DECISION_WAIT: duration('5d'),
  // R6.1 collection after SETTLE (workflows/collection/).
  ORDERFLOW_COD_REMITTANCE_WINDOW: duration('14d'),
  ORDERFLOW_COD_REMITTANCE_GRACE: duration('7d'),
  ORDERFLOW_INSTALMENT_COUNT: z.coerce.number().int().min(1).max(24).default(3),
  ORDERFLOW_INSTALMENT_INTERVAL: duration('30d'),
  ORDERFLOW_DUNNING_INTERVAL: duration('7d'),
  // A complaint unanswered this long is overdue; unresolved this long after that, escalated once more.
  ORDERFLOW_COMPLAINT_RESPONSE_WINDOW: duration('1d'),
  ORDERFLOW_COMPLAINT_ESCALATION_WINDOW: duration('7d'),
  // Replenishment (R2.2–R2.6): a transfer's days between warehouses, the grace past an
  // expected arrival before an operator is flagged, and how often open alerts are swept.
  ORDERFLOW_TRANSFER_LEAD_TIME: duration('2d'),
  ORDERFLOW_REPLENISHMENT_GRACE: duration('1d'),
  ORDERFLOW_ALERT_SWEEP_INTERVAL: duration('1s'),
  ORDERFLOW_DELAY_COMPENSATION: z
    .string()
    .default('10%')
    .transform((text, ctx) => {
      const policy = parseDelayCompensation(text);
      if (!policy) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a compensation policy such as 10%, fixed:500 or none` });
        return z.NEVER;
      }
      return policy;
    }),
  ORDERFLOW_PUBLIC_URL: url.optional(),
  CARRIER_SANDBOX: z.enum(['on', 'off']).default('on'),
  CARRIER_SANDBOX_PORT: port(3001),
  // The sandbox's parcels meet trouble this often: `lost=0.05,damaged=0.05,…` (none by default).
  CARRIER_SANDBOX_FATES: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const parsed = parseFateProbabilities(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: `${parsed.message}; expected fate=probability,… such as lost=0.05,delayed=0.1` });
        return z.NEVER;
      }
      return parsed.value;
    }),
  CARRIER_SANDBOX_PICKUP_AFTER: duration('6h'),
  CARRIER_API_URL: url.optional(),
  CARRIER_WEBHOOK_SECRET: z.string().min(16).optional(),
  CARRIER_WEBHOOK_SECRETS: carrierSecrets,
  CARRIER_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(50),
  // Outbound webhooks: the first retry's wait (doubling after), attempts before `failed`,
  // the receiver's time to answer; http:// on localhost only where allowed (by default
  // with the embedded database, i.e. on a developer's machine).
  ORDERFLOW_WEBHOOK_RETRY_BASE: duration('5s'),
  ORDERFLOW_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  ORDERFLOW_WEBHOOK_TIMEOUT: duration('10s'),
  ORDERFLOW_WEBHOOK_LOCAL_HTTP: z.enum(['on', 'off']).optional(),
  // Notifications (issue 10): e-mail by SMTP (or .eml files in the data directory), SMS by
  // a Twilio-shaped HTTP API (or the in-process sandbox), retried with back-off.
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().regex(/^[^<>]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/, 'expected an address or Name <address>').default('orderflow <no-reply@orderflow.local>'),
  OPERATOR_EMAIL: z.email().default('operators@orderflow.local'),
  SMS_API_URL: url.optional(),
  SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).default('+15005550006'),
  SMS_SANDBOX_PORT: port(0),
  /** on: the production outbox may keep notices as files (.eml, SMS sandbox) without SMTP_URL / SMS_API_URL. */
  NOTICES_SANDBOX: z.enum(['on', 'off']).default('off'),
  NOTIFICATION_RETRY_BASE: duration('30s'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Running it (issue 10): limits, CORS, HSTS behind https, who may scrape /metrics, and the
  // Temporal SDK's own Prometheus endpoint (off unless a port is given: one per process).
  ORDERFLOW_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(100 * 1_048_576).default(1_048_576),
  ORDERFLOW_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  ORDERFLOW_CORS_ORIGINS: origins,
  ORDERFLOW_HSTS: z.enum(['on', 'off']).default('off'),
  ORDERFLOW_METRICS_PUBLIC: z.enum(['on', 'off']).default('off'),
  ORDERFLOW_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
});

export type Env = z.input<typeof EnvSchema>;

/** What the in-process sandbox signs its webhooks with unless told otherwise. */
export const SANDBOX_WEBHOOK_SECRET = 'orderflow-sandbox-webhook-secret';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // An empty (or blank) variable means "not set": shells and compose files leave them behind.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError('Invalid configuration:\n  TEMPORAL_TLS_CERT_PATH: set it together with TEMPORAL_TLS_KEY_PATH');
  }
  // The sandbox's secret is in this source: fine for the sandbox, a forgery kit for a
  // real carrier's webhooks. And one secret shared by real carriers would let each of them
  // sign the others' events: real carriers each have their own.
  if (e.CARRIER_SANDBOX === 'off' && e.CARRIER_API_URL && !e.CARRIER_WEBHOOK_SECRETS) {
    throw new ConfigError(
      'Invalid configuration:\n  CARRIER_WEBHOOK_SECRETS: set it (carrier=secret,…; 16+ characters each, as agreed with each carrier) when CARRIER_SANDBOX=off and CARRIER_API_URL points at a carrier API',
    );
  }
  if (e.SMS_API_URL && (!e.SMS_ACCOUNT_SID || !e.SMS_AUTH_TOKEN)) {
    throw new ConfigError('Invalid configuration:\n  SMS_AUTH_TOKEN: set it and SMS_ACCOUNT_SID (the provider account) when SMS_API_URL points at an SMS provider');
  }
  const scale = e.ORDERFLOW_TIME_SCALE;
  const dataDir = path.resolve(e.ORDERFLOW_DATA_DIR);
  const settings: OrderSettings = {
    correctionWindowMs: scaleDuration(e.ORDERFLOW_CORRECTION_WINDOW, scale),
    stockDecisionWindowMs: scaleDuration(e.ORDERFLOW_STOCK_DECISION_WINDOW, scale),
    stockRecheckIntervalMs: scaleDuration(e.ORDERFLOW_STOCK_RECHECK_INTERVAL, scale),
    stockoutDefault: e.ORDERFLOW_STOCKOUT_DEFAULT,
    restockLeadTimeMs: scaleDuration(e.ORDERFLOW_RESTOCK_LEAD_TIME, scale),
    allocationReach: e.ORDERFLOW_ALLOCATION_REACH,
    signOffWindowMs: scaleDuration(e.ORDERFLOW_SIGN_OFF_WINDOW, scale),
    feedbackWindowMs: scaleDuration(e.ORDERFLOW_FEEDBACK_WINDOW, scale),
    trackingPollIntervalMs: scaleDuration(e.ORDERFLOW_TRACKING_POLL_INTERVAL, scale),
    trackingStallAfterMs: scaleDuration(e.ORDERFLOW_TRACKING_STALL_AFTER, scale),
    incidentResponseWindowMs: scaleDuration(e.ORDERFLOW_INCIDENT_RESPONSE_WINDOW, scale),
    presumeLostAfterMs: scaleDuration(e.ORDERFLOW_PRESUME_LOST_AFTER, scale),
    shipDateResponseWindowMs: scaleDuration(e.ORDERFLOW_SHIP_DATE_RESPONSE_WINDOW, scale),
    deliveryConfirmationWindowMs: scaleDuration(e.ORDERFLOW_DELIVERY_CONFIRMATION_WINDOW, scale),
    returnWaitMs: scaleDuration(e.ORDERFLOW_RETURN_WAIT, scale),
    delayCompensation: e.ORDERFLOW_DELAY_COMPENSATION,
    requirePrepayment: e.ORDERFLOW_REQUIRE_PREPAYMENT === 'on',
    prepaymentWindowMs: scaleDuration(e.ORDERFLOW_PREPAYMENT_WINDOW, scale),
    collection: {
      codRemittanceWindowMs: scaleDuration(e.ORDERFLOW_COD_REMITTANCE_WINDOW, scale),
      codRemittanceGraceMs: scaleDuration(e.ORDERFLOW_COD_REMITTANCE_GRACE, scale),
      instalmentCount: e.ORDERFLOW_INSTALMENT_COUNT,
      instalmentIntervalMs: scaleDuration(e.ORDERFLOW_INSTALMENT_INTERVAL, scale),
      dunningIntervalMs: scaleDuration(e.ORDERFLOW_DUNNING_INTERVAL, scale),
    },
  };
  return {
    http: { port: e.PORT, host: e.HOST, publicUrl: e.ORDERFLOW_PUBLIC_URL },
    dataDir,
    database: e.DATABASE_URL
      ? ({ kind: 'postgres', url: e.DATABASE_URL } as const)
      : ({ kind: 'embedded', dir: path.join(dataDir, 'postgres'), port: e.EMBEDDED_POSTGRES_PORT } as const),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      cliPath: e.TEMPORAL_CLI_PATH,
      devServerPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      tls: e.TEMPORAL_TLS || Boolean(e.TEMPORAL_TLS_CERT_PATH) || Boolean(e.TEMPORAL_API_KEY),
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      apiKey: e.TEMPORAL_API_KEY,
      taskQueues: {
        orders: `${e.TEMPORAL_TASK_QUEUE_PREFIX}orders`,
        carriers: `${e.TEMPORAL_TASK_QUEUE_PREFIX}carriers`,
        finance: `${e.TEMPORAL_TASK_QUEUE_PREFIX}finance`,
      },
    },
    apiKeys: e.ORDERFLOW_API_KEYS,
    /** Undefined: a secret made once in the data directory (src/intake/customer-ref.ts). */
    customerIdSecret: e.ORDERFLOW_CUSTOMER_ID_SECRET,
    codec: {
      /** Undefined: dev keys in the data directory (see src/temporal/codec-keys.ts). */
      keys: e.ORDERFLOW_CODEC_KEYS,
      /** Who may call /codec from a browser: the Temporal UI; by default the embedded one. */
      uiOrigins: e.ORDERFLOW_UI_ORIGIN ?? [`http://127.0.0.1:${e.TEMPORAL_UI_PORT}`, `http://localhost:${e.TEMPORAL_UI_PORT}`],
    },
    timeScale: scale,
    orderSettings: settings,
    carriers: {
      sandbox: e.CARRIER_SANDBOX === 'on',
      sandboxPort: e.CARRIER_SANDBOX_PORT,
      /** Per-run chance of each fate, drawn at every sandbox booking. */
      sandboxFates: e.CARRIER_SANDBOX_FATES,
      /** Unscaled: the sandbox scales it by the time scale. */
      sandboxPickupAfterMs: e.CARRIER_SANDBOX_PICKUP_AFTER,
      apiUrl: e.CARRIER_API_URL,
      // Per carrier: explicit secrets win; otherwise each is derived from the base secret.
      webhookSecrets: {
        perCarrier: e.CARRIER_WEBHOOK_SECRETS,
        base: e.CARRIER_WEBHOOK_SECRET ?? SANDBOX_WEBHOOK_SECRET,
      } satisfies CarrierWebhookSecrets,
      rateLimitPerSecond: e.CARRIER_RATE_LIMIT_PER_SECOND,
    },
    /** Where notices go (src/notifications/delivery.ts); the retry base is real time, not scaled. */
    notifications: {
      smtpUrl: e.SMTP_URL,
      mailDir: path.join(dataDir, 'mail'),
      mailFrom: e.MAIL_FROM,
      operatorEmail: e.OPERATOR_EMAIL,
      sms: {
        /** Undefined: the in-process sandbox (src/notifications/sms-sandbox.ts). */
        apiUrl: e.SMS_API_URL,
        accountSid: e.SMS_ACCOUNT_SID,
        authToken: e.SMS_AUTH_TOKEN,
        from: e.SMS_FROM,
        sandboxPort: e.SMS_SANDBOX_PORT,
        sandboxDir: path.join(dataDir, 'sms'),
      },
      retryBaseMs: e.NOTIFICATION_RETRY_BASE,
      /** The production entry points accept file/sandbox delivery only when this is set. */
      sandboxAllowed: e.NOTICES_SANDBOX === 'on',
    },
    /** Month-end settlement runs (R6.6–R6.9). */
    settlement: { decisionWaitMs: scaleDuration(e.ORDERFLOW_SETTLEMENT_DECISION_WAIT, scale) },
    /** Complaints and suggestions (R1.10). */
    complaints: {
      responseWindowMs: scaleDuration(e.ORDERFLOW_COMPLAINT_RESPONSE_WINDOW, scale),
      escalationWindowMs: scaleDuration(e.ORDERFLOW_COMPLAINT_ESCALATION_WINDOW, scale),
    },
    /** Replenishment (R2.2–R2.6): the workflow's settings (scaled) and the alert sweep's interval (not scaled). */
    replenishment: {
      settings: {
        dayMs: scaleDuration(86_400_000, scale),
        transferLeadTimeMs: scaleDuration(e.ORDERFLOW_TRANSFER_LEAD_TIME, scale),
        graceMs: scaleDuration(e.ORDERFLOW_REPLENISHMENT_GRACE, scale),
      },
      sweepIntervalMs: e.ORDERFLOW_ALERT_SWEEP_INTERVAL,
    },
    /** Outbound webhooks (src/webhooks/); not scaled: a receiver's outage takes real time. */
    webhooks: {
      retryBaseMs: e.ORDERFLOW_WEBHOOK_RETRY_BASE,
      maxAttempts: e.ORDERFLOW_WEBHOOK_MAX_ATTEMPTS,
      retryCapMs: 3_600_000,
      timeoutMs: e.ORDERFLOW_WEBHOOK_TIMEOUT,
      allowLocalHttp: (e.ORDERFLOW_WEBHOOK_LOCAL_HTTP ?? (e.DATABASE_URL ? 'off' : 'on')) === 'on',
    },
    logLevel: e.LOG_LEVEL,
    /** Security headers, body limit, per-key rate limit and CORS of the API (src/api/security.ts). */
    security: {
      bodyLimitBytes: e.ORDERFLOW_BODY_LIMIT_BYTES,
      rateLimitPerMinute: e.ORDERFLOW_RATE_LIMIT_PER_MINUTE,
      corsOrigins: e.ORDERFLOW_CORS_ORIGINS ?? [],
      hsts: e.ORDERFLOW_HSTS === 'on',
    },
    /** GET /metrics without a key when public; the Temporal SDK's exporter on this port when given. */
    metrics: { public: e.ORDERFLOW_METRICS_PUBLIC === 'on', temporalPort: e.ORDERFLOW_TEMPORAL_METRICS_PORT },
  };
}

export type Config = ReturnType<typeof loadConfig>;
