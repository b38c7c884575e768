import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planAllocation, type StockPosition, type WarehouseSite } from '../../src/domain/allocation';
import { competes, ordersToServe, PRIORITY_RANK, servingOrder, unitsAhead, type WaitingOrder } from '../../src/domain/backorder-queue';
import { PRIORITIES } from '../../src/domain/order-status';
import { defaultDecision, stockoutOptions, substituteOffers, transferOffer } from '../../src/domain/stockout-options';

// R1.8, R2.4: who gets scarce stock, and what a stockout offers. Invariants as
// properties: never more than available, urgent first, split only when needed.

const waitingArb: fc.Arbitrary<WaitingOrder[]> = fc
  .uniqueArray(
    fc.record({
      orderId: fc.uuid(),
      priority: fc.constantFrom(...PRIORITIES),
      placedAt: fc.integer({ min: 0, max: 1_000_000 }),
      quantity: fc.integer({ min: 1, max: 6 }),
    }),
    { selector: (o) => o.orderId, maxLength: 25 },
  );

describe('serving waiting orders (R2.4)', () => {
  it('never gives out more than is available', () => {
    fc.assert(
      fc.property(waitingArb, fc.integer({ min: -3, max: 60 }), (waiting, available) => {
        const served = ordersToServe(waiting, available);
        expect(served.reduce((n, o) => n + o.quantity, 0)).toBeLessThanOrEqual(Math.max(0, available));
      }),
    );
  });

  it('serves urgent before high, normal, low, then the oldest first: a prefix of the queue, going as far as the stock does', () => {
    fc.assert(
      fc.property(waitingArb, fc.integer({ min: 0, max: 60 }), (waiting, available) => {
        const served = ordersToServe(waiting, available);
        const queue = [...waiting].sort(servingOrder);
        expect(served).toEqual(queue.slice(0, served.length));
        // No one a higher priority stands behind is served before it.
        for (let i = 1; i < served.length; i++) {
          const [a, b] = [served[i - 1]!, served[i]!];
          expect(PRIORITY_RANK[a.priority] < PRIORITY_RANK[b.priority] || (a.priority === b.priority && a.placedAt <= b.placedAt)).toBe(true);
        }
        // It stopped only because the next order in line does not fit (no thundering herd, no starving).
        const next = queue[served.length];
        if (next) expect(served.reduce((n, o) => n + o.quantity, 0) + next.quantity).toBeGreaterThan(available);
      }),
    );
  });

  it('a receipt of one unit wakes only the urgent order when an urgent and an older normal order each need one', () => {
    const normal: WaitingOrder = { orderId: 'n', priority: 'normal', placedAt: 1, quantity: 1 };
    const urgent: WaitingOrder = { orderId: 'u', priority: 'urgent', placedAt: 2, quantity: 1 };
    expect(ordersToServe([normal, urgent], 1)).toEqual([urgent]);
    expect(ordersToServe([normal], 1)).toEqual([normal]);
    expect(ordersToServe([normal, urgent], 0)).toEqual([]);
  });

  it('an order trying again leaves exactly the units of those ahead of it: it may go ahead only if serving the queue reaches it', () => {
    fc.assert(
      fc.property(waitingArb.filter((w) => w.length > 0), fc.integer({ min: 0, max: 60 }), fc.nat(), (waiting, available, pick) => {
        const me = waiting[pick % waiting.length]!;
        const mayGo = available - unitsAhead(waiting, me) >= me.quantity;
        const queue = [...waiting].sort(servingOrder);
        const ahead = queue.slice(0, queue.indexOf(me));
        // Going ahead never takes what those before it need.
        if (mayGo) expect(ahead.reduce((n, o) => n + o.quantity, 0) + me.quantity).toBeLessThanOrEqual(available);
        if (ordersToServe(waiting, available).includes(me)) expect(mayGo).toBe(true);
      }),
    );
  });
});

// Reach (ORDERFLOW_ALLOCATION_REACH): each waiting order may take only from some
// warehouses, and stock is per warehouse. Four warehouses; reaches are any subsets, or
// (as one configured reach makes them) the zones of a partition: identical or disjoint.
const CODES = ['A', 'B', 'C', 'D'] as const;
const stockArb = fc.tuple(...CODES.map(() => fc.integer({ min: 0, max: 8 }))).map((ns) => new Map(CODES.map((c, i) => [c as string, ns[i]!])));
const reachArb = fc.shuffledSubarray([...CODES] as string[]);
const reachingArb = (reach: fc.Arbitrary<string[] | undefined>): fc.Arbitrary<WaitingOrder[]> =>
  fc.tuple(waitingArb, fc.array(reach, { minLength: 25, maxLength: 25 })).map(([waiting, reaches]) =>
    waiting.map((w, i) => (reaches[i] ? { ...w, reach: reaches[i] } : w)),
  );
/** Zones of a partition of the warehouses: order i reaches zone zoneOf[i]. */
const zonedArb = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), waitingArb, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 25, maxLength: 25 }))
  .map(([zoneOfCode, waiting, zoneOfOrder]) =>
    waiting.map((w, i) => ({ ...w, reach: CODES.filter((_, c) => zoneOfCode[c] === zoneOfOrder[i]) as string[] })),
  );
const total = (orders: readonly WaitingOrder[]) => orders.reduce((n, o) => n + o.quantity, 0);
const inStock = (stock: ReadonlyMap<string, number>, codes: readonly string[]) => codes.reduce((n, c) => n + (stock.get(c) ?? 0), 0);

/** Today's rule before reach, for comparison: the longest prefix of the queue whose needs fit one pool. */
function onePoolServe(waiting: readonly WaitingOrder[], available: number): WaitingOrder[] {
  const queue = [...waiting].sort(servingOrder);
  const served: WaitingOrder[] = [];
  for (const o of queue) {
    if (o.quantity > available - total(served)) break;
    served.push(o);
  }
  return served;
}

describe('serving waiting orders within their reach', () => {
  it('never serves more than the warehouses within reach hold: every set of warehouses covers the served orders confined to it', () => {
    fc.assert(
      fc.property(reachingArb(fc.option(reachArb, { nil: undefined })), stockArb, (waiting, stock) => {
        const served = ordersToServe(waiting, stock);
        // Hall's condition: the served orders can all be given their units at once.
        for (let mask = 0; mask < 1 << CODES.length; mask++) {
          const set = CODES.filter((_, i) => mask & (1 << i)) as string[];
          const confined = served.filter((o) => (o.reach ?? CODES).every((c) => set.includes(c)));
          expect(total(confined)).toBeLessThanOrEqual(inStock(stock, set));
        }
      }),
    );
  });

  it('is exactly the one-pool rule when every order reaches every warehouse', () => {
    fc.assert(
      fc.property(reachingArb(fc.option(fc.shuffledSubarray([...CODES] as string[], { minLength: 4 }), { nil: undefined })), stockArb, (waiting, stock) => {
        expect(ordersToServe(waiting, stock)).toEqual(onePoolServe(waiting, inStock(stock, CODES)));
      }),
    );
  });

  it('never serves an order while one ahead of it that competes for the same warehouses waits', () => {
    fc.assert(
      fc.property(reachingArb(fc.option(reachArb, { nil: undefined })), stockArb, (waiting, stock) => {
        const served = new Set(ordersToServe(waiting, stock));
        for (const s of served) {
          const blocking = waiting.filter((w) => !served.has(w) && servingOrder(w, s) < 0 && competes(w, s));
          expect(blocking).toEqual([]);
        }
      }),
    );
  });

  it('serves orders whose reaches do not meet independently: each zone as its own pool', () => {
    fc.assert(
      fc.property(zonedArb, stockArb, (waiting, stock) => {
        const served = ordersToServe(waiting, stock);
        const zones = [...new Set(waiting.map((w) => w.reach!.join()))];
        for (const zone of zones) {
          const codes = zone ? zone.split(',') : [];
          const mine = waiting.filter((w) => w.reach!.join() === zone);
          expect(served.filter((o) => o.reach!.join() === zone)).toEqual(onePoolServe(mine, inStock(stock, codes)));
        }
      }),
    );
  });

  it('an order trying again leaves the units of competing orders ahead: it may go ahead exactly when serving the queue would reach it', () => {
    fc.assert(
      fc.property(zonedArb.filter((w) => w.length > 0), stockArb, fc.nat(), (waiting, stock, pick) => {
        const me = waiting[pick % waiting.length]!;
        const mine = inStock(stock, me.reach!);
        const mayGo = mine - unitsAhead(waiting, me) >= me.quantity;
        const ahead = waiting.filter((w) => servingOrder(w, me) < 0 && competes(w, me));
        if (mayGo) expect(total(ahead) + me.quantity).toBeLessThanOrEqual(mine);
        expect(mayGo).toBe(ordersToServe(waiting, stock).includes(me));
      }),
    );
  });

  it('a unit at RTM-1 serves the Dutch normal order, not the German urgent one ahead of it; a unit at BER-1 the German one', () => {
    const german: WaitingOrder = { orderId: 'de', priority: 'urgent', placedAt: 1, quantity: 1, reach: ['BER-1'] };
    const dutch: WaitingOrder = { orderId: 'nl', priority: 'normal', placedAt: 2, quantity: 1, reach: ['RTM-1'] };
    expect(ordersToServe([german, dutch], new Map([['RTM-1', 1]]))).toEqual([dutch]);
    expect(ordersToServe([german, dutch], new Map([['BER-1', 1]]))).toEqual([german]);
    expect(unitsAhead([german, dutch], dutch)).toBe(0);
    // Anywhere, the urgent one is ahead and takes the one unit wherever it is.
    const anywhere = [german, dutch].map(({ reach: _, ...o }) => o);
    expect(ordersToServe(anywhere, new Map([['RTM-1', 1]]))).toEqual([anywhere[0]]);
    expect(unitsAhead(anywhere, anywhere[1]!)).toBe(1);
  });
});

describe('allocating an order across warehouses', () => {
  const CODES = ['W0', 'W1', 'W2'];
  const sites: WarehouseSite[] = [
    { code: 'W0', region: 'north', country: 'DE' },
    { code: 'W1', region: 'south', country: 'DE' },
    { code: 'W2', region: 'paris', country: 'FR' },
  ];
  const stockArb: fc.Arbitrary<StockPosition[]> = fc.array(
    fc.record({ sku: fc.constantFrom('A', 'B'), warehouseCode: fc.constantFrom(...CODES), available: fc.integer({ min: -2, max: 8 }) }),
    { maxLength: 8 },
  );
  const linesArb = fc
    .array(fc.record({ sku: fc.constantFrom('A', 'B'), quantity: fc.integer({ min: 1, max: 10 }) }), { minLength: 1, maxLength: 3 })
    .map((ls) => ls.map((l, i) => ({ line: i + 1, ...l })));
  // Later positions for the same SKU and warehouse replace earlier ones, as the Map in the planner does.
  const availableAt = (stock: StockPosition[], sku: string, code: string) =>
    Math.max(0, stock.filter((p) => p.sku === sku && p.warehouseCode === code).at(-1)?.available ?? 0);

  it('never takes more than is available at any warehouse, and fills every line exactly', () => {
    fc.assert(
      fc.property(linesArb, stockArb, (lines, stock) => {
        const plan = planAllocation(lines, stock, sites, { country: 'DE', region: 'north' });
        if (!plan.ok) return;
        for (const code of CODES) {
          for (const sku of ['A', 'B']) {
            const taken = plan.allocations.filter((a) => a.sku === sku && a.warehouseCode === code).reduce((n, a) => n + a.quantity, 0);
            expect(taken).toBeLessThanOrEqual(availableAt(stock, sku, code));
          }
        }
        for (const l of lines) expect(plan.allocations.filter((a) => a.line === l.line).reduce((n, a) => n + a.quantity, 0)).toBe(l.quantity);
      }),
    );
  });

  it('splits a line only when no warehouse can give it whole; short only when all warehouses together are', () => {
    fc.assert(
      fc.property(linesArb, stockArb, (lines, stock) => {
        const plan = planAllocation(lines, stock, sites, { country: 'DE', region: 'north' });
        const total = (sku: string) => CODES.reduce((n, c) => n + availableAt(stock, sku, c), 0);
        const need = (sku: string) => lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
        expect(plan.ok).toBe(['A', 'B'].every((sku) => total(sku) >= need(sku)));
        if (!plan.ok) return;
        const single = new Set(lines.filter((l) => lines.filter((m) => m.sku === l.sku).length === 1).map((l) => l.line));
        for (const l of lines) {
          const parts = plan.allocations.filter((a) => a.line === l.line);
          // One line per SKU: split only when no one warehouse holds the line whole.
          if (single.has(l.line) && parts.length > 1) expect(CODES.some((c) => availableAt(stock, l.sku, c) >= l.quantity)).toBe(false);
        }
      }),
    );
  });
});

describe('stockout options (R1.8)', () => {
  const paidNothing = { amount: 0, currency: 'EUR' };

  it('always offers wait (with its ETA) and cancel; a refund only when something was paid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (paid) => {
        const options = stockoutOptions({ shortages: [{ sku: 'A', requested: 2, available: 0 }], eta: '2030-01-08', substitutes: [], paid: { amount: paid, currency: 'EUR' } });
        expect(options.map((o) => o.decision)).toEqual(['wait', 'cancel']);
        expect(options[0]).toMatchObject({ decision: 'wait', eta: '2030-01-08' });
        const cancel = options.find((o) => o.decision === 'cancel')!;
        expect('refund' in cancel && cancel.refund).toEqual(paid > 0 ? { amount: paid, currency: 'EUR' } : false);
        for (const o of options) expect(o.consequence.length).toBeGreaterThan(10);
      }),
    );
  });

  it('offers substitutes that cover the short line whole, with the price difference for its quantity', () => {
    const shortages = [{ sku: 'A', requested: 3, available: 1 }];
    const lines = [{ sku: 'A', quantity: 3, unitPrice: 1000, currency: 'EUR' }];
    const offers = substituteOffers(shortages, lines, [
      { forSku: 'A', sku: 'A2', name: 'A, bigger', unitPrice: 1200, currency: 'EUR', available: 3 },
      { forSku: 'A', sku: 'A3', name: 'A, too few', unitPrice: 900, currency: 'EUR', available: 2 },
      { forSku: 'A', sku: 'A4', name: 'A, cheaper', unitPrice: 900, currency: 'EUR', available: 10 },
      { forSku: 'A', sku: 'A5', name: 'A, other money', unitPrice: 900, currency: 'USD', available: 10 },
    ]);
    expect(offers).toEqual([
      { forSku: 'A', sku: 'A2', name: 'A, bigger', priceDifference: { amount: 600, currency: 'EUR' } },
      { forSku: 'A', sku: 'A4', name: 'A, cheaper', priceDifference: { amount: -300, currency: 'EUR' } },
    ]);
    const options = stockoutOptions({ shortages, eta: '2030-01-08', substitutes: offers, paid: paidNothing });
    expect(options.map((o) => o.decision)).toEqual(['wait', 'substitute', 'cancel']);
    // Two short SKUs: one substitute cannot settle the order, so none is offered.
    expect(substituteOffers([...shortages, { sku: 'B', requested: 1, available: 0 }], lines, [{ forSku: 'A', sku: 'A2', name: 'x', unitPrice: 1, currency: 'EUR', available: 9 }])).toEqual([]);
  });

  it('offers a transfer from the nearest other-region warehouse that covers the shortfall, with the days it adds', () => {
    const sites: WarehouseSite[] = [
      { code: 'BER', region: 'BE', country: 'DE' },
      { code: 'MUC', region: 'BY', country: 'DE' },
      { code: 'PAR', region: 'IDF', country: 'FR' },
    ];
    const destination = { country: 'DE', region: 'BE' };
    const short = [{ sku: 'A', requested: 5, available: 2 }];
    expect(transferOffer(short, [{ sku: 'A', warehouseCode: 'PAR', available: 3 }], sites, destination)).toEqual({ fromWarehouse: 'PAR', addedDays: 5 });
    expect(
      transferOffer(short, [{ sku: 'A', warehouseCode: 'PAR', available: 3 }, { sku: 'A', warehouseCode: 'MUC', available: 3 }], sites, destination),
    ).toEqual({ fromWarehouse: 'MUC', addedDays: 2 });
    // The customer's own region is no transfer; too little elsewhere is none either.
    expect(transferOffer(short, [{ sku: 'A', warehouseCode: 'BER', available: 9 }, { sku: 'A', warehouseCode: 'MUC', available: 2 }], sites, destination)).toBeUndefined();
  });

  it('on silence applies the configured default when it is on offer, else cancels', () => {
    const options = stockoutOptions({ shortages: [{ sku: 'A', requested: 1, available: 0 }], eta: '2030-01-08', substitutes: [], paid: paidNothing });
    expect(defaultDecision(options, 'wait')).toBe('wait');
    expect(defaultDecision(options, 'cancel')).toBe('cancel');
    expect(defaultDecision(options, undefined)).toBe('cancel');
    expect(defaultDecision(options.filter((o) => o.decision !== 'wait'), 'wait')).toBe('cancel');
  });
});
