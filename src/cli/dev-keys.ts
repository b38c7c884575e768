import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROLES, type Role } from '../config';

// Without ORDERFLOW_API_KEYS, `npm start` makes one key per role and keeps them in
// .data/dev-keys.json, so they survive restarts and scripts can read them.

const DevKeys = z.object(Object.fromEntries(ROLES.map((r) => [r, z.string().min(16)])) as Record<Role, z.ZodString>);
export type DevKeys = Record<Role, string>;

export function devKeysFile(dataDir: string): string {
  return path.join(dataDir, 'dev-keys.json');
}

export function loadOrCreateDevKeys(dataDir: string): { keys: DevKeys; created: boolean } {
  const file = devKeysFile(dataDir);
  try {
    const parsed = DevKeys.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (parsed.success) return { keys: parsed.data as DevKeys, created: false };
  } catch {
    // missing or unreadable: make new ones
  }
  const keys = Object.fromEntries(ROLES.map((role) => [role, `of_${role}_${randomBytes(18).toString('base64url')}`])) as DevKeys;
  fs.mkdirSync(dataDir, { recursive: true });
  // Written whole or not at all: a crash mid-write must not leave half a file behind.
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
  return { keys, created: true };
}

export function asKeyList(keys: DevKeys): { role: Role; key: string }[] {
  return ROLES.map((role) => ({ role, key: keys[role] }));
}
