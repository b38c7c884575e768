import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The `CustomerId` operators filter by in the Temporal UI: an opaque id, the same for
// every order of one customer, that names no e-mail, phone or name. A keyed hash, so
// nobody without the installation's secret can test a guessed address against it.
// Postgres keeps the real key (orders.customer_id) for the API's `customerId` filter.

const SECRET_MIN_LENGTH = 16;

/** `cus_` + 16 hex digits of HMAC-SHA256(customerKey, secret). */
export function opaqueCustomerId(customerKey: string, secret: string): string {
  return `cus_${createHmac('sha256', secret).update(customerKey).digest('hex').slice(0, 16)}`;
}

export function customerIdSecretFile(dataDir: string): string {
  return path.join(dataDir, 'customer-id-secret');
}

/**
 * ORDERFLOW_CUSTOMER_ID_SECRET, or — on a developer's machine — a secret made once and
 * kept in the data directory. Every API process must share it: change it and the same
 * customer gets a new `CustomerId` on new orders.
 */
export function customerIdSecret(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = customerIdSecretFile(dataDir);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= SECRET_MIN_LENGTH) return existing;
    throw new Error(`${file} holds no secret; fix or move it, or set ORDERFLOW_CUSTOMER_ID_SECRET`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  try {
    // Another process may have made the file meanwhile: its secret wins, so all agree.
    fs.linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return customerIdSecret(undefined, dataDir);
}
