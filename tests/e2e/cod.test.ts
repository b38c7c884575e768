import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { instalments, ledgerEntries, notifications, shipments } from '../../src/db/schema';
import type { PaymentNotice } from '../../src/domain/payments';
import { collectionWorkflowId, paymentReceived, view, type CollectionOutcome, type CollectionView } from '../../workflows/collection/messages';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.1 cash on delivery (and instalments) through the HTTP API, the real workers and the carrier sandbox:
// the booking tells the carrier what to collect, its delivered event says what it
// collected, the ledger moves the receivable to the carrier, and the collection workflow
// waits for the carrier's remittance (signalled here as POST /v1/payments will signal it).

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    // Nobody signs or rates: the order completes on the carrier's proof of delivery.
    ORDERFLOW_SIGN_OFF_WINDOW: '1h',
    ORDERFLOW_FEEDBACK_WINDOW: '1h',
    ORDERFLOW_COD_REMITTANCE_WINDOW: '1000d',
    ORDERFLOW_COD_REMITTANCE_GRACE: '1000d',
    // Scaled, an instalment falls due (and is dunned again) about every 0.9 s.
    ORDERFLOW_INSTALMENT_INTERVAL: '1d',
    ORDERFLOW_DUNNING_INTERVAL: '1d',
  });
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

describe('cash on delivery', () => {
  it('the carrier collects at the door, the receivable moves to it, and the collection waits for its remittance', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ settlement: { method: 'cash_on_delivery' } }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const order = await waitForStatus(stack, id, 'completed', 45_000);
    const total: number = order.totals.total;
    expect(total).toBeGreaterThan(0);

    const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
    expect(shipment).toBeDefined();
    const request = (shipment!.decision as { bookingRequest: { cashOnDelivery?: { amount: number; currency: string } } }).bookingRequest;
    // The booking told the carrier to collect the order's total; its delivered event said it did.
    expect(request.cashOnDelivery).toEqual({ amount: total, currency: 'EUR' });
    const collected = total;

    const entries = await stack.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.orderId, id), eq(ledgerEntries.kind, 'cod_collected')));
    expect(entries.map((e) => [e.journalId, e.account, e.side, e.amount, e.currency, e.counterpartyKind, e.counterpartyId]).sort()).toEqual(
      [
        [`cod-collected:${shipment!.id}`, 'carrier_cod_receivable', 'debit', collected, 'EUR', 'carrier', shipment!.carrier],
        [`cod-collected:${shipment!.id}`, 'cod_receivable', 'credit', collected, 'EUR', 'carrier', shipment!.carrier],
      ].sort(),
    );

    // The collection outlives the order and waits for the carrier.
    const collection = stack.running.client.workflow.getHandle(collectionWorkflowId(id));
    const waiting = await waitFor(
      async () => {
        const v = await collection.query(view);
        return v.status === 'awaiting_remittance' ? v : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, message: `collection of ${id} awaiting remittance` },
    );
    expect(waiting).toMatchObject<Partial<CollectionView>>({ method: 'cash_on_delivery', expected: collected, currency: 'EUR', carrier: shipment!.carrier, needsAttention: false });

    const remittance: PaymentNotice = {
      paymentId: randomUUID(),
      reference: `remit-${randomUUID().slice(0, 8)}`,
      amount: collected,
      currency: 'EUR',
      method: 'cod_remittance',
      payerKind: 'carrier',
      payerId: shipment!.carrier,
    };
    await collection.signal(paymentReceived, remittance);
    const outcome = await Promise.race([
      collection.result() as Promise<CollectionOutcome>,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the collection did not complete within 10 s')), 10_000).unref()),
    ]);
    expect(outcome).toEqual({ orderId: id, status: 'collected', received: collected });
  });
});

describe('instalments', () => {
  it('an order paid in instalments: the schedule is written, overdue ones are dunned twice and flagged on the order, and payment clears it', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ settlement: { method: 'instalments' } }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const order = await waitForStatus(stack, id, 'completed', 45_000);
    const total: number = order.totals.total;

    // The collection writes the schedule as it starts, just after the order completes.
    const schedule = await waitFor(
      async () => {
        const rows = await stack.db.select().from(instalments).where(eq(instalments.orderId, id)).orderBy(instalments.number);
        return rows.length > 0 && rows;
      },
      { timeoutMs: 10_000, intervalMs: 50, message: `the instalments of ${id}` },
    );
    expect(schedule.map((i) => i.number)).toEqual([1, 2, 3]);
    expect(schedule.reduce((n, i) => n + i.amount, 0)).toBe(total);
    expect(Math.max(...schedule.map((i) => i.amount)) - Math.min(...schedule.map((i) => i.amount))).toBeLessThanOrEqual(1);

    // Nobody pays: each instalment is dunned twice, then the order is flagged for an operator.
    const flagged = await waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/orders/${id}`);
        return body.needsAttention === true && /unpaid after two dunning notices/.test(body.attentionReason ?? '') ? body : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: `order ${id} flagged for unpaid instalments` },
    );
    expect(flagged.status).toBe('completed');
    const dunned = await stack.db.select().from(notifications).where(eq(notifications.orderId, id));
    expect(dunned.filter((n) => n.template === 'instalment_overdue').length).toBeGreaterThanOrEqual(1);
    expect(dunned.some((n) => n.template === 'instalment_overdue_second')).toBe(true);
    const overdue = await stack.db.select().from(instalments).where(and(eq(instalments.orderId, id), eq(instalments.status, 'overdue')));
    expect(overdue.length).toBeGreaterThanOrEqual(1);
    expect(overdue.some((i) => i.dunningNotices === 2)).toBe(true);

    // The customer pays it all (as POST /v1/payments will signal it): the flag clears, every instalment is paid.
    const collection = stack.running.client.workflow.getHandle(collectionWorkflowId(id));
    await collection.signal(paymentReceived, {
      paymentId: randomUUID(),
      reference: `pay-${randomUUID().slice(0, 8)}`,
      amount: total,
      currency: 'EUR',
      method: 'bank_transfer',
      payerKind: 'customer',
      payerId: 'cust-1',
    });
    const outcome = await Promise.race([
      collection.result() as Promise<CollectionOutcome>,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the collection did not complete within 10 s')), 10_000).unref()),
    ]);
    expect(outcome).toEqual({ orderId: id, status: 'collected', received: total });
    const after = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(after.needsAttention).toBe(false);
    const paid = await stack.db.select().from(instalments).where(eq(instalments.orderId, id));
    expect(paid.every((i) => i.status === 'paid' && i.paidAt !== null)).toBe(true);
  });

  it('an order may name its own number of instalments; only an instalment order may', async () => {
    const refused = await stack.api('POST', '/v1/orders', { body: sampleOrder({ settlement: { method: 'prepaid', instalments: 2 } }) });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'settlement.instalments' })]);

    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ settlement: { method: 'instalments', instalments: 2 } }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const order = await waitForStatus(stack, id, 'completed', 45_000);
    const schedule = await waitFor(
      async () => {
        const rows = await stack.db.select().from(instalments).where(eq(instalments.orderId, id)).orderBy(instalments.number);
        return rows.length > 0 && rows;
      },
      { timeoutMs: 10_000, intervalMs: 50, message: `the instalments of ${id}` },
    );
    expect(schedule.map((i) => i.number)).toEqual([1, 2]);
    expect(schedule.reduce((n, i) => n + i.amount, 0)).toBe(order.totals.total);
  });
});
