import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config';
import { openDatabase } from '../db/client';
import { provideDatabase } from '../db/provide';
import { seedDemoCatalogue } from '../db/seed';
import { createLogger } from '../observability/logger';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { startOrderflow } from '../service';
import { devCodecKeysFile } from '../temporal/codec-keys';
import { provideTemporal } from '../temporal/embedded';
import { asKeyList, devKeysFile, loadOrCreateDevKeys } from './dev-keys';
import { takeProcessLock } from './process-lock';

// `npm start`: the whole of orderflow in one process on embedded defaults — Temporal dev
// server and PostgreSQL (child processes), API, workers and the carrier sandbox.

async function main(config: Config): Promise<void> {
  // JSON lines (pino); `npx pino-pretty` makes them easy on the eye at a terminal.
  const logger = createLogger({ level: config.logLevel });
  const startLog = logger.child({ component: 'start' });
  const say = (line: string) => startLog.info(line);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const releaseLock = takeProcessLock(path.join(config.dataDir, 'orderflow.pid'));
  const { metricsUrl: temporalMetricsUrl } = installTemporalRuntime(config, logger);

  const stops: (() => Promise<void>)[] = [async () => releaseLock()];
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      say('stopping…');
      for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => say(`while stopping: ${String(err)}`));
      say('stopped');
      process.exit(code);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        say('stopping now');
        process.exit(130);
      }
      void shutdown(0);
    });
  }

  try {
    const keys = config.apiKeys
      ? { list: config.apiKeys, file: undefined }
      : (() => {
          const { keys: dev } = loadOrCreateDevKeys(config.dataDir);
          return { list: asKeyList(dev), file: devKeysFile(config.dataDir) };
        })();

    const provided = await provideDatabase(config, { log: say });
    stops.push(() => provided.stop());
    void provided.lost.then((how) => {
      say(`the embedded PostgreSQL ${how}; stopping (see ${path.join(config.dataDir, 'postgres.log')})`);
      void shutdown(1);
    });
    const database = await openDatabase({ kind: 'postgres', url: provided.url });
    stops.push(() => database.close());
    await database.migrate();
    if (await seedDemoCatalogue(database.db)) say('seeded the demo catalogue: 6 products, 3 warehouses, stock');

    // The embedded UI has no login: it decodes payloads by a token of this run (see src/api/routes/codec.ts).
    const uiCodecToken = config.temporal.address ? undefined : randomBytes(24).toString('base64url');
    const temporal = await provideTemporal(config, { log: say, uiCodecToken });
    stops.push(() => temporal.stop());
    void temporal.lost.then((how) => {
      say(`the Temporal dev server ${how}; stopping (see ${path.join(config.dataDir, 'temporal.log')})`);
      void shutdown(1);
    });

    const running = await startOrderflow({
      config,
      db: database.db,
      temporal: temporal.target,
      apiKeys: keys.list,
      uiCodecToken,
      logger,
    });
    stops.push(() => running.stop());
    running.workersDone.catch(() => void shutdown(1));

    say(`API            ${running.apiUrl}   (OpenAPI: ${running.apiUrl}/openapi.json)`);
    say(`Temporal UI    ${temporal.uiUrl ?? `your Temporal server at ${temporal.target.address}`}`);
    say(`metrics        ${running.apiUrl}/metrics${config.metrics.public ? '' : ' (operator or admin key)'}${temporalMetricsUrl ? `; Temporal SDK ${temporalMetricsUrl}` : ''}`);
    if (running.sandboxUrl) say(`carrier sandbox ${running.sandboxUrl}`);
    say(`database       ${provided.description}`);
    if (!config.codec.keys) say(`payload keys   ${devCodecKeysFile(config.dataDir)} (dev keys; keep the file: histories need it — or set ORDERFLOW_CODEC_KEYS)`);
    if (keys.file) {
      say(`dev API keys   ${keys.file}`);
      for (const k of keys.list) say(`  ${k.role.padEnd(10)} ${k.key}`);
    }
    say(`time scale     ${config.timeScale}${config.timeScale === 1 ? ' (real time; ORDERFLOW_TIME_SCALE=0.001 runs a week in ten minutes)' : ''}`);
    say('ready — Ctrl-C stops');
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    await shutdown(1);
  }
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

void main(configOrExit());
