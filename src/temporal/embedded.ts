import path from 'node:path';
import type { Config } from '../config';
import type { TemporalTarget } from './connection';
import { connectClient } from './connection';
import type { Connection } from '@temporalio/client';
import { startDevServer } from './dev-server';
import { locateTemporalCli } from './locator';
import { ensureSearchAttributes } from './register-search-attributes';
import { ORDER_SEARCH_ATTRIBUTES } from './search-attributes';

// Temporal for `npm start` and the benchmark: the server TEMPORAL_ADDRESS names (with our
// search attributes added if missing), or else a dev server of our own, its state kept
// in the data directory so orders survive a restart.

export const PROJECT_DIR = path.resolve(__dirname, '../..');

export interface TemporalForOrderflow {
  target: TemporalTarget;
  uiUrl?: string;
  embedded: boolean;
  /** Resolves, saying how, if an embedded server ends without being stopped. */
  lost: Promise<string>;
  stop(): Promise<void>;
}

export async function provideTemporal(
  config: Config,
  options: {
    log: (message: string) => void;
    persist?: boolean;
    ui?: boolean;
    port?: number;
    /** The embedded UI decodes at <API>/codec/ui/<token> (it has no login to send a key with); give startOrderflow the same. */
    uiCodecToken?: string;
  },
): Promise<TemporalForOrderflow> {
  const t = config.temporal;
  if (t.address) {
    const target = { address: t.address, namespace: t.namespace, tls: t.tls, tlsCertPath: t.tlsCertPath, tlsKeyPath: t.tlsKeyPath, apiKey: t.apiKey };
    // Registers search attributes only: no payloads, so no codec.
    const client = await connectClient(target, null);
    try {
      const added = await ensureSearchAttributes(client.connection as Connection, t.namespace);
      if (added.length > 0) options.log(`registered search attributes ${added.join(', ')} in namespace ${t.namespace}`);
    } finally {
      await client.connection.close();
    }
    return { target, embedded: false, lost: new Promise<string>(() => undefined), stop: async () => undefined };
  }

  const binary = await locateTemporalCli({ cliPath: t.cliPath, projectDir: PROJECT_DIR, log: options.log });
  const persist = options.persist ?? true;
  const server = await startDevServer({
    binary,
    port: options.port ?? t.devServerPort,
    uiPort: options.ui === false ? false : t.uiPort,
    dbFile: persist ? path.join(config.dataDir, 'temporal.db') : undefined,
    pidFile: persist ? path.join(config.dataDir, 'temporal.pid') : undefined,
    logFile: path.join(config.dataDir, 'temporal.log'),
    namespace: t.namespace,
    searchAttributes: ORDER_SEARCH_ATTRIBUTES,
    // The UI asks our API to decrypt what it shows; the server itself stores only ciphertext.
    uiCodecEndpoint: codecEndpointFor(config, options.uiCodecToken),
    log: options.log,
  });
  let stopping = false;
  return {
    target: { address: server.address, namespace: server.namespace },
    uiUrl: server.uiUrl,
    embedded: true,
    lost: server.exited.then((how) => (stopping ? new Promise<string>(() => undefined) : how)),
    stop: () => {
      stopping = true;
      return server.stop();
    },
  };
}

/** Where the API will serve /codec (for the UI: /codec/ui/<token>), when its address is known before it starts. */
export function codecEndpointFor(config: Config, uiToken?: string): string | undefined {
  const path = uiToken ? `/codec/ui/${encodeURIComponent(uiToken)}` : '/codec';
  if (config.http.publicUrl) return `${config.http.publicUrl.replace(/\/+$/, '')}${path}`;
  if (config.http.port === 0) return undefined;
  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}${path}`;
}
