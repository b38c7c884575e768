import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { dataConverterFor } from './payload-codec';

// How every orderflow process reaches Temporal: the API and CLIs through a client, the
// workers through a native connection. TLS and API keys for Temporal Cloud or a secured
// cluster come from configuration; the embedded dev server needs neither. A client that
// carries payloads gets the payload codec (src/temporal/payload-codec.ts); workers get it
// in createWorker. Only a client that never carries one (registering search attributes)
// is made with `null`.

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  apiKey?: string;
}

function tlsOptions(target: TemporalTarget) {
  if (!target.tls) return undefined;
  if (target.tlsCertPath && target.tlsKeyPath) {
    return { clientCertPair: { crt: fs.readFileSync(target.tlsCertPath), key: fs.readFileSync(target.tlsKeyPath) } };
  }
  return true as const;
}

export async function connectClient(target: TemporalTarget, codec: PayloadCodec | null): Promise<Client> {
  const options: ConnectionOptions = { address: target.address, connectTimeout: '10s' };
  const tls = tlsOptions(target);
  if (tls) options.tls = tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  const connection = await Connection.connect(options).catch((err: unknown) => {
    throw unreachable(target, err);
  });
  return new Client({ connection, namespace: target.namespace, ...(codec ? { dataConverter: dataConverterFor(codec) } : {}) });
}

export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: target.address };
  const tls = tlsOptions(target);
  if (tls) options.tls = tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  return NativeConnection.connect(options).catch((err: unknown) => {
    throw unreachable(target, err);
  });
}

/** A failed connect, named by the address tried and the setting that chooses it. */
export function unreachable(target: TemporalTarget, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  const tls = target.tls ? ' with TLS (TEMPORAL_TLS, TEMPORAL_TLS_CERT_PATH/KEY_PATH, TEMPORAL_API_KEY)' : '';
  return new Error(
    `Cannot reach Temporal at ${target.address}${tls} (namespace ${target.namespace}): ${reason}. ` +
      'TEMPORAL_ADDRESS must be the host:port of a running Temporal frontend; leave it unset to run the embedded dev server instead.',
    { cause: err },
  );
}
