import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { CustomerIdKey, OrderNumberKey, OrderStatusKey, RegionKey } from '../../src/temporal/search-attributes';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { WORKFLOWS_PATH } from '../../src/temporal/workers';
import { createProduct, receiveStock, sampleOrder, uniqueSku, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// The order desk in the Temporal UI. Operators find orders by their OF-… number, by an
// opaque CustomerId (never an e-mail, phone or name) and by Region; the list shows what
// each order is (its static summary: number, channel, country — not the city) and the
// current details say what it waits for, or why it needs an operator and what the choices
// are. A correction moves CustomerId and Region too (behind patched(), so orders corrected
// before replay unchanged), and a cancelled order is found by `OrderStatus = "cancelled"`.

const OPAQUE = /^cus_[0-9a-f]{16}$/;

describe('the order desk in the Temporal UI', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  /** The workflow ids Temporal's visibility finds for `query` (it lags the workflow a little). */
  const visible = async (query: string) => {
    const ids: string[] = [];
    for await (const w of stack.running.client.workflow.list({ query })) ids.push(w.workflowId);
    return ids;
  };

  /** What the UI shows as the workflow's current details (the SDK's built-in metadata query). */
  const currentDetails = async (handle: WorkflowHandle) =>
    (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';

  it('numbers the order, keeps the customer opaque, summarises it without the city, and follows a correction', async () => {
    // An unusable phone and no e-mail: verification asks for a correction, naming the field only.
    const phone = '12-345';
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({
        customer: {
          name: 'Ada Lovelace',
          phone,
          address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
        },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('needs_correction');
    const reasons = created.body.verification.reasons as { field: string; message: string }[];
    expect(reasons.map((r) => r.field)).toContain('customer.phone');
    for (const r of reasons) expect(r.message).not.toContain(phone);

    const handle = stack.running.client.workflow.getHandle(created.body.workflowId);
    const description = await handle.describe();
    const before = description.typedSearchAttributes;
    expect(before.get(OrderNumberKey)).toBe(created.body.number);
    expect(created.body.number).toMatch(/^OF-\d+$/);
    const customerBefore = before.get(CustomerIdKey)!;
    expect(customerBefore).toMatch(OPAQUE);
    expect(before.get(RegionKey)).toBe('BE');

    const summary = (await description.staticSummary()) ?? '';
    expect(summary).toContain(created.body.number);
    expect(summary).toContain('web');
    expect(summary).toContain('DE');
    expect(summary).not.toContain('Berlin');
    expect(await currentDetails(handle)).toMatch(/correct/);

    // Findable by the number a customer quotes.
    await waitFor(async () => (await visible(`OrderNumber = "${created.body.number}"`)).includes(created.body.workflowId), {
      timeoutMs: 30_000,
      message: 'visibility to find the order by its number',
    });

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

    const after = (await handle.describe()).typedSearchAttributes;
    const customerAfter = after.get(CustomerIdKey)!;
    expect(customerAfter).toMatch(OPAQUE);
    expect(customerAfter).not.toBe(customerBefore);
    expect(after.get(RegionKey)).toBe('HH');
    for (const value of [customerBefore, customerAfter]) {
      for (const personal of ['ada', 'lovelace', 'example.com', phone]) expect(value.toLowerCase()).not.toContain(personal);
    }

    // The same customer is the same opaque id; the API's filter still takes the real key.
    const again = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({
        customer: {
          name: 'A. Lovelace',
          email: 'ada.moved@example.com',
          address: { line1: 'Jungfernstieg 1', city: 'Hamburg', region: 'HH', postalCode: '20095', country: 'DE' },
        },
      }),
    });
    expect(again.status).toBe(201);
    const againAttributes = (await stack.running.client.workflow.getHandle(again.body.workflowId).describe()).typedSearchAttributes;
    expect(againAttributes.get(CustomerIdKey)).toBe(customerAfter);
    const byCustomer = await stack.api('GET', `/v1/orders?customerId=${encodeURIComponent('ada.moved@example.com')}`);
    expect(byCustomer.status).toBe(200);
    expect(byCustomer.body.data.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([created.body.id, again.body.id]));

    // The history with the new upserts replays on today's code.
    await waitForStatus(stack, created.body.id, ['reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    const bundle = inject('workflowBundlePath');
    const dataConverter = dataConverterFor(stack.running.codec);
    const code = bundle ? { workflowBundle: { codePath: bundle }, dataConverter } : { workflowsPath: WORKFLOWS_PATH, dataConverter };
    await expect(Worker.runReplayHistory(code, await handle.fetchHistory(), created.body.workflowId)).resolves.toBeUndefined();
  });

  it('says why a stuck order needs an operator and what the choices are; cancelled, it is found as cancelled', async () => {
    // Heligoland: an island none of the sandbox's carriers serves, so PLAN finds no carrier.
    const sku = uniqueSku('FOGHORN');
    await createProduct(stack, sku);
    await receiveStock(stack, 'BER-1', sku, 1);
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({
        items: [{ sku, quantity: 1, unitPrice: 1000 }],
        customer: {
          name: 'Hanna Kruse',
          email: 'hanna@example.com',
          address: { line1: 'Lung Wai 1', city: 'Helgoland', region: 'SH', postalCode: '27498', country: 'DE' },
        },
      }),
    });
    expect(created.status).toBe(201);
    const { id, workflowId, number } = created.body;
    const handle = stack.running.client.workflow.getHandle(workflowId);

    const details = await waitFor(
      async () => {
        const text = await currentDetails(handle);
        return /Needs an operator/.test(text) ? text : undefined;
      },
      { timeoutMs: 30_000, message: 'the order to ask an operator in its current details' },
    );
    expect(details).toMatch(/no safe carrier/);
    expect(details).toMatch(/`retry`: run the step again/);
    expect(details).toMatch(/`cancel`: cancel it/);
    expect(details).toMatch(/`skip` is not allowed/);
    expect(details).not.toMatch(/Hanna|Helgoland|hanna@/);

    await handle.signal('operatorAction', { action: 'cancel', reason: 'no boat to Heligoland', operator: 'ops@example.com' });
    await waitForStatus(stack, id, 'cancelled');
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });
    expect((await handle.describe()).typedSearchAttributes.get(OrderStatusKey)).toBe('cancelled');
    expect(await currentDetails(handle)).toMatch(/cancelled/);

    // The README's saved query, narrowed to this order.
    await waitFor(async () => (await visible(`OrderStatus = "cancelled" AND OrderNumber = "${number}"`)).includes(workflowId), {
      timeoutMs: 30_000,
      message: 'visibility to find the order by OrderStatus = "cancelled"',
    });
  });
});
