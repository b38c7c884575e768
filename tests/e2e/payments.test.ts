import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { ledgerEntries, payments, shipments } from '../../src/db/schema';
import { startCarrierGate } from '../helpers/carrier-gate';
import { FEEDBACK, SIGN_OFF, createProduct, receiveStock, sampleOrder, stockLevel, uniqueSku, waitForStatus } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Payments (R6.1) through the API: recorded once per reference with their journal; a
// prepaid order waits for its money before DISPATCH and is cancelled (its stock given
// back) when none comes; shipping is charged at PLAN and booked at SETTLE.

// At the test time scale 7d is about 6 s: long enough to pay once asked, short enough to wait out.
const PREPAYMENT_WINDOW = '7d';

describe('payments', () => {
  let stack: TestStack;
  let gate: Awaited<ReturnType<typeof startCarrierGate>>;

  beforeAll(async () => {
    gate = await startCarrierGate();
    stack = await startTestStack({ CARRIER_API_URL: gate.url, ORDERFLOW_REQUIRE_PREPAYMENT: 'on', ORDERFLOW_PREPAYMENT_WINDOW: PREPAYMENT_WINDOW });
    gate.target = stack.sandboxUrl;
    await seedDemoCatalogue(stack.db);
  });
  afterAll(async () => {
    await stack?.stop();
    await gate?.stop();
  });

  const pay = (body: Record<string, unknown>, key: string = TEST_KEYS.integrator) => stack.api('POST', '/v1/payments', { body, key });
  const ledgerOf = (orderId: string) => stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId));
  const place = async (overrides: Record<string, unknown> = {}) => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder(overrides) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; number: string };
  };

  /** Shared by the tests below: a prepaid order followed from payment to completion. */
  let prepaid: { id: string; number: string; total: number; paymentId?: string };

  it('holds a prepaid order at awaiting_payment, priced with shipping, until it is paid', async () => {
    const { id, number } = await place();
    const waiting = await waitForStatus(stack, id, 'awaiting_payment');
    expect(waiting.stage).toBe('dispatch');
    const { subtotal, shipping, total, currency } = waiting.totals;
    const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
    expect(shipping).toBeGreaterThan(0);
    // The sandbox quotes in the order's currency: the carrier's quote is what we charge.
    expect(shipment!.costCurrency).toBe(currency);
    expect(shipping).toBe(shipment!.costAmount);
    expect(total).toBe(subtotal + shipping);
    expect(waiting.total).toEqual({ amount: total, currency });
    expect(waiting.timeline.at(-1)).toMatchObject({ status: 'awaiting_payment', detail: { due: total, currency } });
    prepaid = { id, number, total };
  });

  it('refuses a payment that does not fit the order, naming the field', async () => {
    const body = { orderId: prepaid.id, amount: prepaid.total, currency: 'EUR', method: 'card', reference: `bad-${randomUUID()}` };
    const unknownOrder = await pay({ ...body, orderId: randomUUID() });
    expectProblem(unknownOrder, 422);
    expect(fields(unknownOrder)).toEqual(['orderId']);
    const currency = await pay({ ...body, currency: 'USD' });
    expectProblem(currency, 422);
    expect(fields(currency)).toEqual(['currency']);
    const method = await pay({ ...body, method: 'cheque' });
    expectProblem(method, 422);
    expect(fields(method)).toEqual(['method']);
    const shape = await pay({ ...body, amount: 0, reference: '', extra: 1 });
    expectProblem(shape, 422);
    expect(fields(shape).sort()).toEqual(['amount', 'extra', 'reference']);
    const cod = await pay({ ...body, method: 'cod_remittance', carrier: 'sandbox' });
    expectProblem(cod, 422);
    expect(fields(cod)).toEqual(['method']);
    // A carrier key remits cash it collected, nothing else; an operator may not post at all.
    const carrier = await pay(body, TEST_KEYS.carrier);
    expectProblem(carrier, 403);
    expect(fields(carrier)).toEqual(['method']);
    expectProblem(await pay(body, TEST_KEYS.operator), 403);
    expect(await stack.db.select().from(payments).where(eq(payments.orderId, prepaid.id))).toEqual([]);
  });

  it('records a payment once per reference: a repeat answers the same payment, other content is a conflict', async () => {
    const reference = `card-${randomUUID()}`;
    const body = { orderId: prepaid.id, amount: prepaid.total, currency: 'EUR', method: 'card', reference };
    // Finance records it (finance may, like the integrator).
    const first = await pay(body, TEST_KEYS.finance);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ orderId: prepaid.id, amount: prepaid.total, currency: 'EUR', method: 'card', reference, payer: { kind: 'customer' } });
    const again = await pay(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const conflict = await pay({ ...body, amount: prepaid.total - 1 });
    expectProblem(conflict, 409);
    expect(fields(conflict)).toEqual(['reference']);

    const rows = await stack.db.select().from(payments).where(eq(payments.reference, reference));
    expect(rows).toHaveLength(1);
    const journal = (await ledgerOf(prepaid.id)).filter((e) => e.journalId === `payment:${first.body.id}`);
    expect(journal.map((e) => [e.kind, e.account, e.side, e.amount])).toEqual(
      expect.arrayContaining([
        ['payment', 'cash', 'debit', prepaid.total],
        ['payment', 'customer_prepayments', 'credit', prepaid.total],
      ]),
    );
    expect(journal).toHaveLength(2);
    prepaid.paymentId = first.body.id;

    expect((await stack.api('GET', `/v1/payments/${first.body.id}`, { key: TEST_KEYS.finance })).body).toEqual(first.body);
    expectProblem(await stack.api('GET', `/v1/payments/${randomUUID()}`), 404);
    const listed = await stack.api('GET', `/v1/payments?orderId=${prepaid.id}`);
    expect(listed.body).toEqual({ data: [first.body], nextCursor: null });
  });

  it('dispatches the paid order, and at completion books revenue, shipping revenue and the carrier charge, all balanced', async () => {
    const { id, number } = prepaid;
    await waitForStatus(stack, id, 'delivered');
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(200);
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    const done = await waitForStatus(stack, id, 'completed');
    const statuses = done.timeline.map((t: { status: string }) => t.status);
    expect(statuses.indexOf('awaiting_payment')).toBeLessThan(statuses.indexOf('dispatched'));

    const ledger = await ledgerOf(id);
    const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, id));
    const line = (journalId: string, account: string) => ledger.find((e) => e.journalId === journalId && e.account === account);
    const { subtotal, shipping, total } = done.totals;
    expect(line(`order-settlement:${id}`, 'customer_prepayments')).toMatchObject({ kind: 'settlement', side: 'debit', amount: total });
    expect(line(`order-settlement:${id}`, 'revenue')).toMatchObject({ side: 'credit', amount: subtotal });
    expect(line(`order-settlement:${id}`, 'shipping_revenue')).toMatchObject({ side: 'credit', amount: shipping });
    expect(line(`carrier-charge:${shipment!.id}`, 'shipping_expense')).toMatchObject({ kind: 'carrier_charge', side: 'debit', amount: shipment!.costAmount });
    expect(line(`carrier-charge:${shipment!.id}`, 'carrier_payable')).toMatchObject({
      side: 'credit',
      amount: shipment!.costAmount,
      counterpartyKind: 'carrier',
      counterpartyId: shipment!.carrier,
    });
    // What was paid ahead is used up by the sale.
    const prepayments = ledger.filter((e) => e.account === 'customer_prepayments').reduce((n, e) => n + (e.side === 'credit' ? e.amount : -e.amount), 0);
    expect(prepayments).toBe(0);
    expectBalanced(ledger);
  });

  it('cancels a prepaid order nobody pays for when the window closes, and gives its stock back', async () => {
    const sku = uniqueSku('PAY');
    await createProduct(stack, sku);
    await receiveStock(stack, 'BER-1', sku, 5);
    const { id } = await place({ items: [{ sku, quantity: 2, unitPrice: 1000 }] });
    await waitForStatus(stack, id, 'awaiting_payment');
    expect(await stockLevel(stack, sku, 'BER-1')).toMatchObject({ reserved: 2, available: 3 });
    const cancelled = await waitForStatus(stack, id, 'cancelled', 20_000);
    expect(cancelled.timeline.at(-1)).toMatchObject({ status: 'cancelled', detail: { reason: 'payment not received' } });
    expect(cancelled.timeline.map((t: { status: string }) => t.status)).not.toContain('dispatched');
    await waitFor(async () => (await stockLevel(stack, sku, 'BER-1'))?.available === 5, { message: 'the stock to be released' });
    expect(await stockLevel(stack, sku, 'BER-1')).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('takes a payment made at checkout, before the order got to wait: it never waits, and its price stands', async () => {
    // The carriers' quotes are held: the order has reserved its stock and is not yet priced.
    gate.close();
    let id: string;
    let placed: { totals: { total: number; shipping: number } };
    try {
      ({ id } = await place());
      await waitFor(() => gate.heldCount() > 0, { timeoutMs: 10_000, message: 'the order to ask for quotes' });
      placed = (await stack.api('GET', `/v1/orders/${id}`)).body;
      expect(placed.totals.shipping).toBe(0);
      const paid = await pay({ orderId: id, amount: placed.totals.total, currency: 'EUR', method: 'wallet', reference: `wallet-${id}` });
      expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    } finally {
      gate.open();
    }
    const dispatched = await waitForStatus(stack, id, ['dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(dispatched.timeline.map((t: { status: string }) => t.status)).not.toContain('awaiting_payment');
    expect(dispatched.totals).toMatchObject({ shipping: 0, total: placed.totals.total });
  });

  it('lets the carrier of a cash-on-delivery order remit what it collected, and no other carrier', async () => {
    const { id } = await place({ settlement: { method: 'cash_on_delivery' } });
    const planned = await waitForStatus(stack, id, ['planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(planned.timeline.map((t: { status: string }) => t.status)).not.toContain('awaiting_payment');
    const carrier = planned.shipments[0].carrier as string;
    const body = { orderId: id, amount: planned.totals.total, currency: 'EUR', method: 'cod_remittance', reference: `cod-${id}`, carrier };
    const customer = await pay({ ...body, method: 'cash', carrier: undefined });
    expectProblem(customer, 422);
    expect(fields(customer)).toEqual(['method']);
    const stranger = await pay({ ...body, carrier: 'not-our-carrier' }, TEST_KEYS.carrier);
    expectProblem(stranger, 422);
    expect(fields(stranger)).toEqual(['carrier']);
    const missing = await pay({ ...body, carrier: undefined }, TEST_KEYS.carrier);
    expectProblem(missing, 422);
    expect(fields(missing)).toEqual(['carrier']);

    const remitted = await pay(body, TEST_KEYS.carrier);
    expect(remitted.status, JSON.stringify(remitted.body)).toBe(201);
    expect(remitted.body.payer).toEqual({ kind: 'carrier', id: carrier });
    const journal = (await ledgerOf(id)).filter((e) => e.journalId === `payment:${remitted.body.id}`);
    expect(journal.map((e) => [e.kind, e.account, e.side, e.counterpartyKind, e.counterpartyId])).toEqual(
      expect.arrayContaining([
        ['cod_remitted', 'cash', 'debit', 'carrier', carrier],
        ['cod_remitted', 'carrier_cod_receivable', 'credit', 'carrier', carrier],
      ]),
    );
    expectBalanced(journal);
  });

  it('pages the list of payments without skipping or repeating one, and declares the routes in the contract', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await stack.api(
        'GET',
        `/v1/payments?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { key: TEST_KEYS.finance },
      );
      expect(page.status).toBe(200);
      all.push(...page.body.data.map((p) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const rows = await stack.db.select({ id: payments.id }).from(payments);
    expect(all).toHaveLength(rows.length);
    expect(new Set(all)).toEqual(new Set(rows.map((r) => r.id)));
    expect(fields(await stack.api('GET', '/v1/payments?cursor=nonsense'))).toEqual(['query.cursor']);

    const doc = (await stack.api('GET', '/openapi.json', { key: null })).body;
    expect(doc.paths['/v1/payments'].post['x-roles']).toEqual(['integrator', 'finance', 'carrier', 'admin']);
    expect(doc.paths['/v1/payments'].get).toBeDefined();
    expect(doc.paths['/v1/payments/{id}'].get).toBeDefined();
  });
});

/** Every journal balances in its own currency and in the settlement currency. */
function expectBalanced(entries: readonly (typeof ledgerEntries.$inferSelect)[]): void {
  const journals = new Map<string, { amount: number; settlement: number }>();
  for (const e of entries) {
    const j = journals.get(e.journalId) ?? { amount: 0, settlement: 0 };
    const sign = e.side === 'debit' ? 1 : -1;
    j.amount += sign * e.amount;
    j.settlement += sign * e.settlementAmount;
    journals.set(e.journalId, j);
  }
  expect(journals.size).toBeGreaterThan(0);
  for (const [journalId, j] of journals) expect(j, journalId).toEqual({ amount: 0, settlement: 0 });
}
