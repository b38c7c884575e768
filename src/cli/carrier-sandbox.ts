import { startCarrierSandbox } from '../carriers/sandbox-server';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { provideDatabase } from '../db/provide';

// The carrier sandbox on its own, for docker-compose: `npm run carrier-sandbox`.

async function main(): Promise<void> {
  const config = loadConfig();
  const provided = await provideDatabase(config, { log: (message) => console.log(`[carrier-sandbox] ${message}`) });
  const database = await openDatabase({ kind: 'postgres', url: provided.url });
  await database.migrate();
  const webhookBaseUrl = config.http.publicUrl ?? `http://127.0.0.1:${config.http.port}`;
  const sandbox = await startCarrierSandbox({
    db: database.db,
    port: config.carriers.sandboxPort,
    host: config.http.host,
    webhookBaseUrl,
    webhookSecrets: config.carriers.webhookSecrets,
    timeScale: config.timeScale,
    fates: config.carriers.sandboxFates,
    pickupAfterMs: config.carriers.sandboxPickupAfterMs,
  });
  console.log(`[carrier-sandbox] webhooks go to ${webhookBaseUrl}/v1/carriers/{carrier}/webhooks (time scale ${config.timeScale})`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    // A second signal means "now": do not wait for the in-flight pass.
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`[carrier-sandbox] ${signal}: stopping`);
    await sandbox.close();
    await database.close();
    await provided.stop();
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
