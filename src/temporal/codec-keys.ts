import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CodecKey } from './payload-codec';

// Where the payload codec's keys come from: ORDERFLOW_CODEC_KEYS (`id:base64key,…`, the
// first one seals new payloads, the others only open old ones), or — on a developer's
// machine — keys made once and kept in .data/codec-keys.json, like the dev API keys.
// Lose that file and the embedded Temporal's histories can no longer be read.

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Standard or URL-safe alphabet: Node's base64 decoder reads both.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export type ParsedCodecKeys = { ok: true; keys: CodecKey[] } | { ok: false; message: string };

/** Parses `id:base64key,id:base64key`; a message never quotes a key. */
export function parseCodecKeys(text: string): ParsedCodecKeys {
  const keys: CodecKey[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const [id = '', encoded = '', ...rest] = entry.trim().split(':');
    const named = KEY_ID.test(id) ? ` (${id})` : '';
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (!KEY_ID.test(id) || rest.length > 0 || !key || key.length !== 32) {
      return {
        ok: false,
        message: `entry ${index + 1}${named} is not id:key (ids of letters, digits, '.', '_' or '-'; keys 32 bytes in base64, e.g. \`openssl rand -base64 32\`)`,
      };
    }
    if (keys.some((k) => k.id === id)) return { ok: false, message: `entry ${index + 1} repeats the key id ${id}` };
    keys.push({ id, key });
  }
  return { ok: true, keys };
}

/** For the dev keys file and for ORDERFLOW_CODEC_KEYS values shown to an operator. */
export function formatCodecKeys(keys: readonly CodecKey[]): string {
  return keys.map((k) => `${k.id}:${Buffer.from(k.key).toString('base64')}`).join(',');
}

const DevCodecKeys = z.object({ keys: z.string().min(1) });

export function devCodecKeysFile(dataDir: string): string {
  return path.join(dataDir, 'codec-keys.json');
}

/** The dev keys in `dataDir`, made (one key) on first use and reused ever after. */
export function loadOrCreateDevCodecKeys(dataDir: string): { keys: CodecKey[]; created: boolean } {
  const file = devCodecKeysFile(dataDir);
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(file, 'utf8');
  } catch {
    // missing: make one below
  }
  if (existing !== undefined) {
    const parsed = DevCodecKeys.safeParse(JSON.parse(existing));
    const keys = parsed.success ? parseCodecKeys(parsed.data.keys) : undefined;
    // Never replace an unreadable key file: the histories sealed with it would be lost for good.
    if (!keys?.ok) throw new Error(`${file} is not a codec key file ({"keys": "id:base64key,…"}); fix or move it, or set ORDERFLOW_CODEC_KEYS`);
    return { keys: keys.keys, created: false };
  }
  const keys: CodecKey[] = [{ id: `dev-${randomBytes(3).toString('hex')}`, key: randomBytes(32) }];
  fs.mkdirSync(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify({ keys: formatCodecKeys(keys) }, null, 2)}\n`, { mode: 0o600 });
  try {
    // Another process may have made the file meanwhile: its keys win, so all agree.
    fs.linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    fs.rmSync(temp, { force: true });
    return loadOrCreateDevCodecKeys(dataDir);
  }
  fs.rmSync(temp, { force: true });
  return { keys, created: true };
}

/** The configured keys, or the data directory's dev keys when none are configured. */
export function codecKeysFor(config: { codec: { keys?: CodecKey[] }; dataDir: string }): CodecKey[] {
  return config.codec.keys ?? loadOrCreateDevCodecKeys(config.dataDir).keys;
}
