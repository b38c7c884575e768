import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyHash } from '../../src/api/auth';
import { keysCommand } from '../../src/cli/keys';
import { apiKeys } from '../../src/db/schema';
import { seedDemoCatalogue } from '../../src/db/seed';
import { FEEDBACK, sampleOrder } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// Tenancy through the running service: each integrator key sees and commands only the
// orders it placed, another's order is a 404 exactly like a missing one, operators see
// all; keys issued and revoked while the service runs, through the admin route and the CLI.

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

describe('tenancy and API keys', () => {
  let stack: TestStack;
  /** The second integrator, issued through the admin route. */
  let keyB: { id: string; key: string };
  let orderA: { id: string; number: string };
  let orderB: { id: string; number: string };
  const externalA = `tenancy-${randomUUID()}`;

  async function place(key: string, body: Record<string, unknown>) {
    const res = await stack.api('POST', '/v1/orders', { key, body });
    expect([200, 201, 202], JSON.stringify(res.body)).toContain(res.status);
    return { id: res.body.id as string, number: res.body.number as string };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
    const issued = await stack.api('POST', '/v1/api-keys', { key: TEST_KEYS.admin, body: { role: 'integrator', label: 'shop B' } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    keyB = issued.body;
    [orderA, orderB] = await Promise.all([place(TEST_KEYS.integrator, sampleOrder({ externalId: externalA })), place(keyB.key, sampleOrder())]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('issues a key shown once and lists keys without secrets', async () => {
    expect(keyB).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), role: 'integrator', label: 'shop B', key: expect.stringMatching(/^of_integrator_/) });
    const list = await stack.api('GET', '/v1/api-keys', { key: TEST_KEYS.admin });
    expect(list.status).toBe(200);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(keyB.key);
    expect(text).not.toContain(TEST_KEYS.integrator);
    expect(list.body.data.find((k: { id: string }) => k.id === keyB.id)).toMatchObject({ role: 'integrator', revokedAt: null });
    // Configuration keys are in the table too, and only admin manages keys.
    expect(list.body.data.filter((k: { source: string }) => k.source === 'configuration')).toHaveLength(5);
    expectProblem(await stack.api('GET', '/v1/api-keys', { key: TEST_KEYS.operator }), 403);

    // A configuration key this service is no longer configured with is refused.
    const dropped = 'a-key-dropped-from-configuration';
    await stack.db.insert(apiKeys).values({ ...keyHash(dropped), role: 'operator', label: 'configuration (operator)', source: 'configuration' });
    expectProblem(await stack.api('GET', '/v1/orders', { key: dropped }), 401);
  });

  it('lists and shows each integrator only its own orders', async () => {
    const listA = await stack.api('GET', '/v1/orders?limit=100');
    const listB = await stack.api('GET', '/v1/orders?limit=100', { key: keyB.key });
    expect(listA.body.data.map((o: { id: string }) => o.id)).toEqual([orderA.id]);
    expect(listB.body.data.map((o: { id: string }) => o.id)).toEqual([orderB.id]);
    // Filtering by the other's externalId finds nothing either.
    expect((await stack.api('GET', `/v1/orders?externalId=${externalA}`, { key: keyB.key })).body.data).toEqual([]);

    expect((await stack.api('GET', `/v1/orders/${orderA.id}`)).status).toBe(200);
    expect((await stack.api('GET', `/v1/orders/${orderB.number}`, { key: keyB.key })).status).toBe(200);

    // Another's order answers exactly as one that does not exist.
    const missing = randomUUID();
    const other = await stack.api('GET', `/v1/orders/${orderB.id}`);
    const none = await stack.api('GET', `/v1/orders/${missing}`);
    expectProblem(other, 404);
    const masked = (body: Record<string, string>, id: string) => JSON.parse(JSON.stringify(body).replaceAll(id, 'X'));
    expect(masked(other.body, orderB.id)).toEqual(masked(none.body, missing));
    expectProblem(await stack.api('GET', `/v1/orders/${orderB.number}`), 404);
    expectProblem(await stack.api('GET', `/v1/orders/${orderA.id}/tracking`, { key: keyB.key }), 404);
  });

  it('refuses commands on another integrator’s order as on a missing one', async () => {
    const cancel = await stack.api('POST', `/v1/orders/${orderA.id}/cancel`, { key: keyB.key, body: { reason: 'not mine' } });
    expectProblem(cancel, 404);
    expectProblem(await stack.api('POST', `/v1/orders/${orderA.number}/feedback`, { key: keyB.key, body: FEEDBACK }), 404);
    expectProblem(await stack.api('POST', `/v1/orders/${orderB.id}/delivery-exceptions`, { body: { kind: 'lost', reportedBy: 'customer' } }), 404);
    expectProblem(
      await stack.api('POST', `/v1/orders/${orderB.id}/complaints`, { body: { category: 'delivery', channel: 'email', message: 'where is it' } }),
      404,
    );
    // A payment for another's order is refused like one for an unknown order.
    const payment = { orderId: orderB.id, amount: 100, currency: 'EUR', method: 'card', reference: `ref-${randomUUID()}` };
    const refused = await stack.api('POST', '/v1/payments', { body: payment });
    const unknown = await stack.api('POST', '/v1/payments', { body: { ...payment, orderId: randomUUID() } });
    expectProblem(refused, 422);
    expect(fields(refused)).toEqual(['orderId']);
    expect(unknown.status).toBe(422);
    // Nothing happened to it: its owner still sees it as it was.
    const mine = await stack.api('GET', `/v1/orders/${orderA.id}`);
    expect(mine.body.status).not.toBe('cancelled');
  });

  it('lets operators see every integrator’s orders', async () => {
    const list = await stack.api('GET', '/v1/orders?limit=100', { key: TEST_KEYS.operator });
    expect(list.body.data.map((o: { id: string }) => o.id).sort()).toEqual([orderA.id, orderB.id].sort());
    expect((await stack.api('GET', `/v1/orders/${orderB.id}`, { key: TEST_KEYS.operator })).status).toBe(200);
    expect((await stack.api('GET', `/v1/orders/${orderA.id}`, { key: TEST_KEYS.finance })).status).toBe(200);
  });

  it('answers an externalId clash across integrators with a 409 that does not name the other order', async () => {
    const clash = await stack.api('POST', '/v1/orders', { key: keyB.key, body: sampleOrder({ externalId: externalA }) });
    expectProblem(clash, 409);
    expect(fields(clash)).toEqual(['externalId']);
    expect(clash.headers.get('location')).toBeNull();
    const text = JSON.stringify(clash.body);
    expect(text).not.toContain(orderA.id);
    expect(text).not.toContain(orderA.number);
    // Its holder repeating it still gets its own order back.
    const again = await stack.api('POST', '/v1/orders', { body: sampleOrder({ externalId: externalA }) });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(orderA.id);
  });

  it('issues keys from the CLI, usable at once; a revoked key is refused at once', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', 'create', '--role', 'integrator', '--label', 'from the CLI', '--json'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: stack.database.url },
    });
    const cliKey = JSON.parse(stdout) as { id: string; key: string };
    const fresh = await stack.api('GET', '/v1/orders', { key: cliKey.key });
    expect(fresh.status).toBe(200);
    expect(fresh.body.data).toEqual([]);

    // Revoked through the route: refused on the very next request.
    const revoked = await stack.api('POST', `/v1/api-keys/${keyB.id}/revoke`, { key: TEST_KEYS.admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expectProblem(await stack.api('GET', '/v1/orders', { key: keyB.key }), 401);
    expectProblem(await stack.api('POST', `/v1/api-keys/${randomUUID()}/revoke`, { key: TEST_KEYS.admin }), 404);

    // Revoked with the CLI's command (another process would wait KEY_CACHE_MS at most): refused.
    const other = JSON.parse(await keysCommand(stack.db, ['create', '--role', 'operator', '--label', 'temp', '--json'])) as { id: string; key: string };
    await keysCommand(stack.db, ['revoke', other.id]);
    expectProblem(await stack.api('GET', '/v1/orders', { key: other.key }), 401);
    expect(await keysCommand(stack.db, ['list'])).toMatch(new RegExp(`${other.id}.*revoked`));
  });
});
