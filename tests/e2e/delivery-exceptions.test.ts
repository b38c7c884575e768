import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries, stockMovements } from '../../src/db/schema';
import { FEEDBACK, SIGN_OFF, createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// When delivery goes wrong (R3.3, R3.10, R4.8–R4.10, R5.1, R5.2), each playbook run to
// its end through the HTTP API against real Temporal, Postgres and the carrier sandbox:
// the final status, and stock, shipments, ledger and timeline agreeing with it.
// The sandbox collects parcels a month after booking here (26 s at the test time scale),
// so each test decides what happens to its parcel with the sandbox's fate trigger.

const WAREHOUSE = 'BER-1';
const PRICE = 2500;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    CARRIER_SANDBOX_PICKUP_AFTER: '30d',
    ORDERFLOW_INCIDENT_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_SHIP_DATE_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_DELIVERY_CONFIRMATION_WINDOW: '1000d',
    ORDERFLOW_RETURN_WAIT: '1000d',
  });
  await seedDemoCatalogue(stack.db);
});
afterAll(() => stack?.stop());

interface Placed {
  id: string;
  number: string;
  sku: string;
}

/** One unit of a product of its own, so the test's stock figures are the test's alone. */
async function placeOrder(units = 1): Promise<Placed> {
  const sku = uniqueSku('PARCEL');
  await createProduct(stack, sku, { unitPrice: PRICE });
  await receiveStock(stack, WAREHOUSE, sku, 5);
  const created = await stack.api('POST', '/v1/orders', { body: sampleOrder({ items: [{ sku, quantity: units, unitPrice: PRICE }] }) });
  expect(created.status).toBe(201);
  return { id: created.body.id, number: created.body.number, sku };
}

async function dispatched(order: Placed) {
  const view = await waitForStatus(stack, order.id, 'dispatched');
  await waitForWorkflowStatus(stack, order.id, 'dispatched');
  return view;
}

async function fate(trackingNumber: string, body: Record<string, unknown>) {
  const res = await fetch(`${stack.sandboxUrl}/sandbox/shipments/${encodeURIComponent(trackingNumber)}/fate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function sandboxParcel(trackingNumber: string) {
  const res = await fetch(`${stack.sandboxUrl}/v1/shipments/${encodeURIComponent(trackingNumber)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { events: { status: string; statusDetail?: string; occurredAt: string }[] };
}

const order = async (id: string) => (await stack.api('GET', `/v1/orders/${id}`)).body;

async function incidentAwaiting(id: string) {
  return waitFor(
    async () => {
      const body = await order(id);
      return body.incidents?.find((i: { status: string }) => i.status === 'awaiting_customer');
    },
    { timeoutMs: 30_000, message: `order ${id} to ask the customer about an incident` },
  );
}

async function signAndRate(o: Placed) {
  await waitForStatus(stack, o.id, 'delivered', 30_000);
  await waitForWorkflowStatus(stack, o.id, 'delivered');
  const signed = await stack.api('POST', `/v1/orders/${o.id}/sign-off`, { body: SIGN_OFF(o.number) });
  expect(signed.status).toBe(200);
  const rated = await stack.api('POST', `/v1/orders/${o.id}/feedback`, { body: FEEDBACK });
  expect(rated.status).toBe(200);
  return waitForStatus(stack, o.id, 'completed');
}

async function movements(sku: string, kind: 'write_off' | 'return' | 'shipment') {
  return stack.db.select().from(stockMovements).where(and(eq(stockMovements.sku, sku), eq(stockMovements.kind, kind)));
}

async function journal(orderId: string, kind: 'refund' | 'compensation' | 'settlement') {
  const rows = await stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.orderId, orderId), eq(ledgerEntries.kind, kind)));
  const side = (s: 'debit' | 'credit') => rows.filter((r) => r.side === s).reduce((n, r) => n + r.amount, 0);
  return { rows, debit: side('debit'), credit: side('credit') };
}

/** Versions only go up; between exceptions the journey only goes forward. */
function expectTimelineForward(timeline: { status: string; version: number }[]) {
  const versions = timeline.map((t) => t.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  const journey = ['dispatched', 'in_transit', 'out_for_delivery', 'delivered'];
  let rank = -1;
  for (const { status } of timeline) {
    if (status === 'delivery_exception') rank = -1;
    const r = journey.indexOf(status);
    if (r < 0) continue;
    expect(r, timeline.map((t) => t.status).join(' → ')).toBeGreaterThanOrEqual(rank);
    rank = r;
  }
}

describe('a lost parcel', () => {
  it('is replaced at the customer\'s choice: two shipments, one lost, one unit written off, the order completed', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    await fate(first.trackingNumber, { fate: 'lost' });

    const incident = await incidentAwaiting(o.id);
    expect(incident).toMatchObject({ kind: 'lost', reportedBy: 'carrier', options: ['replacement', 'refund'] });
    expect(incident.claim).toMatchObject({ amount: PRICE });
    const chosen = await stack.api('POST', `/v1/orders/${o.id}/incidents/${incident.id}/resolution`, { body: { choice: 'replacement' } });
    expect(chosen.status).toBe(200);
    expect(chosen.body.incident).toMatchObject({ status: 'resolved', resolution: { action: 'replacement' } });

    const replacement = await waitFor(
      async () => (await order(o.id)).shipments.find((s: { replaces?: string; trackingNumber?: string }) => s.replaces === incident.id && s.trackingNumber),
      { timeoutMs: 30_000, message: 'the replacement to be booked' },
    );
    await fate(replacement.trackingNumber, { fate: 'on_time' });
    const done = await signAndRate(o);

    expect(done.shipments).toHaveLength(2);
    expect(done.shipments.find((s: { id: string }) => s.id === first.id)).toMatchObject({ closedAs: 'lost' });
    expect(replacement.trackingNumber).not.toBe(first.trackingNumber);
    const writeOffs = await movements(o.sku, 'write_off');
    expect(writeOffs.map((m) => m.quantity)).toEqual([1]);
    expect((await movements(o.sku, 'shipment')).reduce((n, m) => n - m.onHandDelta, 0)).toBe(2);
    expect(await stockLevel(stack, o.sku, WAREHOUSE)).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await journal(o.id, 'refund')).rows).toHaveLength(0);
    const settlement = await journal(o.id, 'settlement');
    // The goods kept and the shipping charged (R6.1).
    expect(settlement.credit).toBe(PRICE + done.totals.shipping);
    expect(settlement.debit).toBe(settlement.credit);
    expect(done.timeline.map((t: { status: string }) => t.status)).toContain('delivery_exception');
    expectTimelineForward(done.timeline);
  });
});

describe('a report through the API', () => {
  it('opens the incident under the id the 202 answered, and runs its playbook', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    const reported = await stack.api('POST', `/v1/orders/${o.id}/delivery-exceptions`, {
      key: TEST_KEYS.operator,
      body: { shipmentId: first.id, kind: 'lost', reportedBy: 'operator', detail: 'the depot cannot find it' },
    });
    expect(reported.status).toBe(202);
    const incident = await incidentAwaiting(o.id);
    expect(incident).toMatchObject({ id: reported.body.incidentId, kind: 'lost', reportedBy: 'operator', shipmentIds: [first.id] });
    expect((await stack.api('POST', `/v1/orders/${o.id}/incidents/${incident.id}/resolution`, { body: { choice: 'refund' } })).status).toBe(200);
    const done = await waitForStatus(stack, o.id, 'refunded');
    // Lost on the way: the goods and the shipping charged are paid back.
    expect(done.money.refunded).toBe(PRICE + done.totals.shipping);
    const summary = await stack.api('GET', '/v1/incidents/summary?groupBy=kind', { key: TEST_KEYS.operator });
    expect(summary.status).toBe(200);
    expect(summary.body.groups.find((g: { key: string }) => g.key === 'lost')?.resolved).toBeGreaterThanOrEqual(1);
  });
});

describe('damaged goods', () => {
  it('are refunded: the order ends refunded, the refund equals what the affected lines cost and the shipping', async () => {
    const o = await placeOrder(2);
    const first = (await dispatched(o)).shipments[0];
    await fate(first.trackingNumber, { fate: 'damaged' });

    const incident = await incidentAwaiting(o.id);
    expect(incident.kind).toBe('damaged');
    const wrong = await stack.api('POST', `/v1/orders/${o.id}/incidents/${incident.id}/resolution`, { body: { choice: 'store_credit' } });
    expect(wrong.status).toBe(422);
    const chosen = await stack.api('POST', `/v1/orders/${o.id}/incidents/${incident.id}/resolution`, { body: { choice: 'refund' } });
    expect(chosen.status).toBe(200);

    const done = await waitForStatus(stack, o.id, 'refunded');
    const refund = await journal(o.id, 'refund');
    // Nothing reached the customer to keep: the goods and the shipping charged are paid back (R6.1).
    expect(done.totals.shipping).toBeGreaterThan(0);
    expect(refund.debit).toBe(2 * PRICE + done.totals.shipping);
    expect(refund.credit).toBe(refund.debit);
    expect(done.money).toMatchObject({ paid: 2 * PRICE + done.totals.shipping, refunded: 2 * PRICE + done.totals.shipping });
    expect((await journal(o.id, 'settlement')).rows).toHaveLength(0);
    expect(done.signOff).toBeNull();
    expect((await movements(o.sku, 'write_off')).reduce((n, m) => n + (m.quantity ?? 0), 0)).toBe(2);
    expect(done.timeline.at(-1).status).toBe('refunded');
    expectTimelineForward(done.timeline);
  });
});

describe('a delay past the promised date', () => {
  it('tells the customer the new date and credits the compensation; the order completes', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    await fate(first.trackingNumber, { fate: 'delayed', days: 5 });

    const resolved = await waitFor(
      async () => (await order(o.id)).incidents?.find((i: { kind: string; status: string }) => i.kind === 'delay' && i.status === 'resolved'),
      { timeoutMs: 30_000, message: 'the delay to be handled' },
    );
    // The default policy: 10 % of the delayed goods.
    expect(resolved.resolution).toMatchObject({ action: 'compensated', amount: PRICE / 10, currency: 'EUR' });
    const compensation = await journal(o.id, 'compensation');
    expect(compensation.debit).toBe(PRICE / 10);
    expect(compensation.credit).toBe(PRICE / 10);
    const done = await signAndRate(o);
    expect(done.money.compensated).toBe(PRICE / 10);
    expect(done.shipments[0].estimatedDelivery > done.shipments[0].promisedDeliveryDate).toBe(true);
    expect(done.notifications.map((n: { template: string }) => n.template)).toContain('delivery_delayed');
    expectTimelineForward(done.timeline);
  });
});

describe('a wrong address', () => {
  it('is corrected during delivery: the carrier re-routes the parcel and it is delivered', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    await fate(first.trackingNumber, { fate: 'address_problem' });
    await waitForWorkflowStatus(stack, o.id, 'delivery_exception', 30_000);
    const incident = await waitFor(async () => (await order(o.id)).incidents?.find((i: { kind: string }) => i.kind === 'address_problem'), {
      timeoutMs: 30_000,
      message: 'the address problem',
    });
    expect(incident.status).toBe('open');

    const customer = sampleOrder().customer as { address: Record<string, string> };
    const corrected = await stack.api('POST', `/v1/orders/${o.id}/corrections`, {
      body: { customer: { ...customer, address: { ...customer.address, line1: 'Friedrichstraße 43' } } },
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body.verification.passed).toBe(true);

    const done = await signAndRate(o);
    expect(done.incidents.find((i: { id: string }) => i.id === incident.id)).toMatchObject({ status: 'resolved', resolution: { action: 'rerouted' } });
    expect(done.customer.address.line1).toBe('Friedrichstraße 43');
    const parcel = await sandboxParcel(first.trackingNumber);
    expect(parcel.events.map((e) => e.status)).toEqual(expect.arrayContaining(['exception', 'delivered']));
    expectTimelineForward(done.timeline);
  });
});

describe('a refused parcel', () => {
  it('comes back, is restocked and refunded: the order ends refunded', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    await fate(first.trackingNumber, { fate: 'refused' });

    const done = await waitForStatus(stack, o.id, 'refunded', 45_000);
    expect(done.incidents).toHaveLength(1);
    expect(done.incidents[0]).toMatchObject({ kind: 'refused', status: 'resolved', resolution: { action: 'returned_and_refunded', amount: PRICE } });
    expect(done.shipments[0].closedAs).toBe('returned');
    expect((await movements(o.sku, 'return')).map((m) => m.onHandDelta)).toEqual([1]);
    expect(await stockLevel(stack, o.sku, WAREHOUSE)).toMatchObject({ onHand: 5, reserved: 0 });
    // Refused at the door: the goods are paid back, the delivery we made is not.
    expect((await journal(o.id, 'refund')).debit).toBe(PRICE);
    expectTimelineForward(done.timeline);
  });
});

describe('the ship date (R3.3)', () => {
  const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

  it('a change the customer accepts moves the shipment and the carrier\'s pickup', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    const proposed = await stack.api('POST', `/v1/orders/${o.id}/ship-date`, {
      key: TEST_KEYS.operator,
      body: { proposedShipDate: inDays(3), reason: 'the packing line is down' },
    });
    expect(proposed.status).toBe(202);
    const answered = await stack.api('POST', `/v1/orders/${o.id}/ship-date/response`, { body: { accept: true } });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ shipDate: inDays(3), answer: 'accepted' });

    const after = await order(o.id);
    expect(after.shipments[0].shipDate).toBe(inDays(3));
    expect(after.shipDateProposals[0]).toMatchObject({ status: 'accepted', proposedShipDate: inDays(3), previousShipDate: first.shipDate });
    // Collected three (scaled) days from now instead of a month: the order is delivered.
    await waitForStatus(stack, o.id, 'delivered', 30_000);
  });

  it('a change the customer declines leaves the date; the order can still be cancelled before pickup', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    await stack.api('POST', `/v1/orders/${o.id}/ship-date`, { key: TEST_KEYS.operator, body: { proposedShipDate: inDays(4), reason: 'short-staffed' } });
    const answered = await stack.api('POST', `/v1/orders/${o.id}/ship-date/response`, { body: { accept: false } });
    expect(answered.status).toBe(200);
    expect(answered.body.answer).toBe('declined');
    const after = await order(o.id);
    expect(after.shipments[0].shipDate).toBe(first.shipDate);
    expect(after.shipDateProposals[0].status).toBe('declined');

    const cancelled = await stack.api('POST', `/v1/orders/${o.id}/cancel`, { body: { reason: 'found it cheaper' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.shipments[0].closedAs).toBe('voided');
    expect(await stockLevel(stack, o.sku, WAREHOUSE)).toMatchObject({ onHand: 5, reserved: 0 });
    const voided = await fetch(`${stack.sandboxUrl}/sandbox/shipments/${first.trackingNumber}/fate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fate: 'on_time' }),
    });
    expect(voided.status).toBe(409);
  });
});

describe('the delivery confirmation (R5.1)', () => {
  it('moves the carrier\'s delivery into the customer\'s window', async () => {
    const o = await placeOrder();
    const first = (await dispatched(o)).shipments[0];
    const from = new Date(Date.now() + 2 * 86_400_000);
    const to = new Date(from.getTime() + 4 * 3_600_000);
    const confirmed = await stack.api('POST', `/v1/orders/${o.id}/delivery-confirmation`, {
      body: { addressConfirmed: true, contactPhone: '+49 30 7654321', window: { from: from.toISOString(), to: to.toISOString() } },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.rescheduled).toBe(true);

    const done = await waitForStatus(stack, o.id, 'delivered', 30_000);
    expect(done.deliveryConfirmation).toMatchObject({ addressConfirmed: true, contactPhone: '+49 30 7654321', rescheduled: true });
    // Picked up long before its month was out: the window brought the whole journey forward.
    const parcel = await sandboxParcel(first.trackingNumber);
    const delivered = parcel.events.find((e) => e.status === 'delivered')!;
    expect(Date.parse(delivered.occurredAt) - Date.now()).toBeLessThan(10_000);
  });
});
