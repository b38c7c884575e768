import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { periodBounds, periodContaining } from '../../src/domain/settlement-period';
import { createProduct, uniqueSku } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { startTestStack, TEST_KEYS, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// Purchasing as a source of our lines (R6.4, R6.5) through the HTTP API on the real
// stack: a supplier agreement; purchase orders placed by replenishment and received
// through the receipt path post one `purchase` journal per receipt, in the supplier's
// settlement currency; the supplier's statement reconciles against them in a
// settlement run; the financial report shows the supplier and equals the ledger.

const op = { key: TEST_KEYS.operator };
const finance = { key: TEST_KEYS.finance };
const ZONE = 'UTC';
const SUPPLIER = 'Teehandel Nord GmbH';
/** EUR 4.00 a unit, settled in GBP at 0.8573. */
const UNIT_COST = 400;
const RATE = '0.8573';

interface PurchaseOrder {
  id: string;
  number: string;
  sku: string;
  warehouse: string;
  quantity: number;
  unitCost: { amount: number; currency: string };
  status: string;
}

describe('purchasing in the ledger and in reconciliation', () => {
  let stack: TestStack;
  let agreementId: string;
  const period = periodContaining('monthly', new Date(), ZONE);
  const { start, end } = periodBounds(period, ZONE);

  beforeAll(async () => {
    stack = await startTestStack({
      // Nobody's wait for an inbound runs out here, and finance decides at leisure.
      ORDERFLOW_TRANSFER_LEAD_TIME: '1000d',
      ORDERFLOW_REPLENISHMENT_GRACE: '1000d',
      ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d',
    });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  /** A product of the supplier's whose safety stock at RTM-1 nobody can spare for: replenishment orders 6 + 4. */
  async function purchaseOrderFor(sku: string): Promise<PurchaseOrder> {
    await createProduct(stack, sku, { unitCost: UNIT_COST });
    expect((await stack.api('PUT', `/v1/inventory/${sku}/supply`, { ...op, body: { supplier: SUPPLIER, leadTimeDays: 5 } })).status).toBe(200);
    expect((await stack.api('PUT', `/v1/inventory/${sku}/thresholds`, { ...op, body: { warehouse: 'RTM-1', safetyStock: 6, reorderQuantity: 4 } })).status).toBe(200);
    return waitFor(async () => (await stack.api('GET', `/v1/inventory/purchase-orders?sku=${sku}&status=open`, op)).body.data[0] as PurchaseOrder | undefined, {
      timeoutMs: 15_000,
      message: `a purchase order for ${sku}`,
    });
  }

  const purchaseEntries = async () =>
    (await stack.db.execute(sql`
      select journal_id, account, side, amount::int as amount, currency, settlement_amount::int as settlement_amount, settlement_currency, fx_rate, counterparty_kind, counterparty_id, agreement_id
      from ledger_entries where kind = 'purchase' order by journal_id, side
    `)) as unknown as Record<string, unknown>[];

  const receive = (po: PurchaseOrder) =>
    stack.api('POST', '/v1/inventory/receipts', { ...op, body: { warehouse: po.warehouse, sku: po.sku, quantity: po.quantity, purchaseOrderId: po.id } });

  let first: PurchaseOrder;
  let second: PurchaseOrder;

  it('a supplier may have an agreement, with its Schedule, like any counterparty', async () => {
    const terms = { counterparty: { kind: 'supplier', id: SUPPLIER }, method: 'prepaid', cycle: 'monthly', settlementDay: 'last', settlementCurrency: 'GBP', timeZone: ZONE };
    const created = await stack.api('POST', '/v1/agreements', { ...finance, body: terms });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ ...terms, schedule: { id: `settlement-schedule-${created.body.id}` } });
    agreementId = created.body.id;
    const listed = await stack.api('GET', `/v1/agreements?counterpartyKind=supplier`, finance);
    expect(listed.body.data.map((a: { id: string }) => a.id)).toEqual([agreementId]);
    const bad = await stack.api('POST', '/v1/agreements', { ...finance, body: { ...terms, counterparty: { kind: 'vendor', id: SUPPLIER } } });
    expectProblem(bad, 422);
    expect(fields(bad)).toEqual(['counterparty.kind']);
  });

  it('a receipt against a purchase order posts one balanced purchase journal, converted to the settlement currency; receiving it again posts nothing', async () => {
    [first, second] = await Promise.all([purchaseOrderFor(uniqueSku('BUY')), purchaseOrderFor(uniqueSku('BUY'))]);
    for (const po of [first, second]) {
      expect(po).toMatchObject({ number: expect.stringMatching(/^PO-\d{7,}$/), quantity: 10, unitCost: { amount: UNIT_COST, currency: 'EUR' }, warehouse: 'RTM-1' });
    }
    expect(first.number).not.toBe(second.number);

    // No EUR→GBP rate yet: the goods are not received, and the operator is told why.
    const early = await receive(first);
    expectProblem(early, 409);
    expect(fields(early)).toEqual(['purchaseOrderId']);
    expect(await purchaseEntries()).toEqual([]);
    expect((await stack.api('GET', `/v1/inventory?sku=${first.sku}&warehouse=RTM-1`, op)).body.data[0]).toMatchObject({ onHand: 0 });

    expect((await stack.api('POST', '/v1/fx-rates', { ...finance, body: { base: 'EUR', quote: 'GBP', rate: RATE, source: 'ECB', asOf: '2026-01-01T00:00:00Z' } })).status).toBe(201);
    const arrived = await receive(first);
    expect(arrived.status, JSON.stringify(arrived.body)).toBe(201);
    expect(arrived.body).toMatchObject({ onHand: 10 });
    expect((await receive(first)).status).toBe(200);

    // 10 × EUR 4.00 = EUR 40.00 → GBP 34.292 → 34.29, both sides.
    const entries = await purchaseEntries();
    expect(entries).toHaveLength(2);
    const common = { amount: 4_000, currency: 'EUR', settlement_amount: 3_429, settlement_currency: 'GBP', fx_rate: RATE, counterparty_kind: 'supplier', counterparty_id: SUPPLIER, agreement_id: agreementId };
    expect(entries).toEqual([
      { journal_id: expect.stringMatching(new RegExp(`^purchase:${first.id}:`)), account: 'supplier_payable', side: 'credit', ...common },
      { journal_id: entries[0]!.journal_id, account: 'inventory', side: 'debit', ...common },
    ]);
    expect((await stack.api('GET', `/v1/inventory/purchase-orders?sku=${first.sku}`, op)).body.data[0]).toMatchObject({ id: first.id, status: 'received' });

    expect((await receive(second)).status).toBe(201);
    expect(new Set((await purchaseEntries()).map((e) => e.journal_id)).size).toBe(2);
  });

  it("the supplier's statement reconciles against our purchases: one match, one amount that differs", async () => {
    const day = new Date().toISOString().slice(0, 10);
    // Ours: 34.29 for each. Theirs: the first right, the second a pound more.
    const content = ['reference,kind,amount,currency,date', `${first.number},purchase,34.29,GBP,${day}`, `${second.number},purchase,35.29,GBP,${day}`, ''].join('\n');
    // A supplier posts no statements of its own: finance does (a carrier may not).
    expectProblem(await stack.api('POST', '/v1/statements', { key: TEST_KEYS.carrier, body: { agreementId, period, format: 'csv', content } }), 403);
    const statement = await stack.api('POST', '/v1/statements', { ...finance, body: { agreementId, period, format: 'csv', content } });
    expect(statement.status, JSON.stringify(statement.body)).toBe(201);

    const started = await stack.api('POST', '/v1/settlements', { ...finance, body: { agreementId, period, closeEarly: true } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await waitFor(
      async () => {
        const res = await stack.api('GET', `/v1/settlements/${started.body.id}`, finance);
        return res.body.status === 'awaiting_decisions' && res.body;
      },
      { timeoutMs: 20_000, message: 'the supplier settlement awaiting decisions' },
    );
    expect(run.discrepancies).toHaveLength(1);
    expect(run.discrepancies[0]).toMatchObject({
      kind: 'amount_differs',
      reference: `${second.number}/purchase`,
      orderId: null,
      ours: { reference: second.number, kind: 'purchase', amount: 3_429, currency: 'GBP' },
      theirs: { reference: second.number, kind: 'purchase', amount: 3_529, currency: 'GBP' },
      difference: -100,
      currency: 'GBP',
      status: 'open',
      likelyCause: expect.stringContaining('purchase order'),
    });
  });

  it('the financial report shows the supplier with its purchases, equal to the ledger to the cent', async () => {
    const res = await stack.api('GET', `/v1/reports/financial?period=${period}&counterparty=${encodeURIComponent(`supplier:${SUPPLIER}`)}`, finance);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.counterparties).toHaveLength(1);
    const line = res.body.counterparties[0];
    const [ledger] = (await stack.db.execute(sql`
      select coalesce(sum(settlement_amount) filter (where kind = 'purchase' and side = 'debit'), 0)::int as purchases,
        count(*)::int as entries
      from ledger_entries
      where counterparty_kind = 'supplier' and counterparty_id = ${SUPPLIER}
        and created_at >= ${start.toISOString()}::timestamptz and created_at < ${end.toISOString()}::timestamptz
    `)) as unknown as { purchases: number; entries: number }[];
    expect(ledger).toEqual({ purchases: 2 * 3_429, entries: 4 });
    expect(line).toMatchObject({
      counterparty: { kind: 'supplier', id: SUPPLIER },
      currency: 'GBP',
      purchases: { amount: ledger!.purchases, currency: 'GBP' },
      revenue: { amount: 0, currency: 'GBP' },
      receivables: { amount: 0, currency: 'GBP' },
    });
    expect(res.body.totals).toEqual([expect.objectContaining({ currency: 'GBP', counterparties: 1, purchases: { amount: ledger!.purchases, currency: 'GBP' } })]);
  });
});
