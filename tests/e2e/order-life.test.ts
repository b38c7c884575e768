import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { sandboxShipments } from '../../src/db/sandbox-schema';
import { ledgerEntries, trackingEvents } from '../../src/db/schema';
import { FEEDBACK, SIGN_OFF, isSubsequence, sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';

// One order's whole life over HTTP, with the carrier sandbox's real signed webhooks:
// VERIFY → RESERVE → PLAN → DISPATCH → TRACK → SIGN-OFF → FEEDBACK → SETTLE.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

describe('an order, from create to completed', () => {
  it('passes every stage and leaves a consistent record behind', async () => {
    const before = await stack.api('GET', '/v1/inventory?sku=TEA-OOLONG-100&warehouse=BER-1');
    const teaBefore = before.body.data[0];

    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'verifying', verification: { passed: true, reasons: [] } });
    expect(created.body.workflowId).toBe(`order-${created.body.id}`);
    expect(created.headers.get('location')).toBe(`/v1/orders/${created.body.id}`);
    const id: string = created.body.id;

    const delivered = await waitForStatus(stack, id, 'delivered');
    expect(delivered.shipments).toHaveLength(1);
    const [shipment] = delivered.shipments;
    expect(shipment.trackingNumber).toMatch(/^[A-Z]{2,3}\d/);
    expect(shipment.status).toBe('delivered');
    expect(shipment.packingList).toMatchObject({ checkedAgainstOrder: true, orderNumber: delivered.number });
    expect(shipment.packingList.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([
      ['TEA-OOLONG-100', 2],
      ['MUG-STONE-350', 1],
    ]);
    expect(shipment.decision.reasons.length).toBeGreaterThan(0);
    expect(shipment.tracking.map((t: { status: string }) => t.status)).toEqual(['label_created', 'in_transit', 'out_for_delivery', 'delivered']);

    const signed = await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(delivered.number) });
    expect(signed.status).toBe(200);
    expect(signed.body.signOff).toMatchObject({ method: 'customer', recipientName: 'Ada Lovelace', packagingIntact: true });
    expect(signed.body.signOff.credential).toBe(`order_number:…${delivered.number.slice(-4)}`);

    const rated = await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK });
    expect(rated.status).toBe(200);
    expect(rated.body.feedback).toMatchObject({ channel: 'online', ratings: FEEDBACK.ratings });

    const done = await waitForStatus(stack, id, 'completed');
    const statuses = done.timeline.map((t: { status: string }) => t.status);
    expect(
      isSubsequence(
        ['received', 'verifying', 'reserved', 'planned', 'dispatched', 'in_transit', 'delivered', 'signed_off', 'awaiting_feedback', 'settling', 'completed'],
        statuses,
      ),
    ).toBe(true);
    expect(new Set(statuses).size).toBe(statuses.length);
    expect(done.stage).toBe('settle');
    expect(done.notifications.map((n: { template: string }) => n.template)).toEqual(
      expect.arrayContaining(['received', 'reserved', 'planned', 'dispatched', 'delivered', 'completed']),
    );

    // The money: one balanced journal for the order's total (goods and the shipping
    // charged, R6.1), and the carrier's charge for the shipment, owed to it.
    const journal = await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, id));
    const shipping = done.totals.shipping as number;
    expect(shipping).toBeGreaterThan(0);
    expect(done.totals).toMatchObject({ subtotal: 4430, total: 4430 + shipping });
    expect(journal.map((e) => [e.account, e.side, e.amount])).toEqual(
      expect.arrayContaining([
        ['customer_prepayments', 'debit', 4430 + shipping],
        ['revenue', 'credit', 4430],
        ['shipping_revenue', 'credit', shipping],
        ['shipping_expense', 'debit', shipping],
        ['carrier_payable', 'credit', shipping],
      ]),
    );
    expect(journal).toHaveLength(5);

    // The goods: stock left the shelf, nothing still held for the order.
    const after = await stack.api('GET', '/v1/inventory?sku=TEA-OOLONG-100&warehouse=BER-1');
    expect(after.body.data[0]).toMatchObject({ onHand: teaBefore.onHand - 2, reserved: teaBefore.reserved });

    // The carrier: one booking, every tracking event stored once.
    const bookings = await stack.db.select().from(sandboxShipments).where(eq(sandboxShipments.reference, shipment.id));
    expect(bookings).toHaveLength(1);
    const [counted] = await stack.db.select({ count: sql<number>`count(*)::int` }).from(trackingEvents).where(eq(trackingEvents.orderId, id));
    expect(counted?.count).toBe(4);

    // The workflow says the same as the database, and its history replays on today's code.
    const view = await stack.running.client.workflow.getHandle(done.workflowId).query('view');
    expect(view).toMatchObject({ status: 'completed', number: done.number, openQuestions: [] });
  });
});
