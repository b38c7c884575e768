import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { idempotencyKeys, orders } from '../../src/db/schema';
import type { OrderDraft } from '../../src/domain/order';
import { orderIntake, type OrderIntake } from '../../src/intake/place-order';
import { sampleOrder } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';

// Order intake driven directly, as a partner channel's adapter will drive it: a domain
// draft and a source, no HTTP. Real Postgres, real Temporal and the real workers.

let stack: TestStack;
let intake: OrderIntake;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoCatalogue(stack.db);
  intake = orderIntake({
    db: stack.db,
    client: stack.running.client,
    ordersTaskQueue: stack.config.temporal.taskQueues.orders,
    carriersTaskQueue: stack.config.temporal.taskQueues.carriers,
    settings: stack.config.orderSettings,
    customerIdSecret: 'place-order-test-customer-id-secret',
  });
});
afterAll(() => stack?.stop());

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const draft = (overrides: Record<string, unknown> = {}) => sampleOrder(overrides) as OrderDraft;

async function rowsWithId(id: string) {
  return stack.db.select().from(orders).where(eq(orders.id, id));
}

describe('order intake without HTTP', () => {
  it('places a draft once: the same key twice is one order, created by the first call only', async () => {
    const source = { caller: 'partner-adapter', idempotencyKey: unique('key') };
    const first = await intake.placeOrder(draft(), source);
    const again = await intake.placeOrder(draft(), source);

    expect(first).toMatchObject({ kind: 'answered', reply: { created: true, verification: { ok: true } } });
    expect(again).toMatchObject({ kind: 'answered', reply: { created: false } });
    if (first.kind !== 'answered' || again.kind !== 'answered') throw new Error('unreachable');
    expect(again.orderId).toBe(first.orderId);
    expect(await rowsWithId(first.orderId)).toHaveLength(1);
  });

  it('keeps one caller’s key apart from another’s', async () => {
    const key = unique('shared-key');
    const mine = await intake.placeOrder(draft(), { caller: 'caller-a', idempotencyKey: key });
    const theirs = await intake.placeOrder(draft(), { caller: 'caller-b', idempotencyKey: key });
    if (mine.kind !== 'answered' || theirs.kind !== 'answered') throw new Error(`not answered: ${mine.kind}, ${theirs.kind}`);
    expect(theirs.orderId).not.toBe(mine.orderId);
    expect(theirs.reply.created).toBe(true);
  });

  it('refuses a key reused for other content, and names the order the key belongs to', async () => {
    const source = { caller: 'partner-adapter', idempotencyKey: unique('key') };
    const first = await intake.placeOrder(draft(), source);
    if (first.kind !== 'answered') throw new Error(`not answered: ${first.kind}`);
    const other = await intake.placeOrder(draft({ priority: 'urgent' }), source);
    expect(other).toEqual({ kind: 'refused', refusal: { reason: 'idempotency-key-reused', key: source.idempotencyKey, orderId: first.orderId } });
  });

  it('refuses an externalId taken by other content, and leaves the key it tried free', async () => {
    const externalId = unique('ext');
    const first = await intake.placeOrder(draft({ externalId }), { caller: 'partner-adapter' });
    if (first.kind !== 'answered') throw new Error(`not answered: ${first.kind}`);

    const key = unique('key');
    const clash = await intake.placeOrder(draft({ externalId, priority: 'low' }), { caller: 'partner-adapter', idempotencyKey: key });
    expect(clash).toEqual({ kind: 'refused', refusal: { reason: 'external-id-taken', externalId, orderId: first.orderId } });
    const [{ n } = { n: -1 }] = await stack.db
      .select({ n: sql<number>`count(*)::int` })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.key, key));
    expect(n).toBe(0);

    // The key was never spent: the right request may still use it.
    const right = await intake.placeOrder(draft({ externalId: unique('ext') }), { caller: 'partner-adapter', idempotencyKey: key });
    expect(right).toMatchObject({ kind: 'answered', reply: { created: true } });
  });

  it('answers a failed verification as a verdict, not a refusal', async () => {
    const outcome = await intake.placeOrder(draft({ items: [{ sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1 }] }), { caller: 'partner-adapter' });
    expect(outcome).toMatchObject({ kind: 'answered', reply: { created: true, status: 'needs_correction', verification: { ok: false } } });
  });
});
