import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { CustomerIdKey, RegionKey } from '../../src/temporal/search-attributes';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { WORKFLOWS_PATH } from '../../src/temporal/workers';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';

// Operators find orders in the Temporal UI by CustomerId and Region. A correction that
// changes who the order is for, or where it goes, moves those too (they used to keep
// the values the order was placed with). Orders corrected before this replay unchanged:
// the upsert is behind patched('search-fields-follow-correction').

describe('search attributes after a correction', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('CustomerId and Region follow the corrected customer', async () => {
    // No e-mail, no phone: verification asks for a correction; the customer is known by name.
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({
        customer: { name: 'Ada Lovelace', address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('needs_correction');
    const handle = stack.running.client.workflow.getHandle(created.body.workflowId);
    const before = (await handle.describe()).typedSearchAttributes;
    expect([before.get(CustomerIdKey), before.get(RegionKey)]).toEqual(['Ada Lovelace', 'BE']);

    const corrected = await stack.api('POST', `/v1/orders/${created.body.id}/corrections`, {
      body: {
        customer: {
          name: 'Ada Lovelace',
          email: 'Ada.Moved@example.com',
          address: { line1: 'Jungfernstieg 1', city: 'Hamburg', region: 'HH', postalCode: '20095', country: 'DE' },
        },
      },
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body.verification.passed).toBe(true);

    // The API derives them at create with the same rule (src/domain/order.ts).
    const after = (await handle.describe()).typedSearchAttributes;
    expect([after.get(CustomerIdKey), after.get(RegionKey)]).toEqual(['ada.moved@example.com', 'HH']);

    // The history with the new upsert replays on today's code.
    await waitForStatus(stack, created.body.id, ['reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    const bundle = inject('workflowBundlePath');
    const dataConverter = dataConverterFor(stack.running.codec);
    const code = bundle ? { workflowBundle: { codePath: bundle }, dataConverter } : { workflowsPath: WORKFLOWS_PATH, dataConverter };
    await expect(Worker.runReplayHistory(code, await handle.fetchHistory(), created.body.workflowId)).resolves.toBeUndefined();
  });
});
