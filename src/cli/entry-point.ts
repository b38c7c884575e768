import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../observability/logger';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { openDatabase } from '../db/client';
import { startOrderflow, type OrderflowPieces } from '../service';
import { provideTemporal } from '../temporal/embedded';

// The production entry points (API replicas, workers per task queue): one piece each,
// against the Postgres in DATABASE_URL and the Temporal in TEMPORAL_ADDRESS.

export function runEntryPoint(name: string, pieces: OrderflowPieces): void {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const databaseTarget = config.database;
  if (!config.temporal.address || databaseTarget.kind !== 'postgres') {
    console.error(`The ${name} entry point needs TEMPORAL_ADDRESS and DATABASE_URL; for everything in one process on embedded defaults, run \`npm start\`.`);
    process.exit(2);
  }
  if (pieces.api && !config.apiKeys) {
    console.error('ORDERFLOW_API_KEYS must be set (role:key,role:key,…) for the API entry point.');
    process.exit(2);
  }
  if (!config.codec.keys) {
    // Each process would otherwise make keys of its own, and none could read the others' payloads.
    console.error('ORDERFLOW_CODEC_KEYS must be set (id:base64key,…; `openssl rand -base64 32` makes a key) for the production entry points: every API and worker process needs the same keys.');
    process.exit(2);
  }
  for (const refusal of productionRefusals(config, pieces)) {
    console.error(refusal);
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel }).child({ process: name });
  const entryLog = logger.child({ component: 'entry-point' });
  const say = (line: string) => entryLog.info(line);
  const { metricsUrl } = installTemporalRuntime(config, logger);
  if (metricsUrl) say(`Temporal SDK metrics at ${metricsUrl}`);

  void (async () => {
    const database = await openDatabase(databaseTarget);
    await database.migrate();
    const temporal = await provideTemporal(config, { log: say });
    const running = await startOrderflow({ config, db: database.db, temporal: temporal.target, apiKeys: config.apiKeys ?? [], pieces, logger });
    say(running.apiUrl ? `listening on ${running.apiUrl}` : 'running');
    let stopping = false;
    const stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      await running.stop();
      await database.close();
      process.exit(code);
    };
    process.on('SIGINT', () => void stop(0));
    process.on('SIGTERM', () => void stop(0));
    running.workersDone.catch(() => void stop(1));
  })().catch((err: unknown) => {
    entryLog.error({ err }, 'failed to start');
    process.exit(1);
  });
}

/**
 * What a production process must be told rather than make up: a customer-id secret of
 * its own would give one customer different CustomerIds on different replicas, and an
 * outbox without providers would mark notices `sent` that only a file on one container
 * holds.
 */
export function productionRefusals(config: ReturnType<typeof loadConfig>, pieces: OrderflowPieces): string[] {
  const out: string[] = [];
  if (pieces.api && !config.customerIdSecret) {
    out.push('ORDERFLOW_CUSTOMER_ID_SECRET must be set (16+ characters, the same for every API process) for the API entry point: it keys the opaque CustomerId.');
  }
  const n = config.notifications;
  if (pieces.outbox && !n.sandboxAllowed) {
    const missing = [...(n.smtpUrl ? [] : ['SMTP_URL']), ...(n.sms.apiUrl ? [] : ['SMS_API_URL'])];
    if (missing.length > 0) {
      out.push(
        `${missing.join(' and ')} must be set for the outbox in production: notices would otherwise only be kept as files in the data directory. Set NOTICES_SANDBOX=on to accept that (a trial or staging set-up).`,
      );
    }
  }
  return out;
}
