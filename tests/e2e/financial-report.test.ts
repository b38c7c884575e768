import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJournal } from '../../activities/ledger';
import { agreements, fxRates, settlements, type CounterpartyKind, type LedgerEntryKind } from '../../src/db/schema';
import type { JournalLine } from '../../src/domain/settlement';
import type { Counterparty } from '../../src/finance/settlement-terms';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';

// R6.10 through HTTP on the real stack: the financial report for November 2026 over a
// ledger written the one way entries are written (postJournal), for three counterparties —
// a partner settled in EUR in Berlin, a customer settled in GBP in Tokyo (journals in
// EUR, converted), a carrier with no agreement (EUR, UTC) — with entries just either side
// of each counterparty's own period bounds. Every figure is checked against sums of
// ledger_entries taken here with SQL, and by hand.

const PARTNER: Counterparty = { kind: 'partner', id: 'shop-de' };
/** Text that must be escaped in HTML and quoted in CSV. */
const CUSTOMER: Counterparty = { kind: 'customer', id: 'cust-<b>"uk",&' };
const CARRIER: Counterparty = { kind: 'carrier', id: 'dhl-test' };

/** November 2026 in each counterparty's zone. */
const BOUNDS = {
  partner: { start: '2026-10-31T23:00:00.000Z', end: '2026-11-30T23:00:00.000Z', zone: 'Europe/Berlin' },
  customer: { start: '2026-10-31T15:00:00.000Z', end: '2026-11-30T15:00:00.000Z', zone: 'Asia/Tokyo' },
  carrier: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', zone: 'UTC' },
} as const;

const FIGURES = ['revenue', 'receivables', 'collected', 'settled', 'adjustments', 'refunds', 'compensation', 'carrierCharges', 'writeOffs', 'purchases'] as const;
type Figures = Record<(typeof FIGURES)[number], number>;

const finance = { key: TEST_KEYS.finance };

describe('GET /v1/reports/financial', () => {
  let stack: TestStack;
  let settledRun: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const db = stack.db;
    const agreementIds: Record<string, string> = {};
    for (const [cp, currency, zone] of [
      [PARTNER, 'EUR', BOUNDS.partner.zone],
      [CUSTOMER, 'GBP', BOUNDS.customer.zone],
    ] as const) {
      agreementIds[cp.kind] = randomUUID();
      await db.insert(agreements).values({
        id: agreementIds[cp.kind]!,
        counterpartyKind: cp.kind,
        counterpartyId: cp.id,
        method: 'instalments',
        cycle: 'monthly',
        settlementDay: 'last',
        settlementCurrency: currency,
        timeZone: zone,
      });
    }
    await db.insert(fxRates).values({ base: 'EUR', quote: 'GBP', rate: '0.8573', source: 'test', asOf: new Date('2026-01-01T00:00:00Z') });
    settledRun = `settlement-${agreementIds.partner}-2026-10`;
    const openRun = `settlement-${agreementIds.partner}-2026-11`;
    await db.insert(settlements).values([
      {
        id: settledRun,
        agreementId: agreementIds.partner!,
        period: '2026-10',
        periodStart: new Date('2026-09-30T22:00:00Z'),
        periodEnd: new Date(BOUNDS.partner.start),
        status: 'settled',
        settledAt: new Date('2026-11-21T09:00:00Z'),
      },
      {
        id: openRun,
        agreementId: agreementIds.partner!,
        period: '2026-11',
        periodStart: new Date(BOUNDS.partner.start),
        periodEnd: new Date(BOUNDS.partner.end),
        status: 'awaiting_decisions',
      },
    ]);

    let n = 0;
    const post = (cp: Counterparty, kind: LedgerEntryKind, at: string, lines: [string, 'debit' | 'credit', number][], settlementId?: string) =>
      db.transaction((tx) =>
        postJournal(
          tx,
          null,
          {
            journalId: `test-${n++}`,
            memo: `${kind} for ${cp.id}`,
            currency: 'EUR',
            lines: lines.map(([account, side, amount]): JournalLine => ({ account, side, amount })),
          },
          kind,
          { counterparty: cp, at: new Date(at), settlementId },
        ),
      );

    // The partner, EUR, Berlin: November is [2026-10-31T23:00Z, 2026-11-30T23:00Z).
    await post(PARTNER, 'settlement', '2026-10-31T22:59:59.999Z', [['instalment_receivable', 'debit', 10_000], ['revenue', 'credit', 10_000]]);
    await post(PARTNER, 'settlement', '2026-10-31T23:00:00.000Z', [
      ['cod_receivable', 'debit', 25_000],
      ['revenue', 'credit', 20_000],
      ['shipping_revenue', 'credit', 5_000],
    ]);
    await post(PARTNER, 'cod_remitted', '2026-11-10T12:00:00Z', [['cash', 'debit', 15_000], ['cod_receivable', 'credit', 15_000]]);
    await post(PARTNER, 'payment', '2026-11-11T12:00:00Z', [['cash', 'debit', 4_000], ['instalment_receivable', 'credit', 4_000]]);
    await post(PARTNER, 'refund', '2026-11-12T12:00:00Z', [['customer_refunds', 'debit', 3_000], ['cash', 'credit', 3_000]]);
    await post(PARTNER, 'adjustment', '2026-11-20T12:00:00Z', [['counterparty_balance', 'debit', 123], ['revenue_adjustments', 'credit', 123]], settledRun);
    await post(PARTNER, 'write_off', '2026-11-20T12:00:00Z', [['bad_debt', 'debit', 456], ['instalment_receivable', 'credit', 456]], settledRun);
    await post(PARTNER, 'adjustment', '2026-11-22T12:00:00Z', [['revenue_adjustments', 'debit', 77], ['counterparty_balance', 'credit', 77]], openRun);
    await post(PARTNER, 'settlement', '2026-11-30T22:59:59.999Z', [['cod_receivable', 'debit', 1_000], ['revenue', 'credit', 1_000]]);
    await post(PARTNER, 'settlement', '2026-11-30T23:00:00.000Z', [['cod_receivable', 'debit', 2_000], ['revenue', 'credit', 2_000]]);

    // The customer, settled in GBP at 0.8573, Tokyo: November is [2026-10-31T15:00Z, 2026-11-30T15:00Z).
    await post(CUSTOMER, 'settlement', '2026-10-31T14:59:59.999Z', [['instalment_receivable', 'debit', 5_000], ['revenue', 'credit', 5_000]]);
    await post(CUSTOMER, 'settlement', '2026-10-31T15:00:00.000Z', [['instalment_receivable', 'debit', 9_999], ['revenue', 'credit', 9_999]]);
    await post(CUSTOMER, 'compensation', '2026-11-05T00:00:00Z', [['delivery_compensation_expense', 'debit', 1_001], ['customer_credits', 'credit', 1_001]]);
    await post(CUSTOMER, 'refund', '2026-11-06T00:00:00Z', [['customer_refunds', 'debit', 500], ['cash', 'credit', 500]]);
    await post(CUSTOMER, 'payment', '2026-11-07T00:00:00Z', [['cash', 'debit', 6_000], ['instalment_receivable', 'credit', 6_000]]);
    await post(CUSTOMER, 'settlement', '2026-11-30T15:00:00.000Z', [['instalment_receivable', 'debit', 700], ['revenue', 'credit', 700]]);

    // The carrier, no agreement: EUR and UTC.
    await post(CARRIER, 'carrier_charge', '2026-10-31T23:30:00Z', [['shipping_expense', 'debit', 750], ['carrier_payable', 'credit', 750]]);
    await post(CARRIER, 'carrier_charge', '2026-11-15T00:00:00Z', [['shipping_expense', 'debit', 1_250], ['carrier_payable', 'credit', 1_250]]);
    await post(CARRIER, 'carrier_charge', '2026-11-30T23:30:00Z', [['shipping_expense', 'debit', 99], ['carrier_payable', 'credit', 99]]);
  });

  afterAll(() => stack?.stop());

  /** The figures by the README's definitions, summed from ledger_entries directly. */
  async function ledgerFigures(cp: Counterparty, bounds: { start: string; end: string }): Promise<Figures> {
    const [row] = (await stack.db.execute(sql`
      select
        coalesce(sum(case when e.side = 'credit' then e.settlement_amount else -e.settlement_amount end)
          filter (where e.kind = 'settlement' and e.account in ('revenue', 'shipping_revenue') and e.created_at >= ${bounds.start}::timestamptz), 0)::int as revenue,
        coalesce(sum(case when e.side = 'debit' then e.settlement_amount else -e.settlement_amount end)
          filter (where e.account in ('cod_receivable', 'instalment_receivable', 'carrier_cod_receivable', 'counterparty_balance')), 0)::int as receivables,
        coalesce(sum(e.settlement_amount) filter (where e.kind in ('payment', 'cod_remitted') and e.account = 'cash' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as collected,
        coalesce((select sum(x.settlement_amount) from ledger_entries x join settlements s on s.id = x.settlement_id
            or (x.settlement_id is null and s.agreement_id = x.agreement_id and x.created_at >= s.period_start and x.created_at < s.period_end)
          where x.counterparty_kind = ${cp.kind} and x.counterparty_id = ${cp.id} and x.side = 'debit' and s.status = 'settled'
            and s.settled_at >= ${bounds.start}::timestamptz and s.settled_at < ${bounds.end}::timestamptz), 0)::int as settled,
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'adjustment' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as adjustments,
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'refund' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as refunds,
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'compensation' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as compensation,
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'carrier_charge' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as "carrierCharges",
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'write_off' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as "writeOffs",
        coalesce(sum(e.settlement_amount) filter (where e.kind = 'purchase' and e.side = 'debit' and e.created_at >= ${bounds.start}::timestamptz), 0)::int as purchases
      from ledger_entries e
      where e.counterparty_kind = ${cp.kind} and e.counterparty_id = ${cp.id} and e.created_at < ${bounds.end}::timestamptz
    `)) as unknown as Figures[];
    return row!;
  }

  const amounts = (line: Record<string, { amount: number; currency: string }>) =>
    Object.fromEntries(FIGURES.map((f) => [f, line[f]!.amount])) as Figures;

  const report = (query: string, key = TEST_KEYS.finance, accept?: string) =>
    stack.api('GET', `/v1/reports/financial?${query}`, { key, headers: accept ? { accept } : {} });

  it('gives every figure per counterparty in its settlement currency, equal to the ledger to the cent', async () => {
    const res = await report('period=2026-11');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.period).toEqual({ label: '2026-11', from: null, to: null });
    const lines = res.body.counterparties as any[];
    expect(lines.map((l) => [l.counterparty.kind, l.counterparty.id, l.currency, l.timeZone, l.start, l.end])).toEqual([
      ['carrier', CARRIER.id, 'EUR', 'UTC', BOUNDS.carrier.start, BOUNDS.carrier.end],
      ['customer', CUSTOMER.id, 'GBP', 'Asia/Tokyo', BOUNDS.customer.start, BOUNDS.customer.end],
      ['partner', PARTNER.id, 'EUR', 'Europe/Berlin', BOUNDS.partner.start, BOUNDS.partner.end],
    ]);
    for (const line of lines) {
      const cp = line.counterparty as { kind: CounterpartyKind; id: string };
      expect(amounts(line), `${cp.kind}:${cp.id}`).toEqual(await ledgerFigures(cp, BOUNDS[cp.kind as keyof typeof BOUNDS]));
      for (const f of FIGURES) expect(line[f].currency).toBe(line.currency);
    }

    // By hand, so the SQL above is not the only witness. Entries just outside each
    // counterparty's bounds are left out; receivables count everything before the end.
    const [carrier, customer, partner] = lines.map(amounts);
    expect(partner).toEqual({
      revenue: 26_000,
      receivables: 16_590,
      collected: 19_000,
      // The October run, settled on 21 November: the 123 + 456 it posted, and the
      // 10 000 sale of its period (the last millisecond of October, Berlin).
      settled: 579 + 10_000,
      adjustments: 200,
      refunds: 3_000,
      compensation: 0,
      carrierCharges: 0,
      writeOffs: 456,
      purchases: 0,
    });
    // EUR 99.99 × 0.8573 = GBP 85.721427 → 85.72; 10.01 → 8.58; 5.00 → 4.2865 → 4.29; 60.00 → 51.44; 50.00 → 42.865 → 42.86
    expect(customer).toEqual({
      revenue: 8_572,
      receivables: 4_286 + 8_572 - 5_144,
      collected: 5_144,
      settled: 0,
      adjustments: 0,
      refunds: 429,
      compensation: 858,
      carrierCharges: 0,
      writeOffs: 0,
      purchases: 0,
    });
    expect(carrier).toMatchObject({ carrierCharges: 1_349, revenue: 0, receivables: 0 });
    expect(lines.map((l) => l.entries)).toEqual([4, 8, 17]);

    // Totals per currency, never across currencies.
    const totals = res.body.totals as any[];
    expect(totals.map((t) => [t.currency, t.counterparties])).toEqual([
      ['EUR', 2],
      ['GBP', 1],
    ]);
    for (const f of FIGURES) {
      expect(totals[0][f]).toEqual({ amount: partner![f] + carrier![f], currency: 'EUR' });
      expect(totals[1][f]).toEqual({ amount: customer![f], currency: 'GBP' });
    }
  });

  it('ties out for a quarter and a from/to range too', async () => {
    const q4 = await report('period=2026-Q4');
    expect(q4.status).toBe(200);
    const partnerQ4 = q4.body.counterparties.find((l: any) => l.counterparty.kind === 'partner');
    expect(partnerQ4.start).toBe('2026-09-30T22:00:00.000Z');
    expect(amounts(partnerQ4)).toEqual(await ledgerFigures(PARTNER, { start: '2026-09-30T22:00:00Z', end: '2026-12-31T23:00:00Z' }));
    expect(amounts(partnerQ4).revenue).toBe(10_000 + 26_000 + 2_000);

    const range = await report('from=2026-11-01&to=2026-11-30');
    const month = await report('period=2026-11');
    expect(range.status).toBe(200);
    expect(range.body.period).toEqual({ label: null, from: '2026-11-01', to: '2026-11-30' });
    expect(range.body.counterparties).toEqual(month.body.counterparties);
    expect(range.body.totals).toEqual(month.body.totals);

    // A day: only the partner's first-minute sale and the customer's nothing.
    const day = await report('from=2026-11-01&to=2026-11-01&counterparty=partner:shop-de');
    expect(amounts(day.body.counterparties[0])).toMatchObject({ revenue: 25_000, receivables: 10_000 + 25_000 });
  });

  it('filters by counterparty, kind:id', async () => {
    const res = await report(`period=2026-11&counterparty=${encodeURIComponent(`customer:${CUSTOMER.id}`)}`);
    expect(res.status).toBe(200);
    expect(res.body.counterparty).toBe(`customer:${CUSTOMER.id}`);
    expect(res.body.counterparties.map((l: any) => l.counterparty)).toEqual([CUSTOMER]);
    expect(res.body.totals.map((t: any) => t.currency)).toEqual(['GBP']);
    expect(amounts(res.body.counterparties[0])).toEqual(await ledgerFigures(CUSTOMER, BOUNDS.customer));

    const none = await report('period=2026-11&counterparty=partner:nobody');
    expect(none.body).toMatchObject({ counterparties: [], totals: [] });
  });

  it('as CSV: a header and one row per counterparty, exact decimals in major units', async () => {
    const res = await report('period=2026-11', TEST_KEYS.finance, 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="financial-report-2026-11.csv"');
    const rows = (res.body as string).trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'counterparty_kind,counterparty_id,currency,time_zone,period_start,period_end,revenue,receivables,collected,settled,adjustments,refunds,compensation,carrier_charges,write_offs,purchases',
    );
    expect(rows.slice(1)).toEqual([
      `carrier,dhl-test,EUR,UTC,${BOUNDS.carrier.start},${BOUNDS.carrier.end},0.00,0.00,0.00,0.00,0.00,0.00,0.00,13.49,0.00,0.00`,
      `customer,"cust-<b>""uk"",&",GBP,Asia/Tokyo,${BOUNDS.customer.start},${BOUNDS.customer.end},85.72,77.14,51.44,0.00,0.00,4.29,8.58,0.00,0.00,0.00`,
      `partner,shop-de,EUR,Europe/Berlin,${BOUNDS.partner.start},${BOUNDS.partner.end},260.00,165.90,190.00,105.79,2.00,30.00,0.00,0.00,4.56,0.00`,
    ]);
  });

  it('as a printable HTML page, every text escaped', async () => {
    const res = await report('period=2026-11', TEST_KEYS.finance, 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = res.body as string;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('@media print');
    expect(html).toContain('<td>cust-&lt;b&gt;&quot;uk&quot;,&amp;</td>');
    expect(html).not.toContain('<b>');
    expect(html.match(/<tbody>([\s\S]*)<\/tbody>/)![1]!.match(/<tr>/g)).toHaveLength(3);
    expect(html).toContain('<td class="num">260.00</td>');
    expect(html).toMatch(/Total \(2\)<\/th><th>EUR<\/th>/);
  });

  it('refuses a bad period, naming it, and what cannot be asked', async () => {
    for (const query of ['period=2026-13', 'period=2026-Q5', 'period=november', '', 'period=2026-11&from=2026-11-01&to=2026-11-30']) {
      const res = await report(query);
      expectProblem(res, 422);
      expect(fields(res), query).toEqual(['query.period']);
    }
    const range = await report('from=2026-11-30&to=2026-11-01');
    expectProblem(range, 422);
    expect(fields(range)).toEqual(['query.to']);
    const half = await report('from=2026-11-01');
    expect(fields(half)).toEqual(['query.to']);
    const who = await report('period=2026-11&counterparty=shop-de');
    expectProblem(who, 422);
    expect(fields(who)).toEqual(['query.counterparty']);
    expectProblem(await report('period=2026-11', TEST_KEYS.finance, 'image/png'), 406);
  });

  it('is for finance and admin only', async () => {
    expectProblem(await report('period=2026-11', TEST_KEYS.integrator), 403);
    expectProblem(await report('period=2026-11', TEST_KEYS.operator), 403);
    expectProblem(await report('period=2026-11', TEST_KEYS.carrier), 403);
    expectProblem(await stack.api('GET', '/v1/reports/financial?period=2026-11', { key: null }), 401);
    expect((await report('period=2026-11', TEST_KEYS.admin)).status).toBe(200);
    expect((await stack.api('GET', '/v1/reports/financial?period=2026-11', finance)).status).toBe(200);
  });
});
