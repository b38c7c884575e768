import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries } from '../../src/db/schema';
import { failuresIn } from '../helpers/codec';
import { FEEDBACK, SIGN_OFF, sampleOrder, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// A database that fails is an infrastructure failure: the step must not fail the order.
// It is retried with backoff where operators can see it (the pending activity, its
// attempt and last failure in the Web UI), and the order finishes once the database is
// well again, its journal written once however many times the step ran.
//
// The failure is real: a trigger makes Postgres refuse every ledger insert until the
// test drops it again, so SETTLE (which writes the journal) cannot commit.

const BREAK_LEDGER = [
  sql`CREATE OR REPLACE FUNCTION test_ledger_outage() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'ledger storage unavailable (test outage)'; END $$`,
  sql`CREATE TRIGGER test_ledger_outage BEFORE INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION test_ledger_outage()`,
];
const HEAL_LEDGER = sql`DROP TRIGGER IF EXISTS test_ledger_outage ON ledger_entries`;

describe('a database step while the database refuses it', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterEach(async () => {
    await stack?.db.execute(HEAL_LEDGER);
  });
  afterAll(() => stack?.stop());

  it('is retried until the database heals, without the query parameters in the failure, and the order completes once', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status).toBe(201);
    const { id, workflowId } = created.body;
    const handle = stack.running.client.workflow.getHandle(workflowId);

    const delivered = await waitForStatus(stack, id, 'delivered');
    await waitForWorkflowStatus(stack, id, 'delivered');
    for (const statement of BREAK_LEDGER) await stack.db.execute(statement);

    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(delivered.number) })).status).toBe(200);
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);

    // The step is failing and being retried.
    const pending = await waitFor(
      async () => {
        const { pendingActivities } = await handle.describe().then((d) => d.raw);
        const settle = pendingActivities?.find((a) => a.activityType?.name === 'settleOrder');
        return settle && Number(settle.attempt) >= 2 ? settle : undefined;
      },
      { timeoutMs: 30_000, message: 'settleOrder to be retried' },
    );
    // What operators see (decrypted through the codec, as the UI does): the database's reason, not the query's parameters.
    const [lastFailure] = await failuresIn({ lastFailure: pending.lastFailure }, stack.running.codec);
    expect(lastFailure?.stored.message).toBe('Encoded failure');
    expect(lastFailure?.opened?.message).toContain('ledger storage unavailable (test outage)');
    expect(lastFailure?.opened?.message).not.toContain(delivered.number);
    const stillSettling = await stack.api('GET', `/v1/orders/${id}`);
    expect(stillSettling.body.status).not.toBe('completed');
    expect(stillSettling.body.needsAttention).toBe(false);

    await stack.db.execute(HEAL_LEDGER);
    const done = await waitForStatus(stack, id, 'completed', 60_000);
    expect(done.timeline.filter((t: { status: string }) => t.status === 'completed')).toHaveLength(1);
    await handle.result();

    // One sale journal (and one carrier charge per shipment), although the step ran many times.
    const entries = await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, id));
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.filter((e) => e.kind === 'settlement').map((e) => e.journalId)).size).toBe(1);
    expect(new Set(entries.filter((e) => e.kind === 'carrier_charge').map((e) => e.journalId)).size).toBe(done.shipments.length);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'settleOrder');
    expect(scheduled).toHaveLength(1);
  });
});
