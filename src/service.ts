import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createApi } from './api/app';
import { HttpCarrierGateway } from './carriers/sandbox-gateway';
import { startCarrierSandbox, type CarrierSandbox } from './carriers/sandbox-server';
import type { Config, Role } from './config';
import type { Db } from './db/client';
import { startReplenishmentStarter } from './inventory/replenishment-starter';
import { deliveryNotifier } from './notifications/delivery';
import { startOutboxDispatcher, type Notifier } from './notifications/outbox-dispatcher';
import { SANDBOX_SMS_ACCOUNT_SID, SANDBOX_SMS_AUTH_TOKEN, startSmsSandbox } from './notifications/sms-sandbox';
import { createLogger, logFunction, type Logger } from './observability/logger';
import { codecKeysFor } from './temporal/codec-keys';
import { customerIdSecret } from './intake/customer-ref';
import { connectClient, connectWorker, type TemporalTarget } from './temporal/connection';
import { EncryptionCodec } from './temporal/payload-codec';
import { startWebhookDispatcher } from './webhooks/dispatcher';
import { TASK_QUEUES, createWorker, runWorkers, taskQueueDefinition, type TaskQueueName, type WorkflowCode } from './temporal/workers';

// Assembles the pieces of orderflow that run in one process — API, carrier sandbox,
// workers, outbox — in the same way for `npm start`, the entry points in workers/, the
// tests and the benchmark. Temporal and the database are given to it, already running.

export interface OrderflowPieces {
  api?: boolean;
  sandbox?: boolean;
  /** The task queues this process works (see TASK_QUEUES). */
  workers?: readonly TaskQueueName[];
  outbox?: boolean;
}

export interface StartOptions {
  config: Config;
  db: Db;
  temporal: TemporalTarget;
  apiKeys: { role: Role; key: string }[];
  pieces?: OrderflowPieces;
  workflowCode?: WorkflowCode;
  /** Default: SMTP or .eml files, and SMS by SMS_API_URL or the in-process SMS sandbox. */
  notifier?: Notifier;
  /** Plain messages (tests pass a no-op); unless given, they go to `logger` as JSON lines. */
  log?: (message: string) => void;
  /** Structured logs (pino); unless given, one at LOG_LEVEL on stdout. With `log` given and no logger, the API logs no requests. */
  logger?: Logger;
  /** How long POST /v1/orders waits for the verification verdict. */
  answerTimeoutMs?: number;
  /** Default: AES-GCM with ORDERFLOW_CODEC_KEYS, or the data directory's dev keys. */
  codec?: PayloadCodec;
  /** The token the embedded dev server's UI was given for /codec/ui/<token> (see provideTemporal). */
  uiCodecToken?: string;
}

export interface RunningOrderflow {
  apiUrl?: string;
  sandboxUrl?: string;
  /** The in-process SMS sandbox, when the outbox runs here without an SMS_API_URL. */
  smsSandboxUrl?: string;
  client: Client;
  /** The payload codec of its client and workers. */
  codec: PayloadCodec;
  workers: Worker[];
  /** Resolves when every worker has stopped; rejects if one fails. */
  workersDone: Promise<void>;
  stop(): Promise<void>;
}

const ALL: Required<OrderflowPieces> = { api: true, sandbox: true, workers: TASK_QUEUES.map((q) => q.name), outbox: true };

function listen(app: http.RequestListener, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(app);
  // Keep-alive sockets would hold stop() open; idle ones are closed on shutdown.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

const urlOf = (server: http.Server) => {
  const { address, port } = server.address() as AddressInfo;
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
};

export async function startOrderflow(options: StartOptions): Promise<RunningOrderflow> {
  const { config, db } = options;
  const pieces = { ...ALL, ...options.pieces };
  const logger = options.logger ?? (options.log ? undefined : createLogger({ level: config.logLevel }));
  const logAs = (component: string) => options.log ?? logFunction(logger!.child({ component }));
  const log = logAs('service');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => log(`error while stopping: ${String(err)}`));
    }
  };

  try {
    const codecKeys = codecKeysFor(config);
    const codec = options.codec ?? new EncryptionCodec(codecKeys);
    const client = await connectClient(options.temporal, codec);
    stops.push(() => client.connection.close());

    let apiUrl: string | undefined;
    if (pieces.api) {
      const app = createApi({
        db,
        client,
        apiKeys: options.apiKeys,
        taskQueues: config.temporal.taskQueues,
        orderSettings: config.orderSettings,
        settlement: config.settlement,
        complaints: config.complaints,
        replenishment: config.replenishment,
        webhookSecrets: config.carriers.webhookSecrets,
        log: options.log
          ? (message, error) => log(`${message} ${error instanceof Error ? (error.stack ?? error.message) : (error ?? '')}`)
          : undefined,
        logger,
        security: config.security,
        metricsPublic: config.metrics.public,
        answerTimeoutMs: options.answerTimeoutMs,
        codec,
        uiOrigins: config.codec.uiOrigins,
        uiCodecToken: options.uiCodecToken,
        customerIdSecret: customerIdSecret(config.customerIdSecret, config.dataDir),
        webhooks: { keys: codecKeys, allowLocalHttp: config.webhooks.allowLocalHttp, maxAttempts: config.webhooks.maxAttempts },
      });
      const server = await listen(app, config.http.port, config.http.host);
      apiUrl = urlOf(server);
      stops.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      );
    }

    let sandbox: CarrierSandbox | undefined;
    if (pieces.sandbox && config.carriers.sandbox) {
      const webhookBase = config.http.publicUrl ?? apiUrl;
      if (!webhookBase) throw new Error('ORDERFLOW_PUBLIC_URL must be set for the carrier sandbox to reach the API');
      sandbox = await startCarrierSandbox({
        db,
        port: config.carriers.sandboxPort,
        host: config.http.host,
        webhookBaseUrl: webhookBase,
        webhookSecrets: config.carriers.webhookSecrets,
        timeScale: config.timeScale,
        fates: config.carriers.sandboxFates,
        pickupAfterMs: config.carriers.sandboxPickupAfterMs,
        logger: () => undefined,
      });
      stops.push(() => sandbox!.close());
    }

    const workers: Worker[] = [];
    if (pieces.workers.length > 0) {
      const connection = await connectWorker(options.temporal);
      stops.push(() => connection.close());
      const deps = {
        db,
        carriers: () => {
          const carriersUrl = config.carriers.apiUrl ?? sandbox?.url;
          if (!carriersUrl) throw new Error('CARRIER_API_URL must be set when the carrier sandbox does not run in this process');
          return new HttpCarrierGateway({ baseUrl: carriersUrl });
        },
      };
      for (const name of pieces.workers) {
        const worker = await createWorker({
          definition: taskQueueDefinition(name),
          config,
          connection,
          namespace: options.temporal.namespace,
          deps,
          codec,
          workflowCode: options.workflowCode,
        });
        workers.push(worker);
        // What a new operator checks first when nothing happens: where this worker listens.
        log(`worker for task queue ${worker.options.taskQueue} on Temporal ${options.temporal.address}, namespace ${options.temporal.namespace}`);
      }
    }
    const running = runWorkers(workers);
    // Registered after the connection's close, so it runs before it on the way down.
    stops.push(() => running.stop());
    running.done.catch((err: unknown) => log(`a worker stopped with an error: ${String(err)}`));

    let smsSandboxUrl: string | undefined;
    if (pieces.outbox) {
      let notifier = options.notifier;
      if (!notifier) {
        const n = config.notifications;
        let sms = { apiUrl: n.sms.apiUrl ?? '', accountSid: n.sms.accountSid ?? '', authToken: n.sms.authToken ?? '' };
        if (!n.sms.apiUrl) {
          const smsSandbox = await startSmsSandbox({
            dir: n.sms.sandboxDir,
            port: n.sms.sandboxPort,
            host: config.http.host,
            accountSid: SANDBOX_SMS_ACCOUNT_SID,
            authToken: SANDBOX_SMS_AUTH_TOKEN,
          });
          stops.push(() => smsSandbox.close());
          smsSandboxUrl = smsSandbox.url;
          sms = { apiUrl: smsSandbox.url, accountSid: SANDBOX_SMS_ACCOUNT_SID, authToken: SANDBOX_SMS_AUTH_TOKEN };
        }
        notifier = deliveryNotifier({
          smtpUrl: n.smtpUrl,
          mailDir: n.mailDir,
          mailFrom: n.mailFrom,
          operatorEmail: n.operatorEmail,
          sms: { ...sms, from: n.sms.from },
        });
        log(
          `notices: e-mail ${n.smtpUrl ? `by SMTP to ${new URL(n.smtpUrl).host}` : `as .eml files in ${n.mailDir}`}, SMS ${n.sms.apiUrl ? `by ${new URL(n.sms.apiUrl).origin}` : `to the sandbox at ${smsSandboxUrl} (messages in ${n.sms.sandboxDir})`}`,
        );
      }
      const outbox = startOutboxDispatcher({
        db,
        notifier,
        retryBaseMs: config.notifications.retryBaseMs,
        log: logAs('outbox'),
        logEach: config.logLevel === 'debug',
      });
      stops.push(() => outbox.stop());
      // Integrators' webhooks: order_events fanned out to subscriptions, signed, retried.
      const webhooks = startWebhookDispatcher({ db, keys: codecKeys, settings: config.webhooks, log: logAs('webhooks') });
      stops.push(() => webhooks.stop());
      // Shortage alerts raised inside activities' transactions start their replenishment here.
      const starter = startReplenishmentStarter({
        db,
        client,
        taskQueue: config.temporal.taskQueues.orders,
        settings: config.replenishment.settings,
        intervalMs: config.replenishment.sweepIntervalMs,
        log: logAs('replenishment'),
      });
      stops.push(() => starter.stop());
    }

    return {
      apiUrl,
      sandboxUrl: sandbox?.url,
      smsSandboxUrl,
      client,
      codec,
      workers,
      workersDone: running.done,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
