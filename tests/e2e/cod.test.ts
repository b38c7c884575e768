import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries, shipments } from '../../src/db/schema';
import type { PaymentNotice } from '../../src/domain/payments';
import { collectionWorkflowId, paymentReceived, view, type CollectionOutcome, type CollectionView } from '../../workflows/collection/messages';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.1 cash on delivery through the HTTP API, the real workers and the carrier sandbox:
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
