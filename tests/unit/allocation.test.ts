import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  planAllocation,
  type AllocationPlan,
  type LineRequest,
  type StockPosition,
  type WarehouseSite,
} from '../../src/domain/allocation';

// RESERVE (R2.1, R2.3). The reference model below is written independently of the
// module: "available" is the clamped sum over the known sites, "near" is region before
// country before abroad.

const SKUS = ['MUG-1', 'TEE-M', 'CAP-9'] as const;
const CODES = ['W0', 'W1', 'W2', 'W3', 'W4'] as const;

type Destination = { country: string; region: string };

const siteArb = (code: string) =>
  fc.record({
    code: fc.constant(code),
    region: fc.constantFrom('north', 'south', 'North'),
    country: fc.constantFrom('DE', 'FR', 'de'),
  });

const sitesArb: fc.Arbitrary<WarehouseSite[]> = fc
  .shuffledSubarray([...CODES], { minLength: 0 })
  .chain((codes) => fc.tuple(...codes.map(siteArb)))
  .map((sites) => [...sites]);

// At most one position per (sku, warehouse), including warehouses that are not among the
// sites, and negative figures (a reservation that ran ahead of a stock correction).
const stockArb: fc.Arbitrary<StockPosition[]> = fc
  .array(fc.option(fc.integer({ min: -3, max: 12 }), { nil: undefined }), {
    minLength: SKUS.length * CODES.length,
    maxLength: SKUS.length * CODES.length,
  })
  .map((cells) =>
    cells.flatMap((available, i) =>
      available === undefined
        ? []
        : [{ sku: SKUS[i % SKUS.length]!, warehouseCode: CODES[Math.floor(i / SKUS.length)]!, available }],
    ),
  );

const linesArb: fc.Arbitrary<LineRequest[]> = fc
  .array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 10 }) }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((lines) => lines.map((l, i) => ({ line: i + 1, ...l })));

const destinationArb: fc.Arbitrary<Destination> = fc.record({
  country: fc.constantFrom('DE', 'FR', 'NL'),
  region: fc.constantFrom('north', 'south', 'east'),
});

const scenarioArb = fc.record({ lines: linesArb, stock: stockArb, sites: sitesArb, destination: destinationArb });

function availableAt(stock: readonly StockPosition[], sku: string, code: string): number {
  const position = stock.find((p) => p.sku === sku && p.warehouseCode === code);
  return Math.max(0, position?.available ?? 0);
}

function requestedBySku(lines: readonly LineRequest[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const l of lines) totals.set(l.sku, (totals.get(l.sku) ?? 0) + l.quantity);
  return totals;
}

function nearness(site: WarehouseSite, destination: Destination): number {
  if (site.country.toLowerCase() !== destination.country.toLowerCase()) return 2;
  return site.region.toLowerCase() === destination.region.toLowerCase() ? 0 : 1;
}

function canFillAlone(site: WarehouseSite, lines: readonly LineRequest[], stock: readonly StockPosition[]): boolean {
  return [...requestedBySku(lines)].every(([sku, qty]) => availableAt(stock, sku, site.code) >= qty);
}

function expectOk(plan: AllocationPlan): asserts plan is Extract<AllocationPlan, { ok: true }> {
  expect(plan.ok).toBe(true);
}

describe('planAllocation', () => {
  it('never takes more of a SKU from a warehouse than it has available, summed over all lines', () => {
    fc.assert(
      fc.property(scenarioArb, ({ lines, stock, sites, destination }) => {
        const plan = planAllocation(lines, stock, sites, destination);
        if (!plan.ok) return;
        const taken = new Map<string, number>();
        for (const a of plan.allocations) {
          expect(a.quantity).toBeGreaterThan(0);
          const k = `${a.sku}@${a.warehouseCode}`;
          taken.set(k, (taken.get(k) ?? 0) + a.quantity);
        }
        for (const [k, qty] of taken) {
          const [sku, code] = k.split('@') as [string, string];
          expect(qty).toBeLessThanOrEqual(availableAt(stock, sku, code));
        }
      }),
    );
  });

  it('allocates every line in full, from known warehouses only, when the plan is ok', () => {
    fc.assert(
      fc.property(scenarioArb, ({ lines, stock, sites, destination }) => {
        const plan = planAllocation(lines, stock, sites, destination);
        if (!plan.ok) return;
        const codes = new Set(sites.map((s) => s.code));
        for (const line of lines) {
          const mine = plan.allocations.filter((a) => a.line === line.line);
          expect(mine.every((a) => a.sku === line.sku)).toBe(true);
          expect(mine.reduce((n, a) => n + a.quantity, 0)).toBe(line.quantity);
        }
        expect(plan.allocations.every((a) => codes.has(a.warehouseCode))).toBe(true);
        expect(new Set(plan.warehouses)).toEqual(new Set(plan.allocations.map((a) => a.warehouseCode)));
        expect(plan.reasons.length).toBeGreaterThan(0);
      }),
    );
  });

  it('is not ok exactly when some SKU has less stock in total than the order asks for, and names those SKUs with the right figures', () => {
    fc.assert(
      fc.property(scenarioArb, ({ lines, stock, sites, destination }) => {
        const plan = planAllocation(lines, stock, sites, destination);
        const expected = [...requestedBySku(lines)]
          .map(([sku, requested]) => ({
            sku,
            requested,
            available: sites.reduce((n, s) => n + availableAt(stock, sku, s.code), 0),
          }))
          .filter((s) => s.available < s.requested);
        expect(plan.ok).toBe(expected.length === 0);
        if (!plan.ok) {
          const bySku = (a: { sku: string }, b: { sku: string }) => a.sku.localeCompare(b.sku);
          expect([...plan.shortages].sort(bySku)).toEqual(expected.sort(bySku));
        }
      }),
    );
  });

  it('ships from a single warehouse, the nearest one, when one warehouse can fill the whole order', () => {
    fc.assert(
      fc.property(scenarioArb, ({ lines, stock, sites, destination }) => {
        const able = sites.filter((s) => canFillAlone(s, lines, stock));
        fc.pre(able.length > 0);
        const plan = planAllocation(lines, stock, sites, destination);
        expectOk(plan);
        expect(plan.warehouses).toHaveLength(1);
        const chosen = sites.find((s) => s.code === plan.warehouses[0]);
        expect(chosen).toBeDefined();
        expect(able).toContain(chosen);
        const nearest = Math.min(...able.map((s) => nearness(s, destination)));
        expect(nearness(chosen!, destination)).toBe(nearest);
      }),
    );
  });

  it('treats a negative available figure as zero', () => {
    fc.assert(
      fc.property(scenarioArb, ({ lines, stock, sites, destination }) => {
        const clamped = stock.map((p) => ({ ...p, available: Math.max(0, p.available) }));
        expect(planAllocation(lines, stock, sites, destination)).toEqual(planAllocation(lines, clamped, sites, destination));
      }),
    );
  });

  it('gives the same plan for the same input, whatever order the sites and stock rows are listed in', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) =>
          fc.record({
            scenario: fc.constant(s),
            sites: fc.shuffledSubarray(s.sites, { minLength: s.sites.length }),
            stock: fc.shuffledSubarray(s.stock, { minLength: s.stock.length }),
          }),
        ),
        ({ scenario, sites, stock }) => {
          const { lines, destination } = scenario;
          const first = planAllocation(lines, scenario.stock, scenario.sites, destination);
          expect(planAllocation(lines, scenario.stock, scenario.sites, destination)).toEqual(first);
          expect(planAllocation(lines, stock, sites, destination)).toEqual(first);
        },
      ),
    );
  });

  const sites: WarehouseSite[] = [
    { code: 'ABROAD', region: 'north', country: 'FR' },
    { code: 'COUNTRY', region: 'south', country: 'DE' },
    { code: 'REGION', region: 'north', country: 'DE' },
  ];
  const everywhere = (qty: number): StockPosition[] => sites.map((s) => ({ sku: 'MUG-1', warehouseCode: s.code, available: qty }));

  it('prefers a warehouse in the same region, then the same country, then abroad', () => {
    const lines = [{ line: 1, sku: 'MUG-1', quantity: 2 }];
    const at = (codes: string[]) => everywhere(5).filter((p) => codes.includes(p.warehouseCode));
    const to = { country: 'DE', region: 'north' };
    expect(planAllocation(lines, at(['ABROAD', 'COUNTRY', 'REGION']), sites, to)).toMatchObject({ warehouses: ['REGION'] });
    expect(planAllocation(lines, at(['ABROAD', 'COUNTRY']), sites, to)).toMatchObject({ warehouses: ['COUNTRY'] });
    expect(planAllocation(lines, at(['ABROAD']), sites, to)).toMatchObject({ warehouses: ['ABROAD'] });
  });

  it('compares country and region without regard to case', () => {
    const plan = planAllocation([{ line: 1, sku: 'MUG-1', quantity: 1 }], everywhere(5), sites, { country: 'de', region: 'NORTH' });
    expect(plan).toMatchObject({ ok: true, warehouses: ['REGION'] });
  });

  it('splits a line across warehouses, nearest first, only when no single warehouse holds enough', () => {
    const stock: StockPosition[] = [
      { sku: 'MUG-1', warehouseCode: 'REGION', available: 3 },
      { sku: 'MUG-1', warehouseCode: 'COUNTRY', available: 2 },
      { sku: 'MUG-1', warehouseCode: 'ABROAD', available: 10 },
      { sku: 'TEE-M', warehouseCode: 'REGION', available: 1 },
    ];
    const plan = planAllocation(
      [
        { line: 1, sku: 'MUG-1', quantity: 4 },
        { line: 2, sku: 'TEE-M', quantity: 1 },
      ],
      stock,
      sites,
      { country: 'DE', region: 'north' },
    );
    // ABROAD alone could fill line 1, so line 1 is not split; no warehouse has both SKUs.
    expect(plan).toEqual({
      ok: true,
      allocations: [
        { line: 1, sku: 'MUG-1', warehouseCode: 'ABROAD', quantity: 4 },
        { line: 2, sku: 'TEE-M', warehouseCode: 'REGION', quantity: 1 },
      ],
      warehouses: ['ABROAD', 'REGION'],
      reasons: [expect.stringContaining('split')],
    });

    const split = planAllocation([{ line: 1, sku: 'MUG-1', quantity: 14 }], stock, sites, { country: 'DE', region: 'north' });
    expect(split).toMatchObject({
      ok: true,
      allocations: [
        { line: 1, warehouseCode: 'REGION', quantity: 3 },
        { line: 1, warehouseCode: 'COUNTRY', quantity: 2 },
        { line: 1, warehouseCode: 'ABROAD', quantity: 9 },
      ],
    });
  });

  it('reports the shortage of each short SKU, with what was asked and what there is', () => {
    const plan = planAllocation(
      [
        { line: 1, sku: 'MUG-1', quantity: 4 },
        { line: 2, sku: 'MUG-1', quantity: 3 },
        { line: 3, sku: 'CAP-9', quantity: 1 },
      ],
      [
        { sku: 'MUG-1', warehouseCode: 'REGION', available: 5 },
        { sku: 'MUG-1', warehouseCode: 'COUNTRY', available: -2 },
        { sku: 'MUG-1', warehouseCode: 'ELSEWHERE', available: 100 },
      ],
      sites,
      { country: 'DE', region: 'north' },
    );
    expect(plan).toEqual({
      ok: false,
      shortages: [
        { sku: 'MUG-1', requested: 7, available: 5 },
        { sku: 'CAP-9', requested: 1, available: 0 },
      ],
    });
  });
});
