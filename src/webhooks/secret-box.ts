import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CodecKey } from '../temporal/payload-codec';

// Signing secrets are shown once and then kept only sealed, with the same rotatable keys
// as the Temporal payload codec: a database dump alone cannot forge our webhooks.
// Stored as `keyId:base64(iv | tag | ciphertext)`.

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from('orderflow-webhook-secret');

export function sealSecret(keys: readonly CodecKey[], secret: string): string {
  const key = keys[0];
  if (!key) throw new Error('no key to seal webhook secrets with');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv).setAAD(AAD);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
}

export function openSecret(keys: readonly CodecKey[], stored: string): string {
  const at = stored.indexOf(':');
  const key = keys.find((k) => k.id === stored.slice(0, at));
  if (at < 0 || !key) throw new Error(`webhook secret sealed with an unknown key ${stored.slice(0, Math.max(at, 0))}`);
  const bytes = Buffer.from(stored.slice(at + 1), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, IV_BYTES)).setAAD(AAD);
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
