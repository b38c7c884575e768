import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withinReach, type WarehouseSite } from '../../src/domain/allocation';
import { partialSplit, stockoutOptions, transferOffer } from '../../src/domain/stockout-options';

// R1.8: which stockouts can ship in part (and what ships now and later), and which can
// be covered by a transfer from beyond RESERVE's reach.

const linesArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 })
  .chain((numbers) =>
    fc.tuple(...numbers.map((line) => fc.record({ line: fc.constant(line), sku: fc.constantFrom('A', 'B', 'C'), quantity: fc.integer({ min: 1, max: 6 }) }))),
  );

describe('partial split (R1.8)', () => {
  it('ships now at most what is available, back-orders exactly the rest, and is offered only when some but not all can ship', () => {
    fc.assert(
      fc.property(linesArb, fc.record({ A: fc.nat(10), B: fc.nat(10), C: fc.nat(10) }), (lines, stock) => {
        const requested = (sku: string) => lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
        const shortages = (['A', 'B', 'C'] as const)
          .filter((sku) => requested(sku) > stock[sku])
          .map((sku) => ({ sku, requested: requested(sku), available: stock[sku] }));
        const split = partialSplit(lines, shortages);
        const units = (ls: readonly { sku: string; quantity: number }[], sku: string) => ls.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
        const canShip = (['A', 'B', 'C'] as const).reduce((n, sku) => n + Math.min(requested(sku), stock[sku]), 0);
        if (shortages.length === 0 || canShip === 0) {
          expect(split).toBeUndefined();
          return;
        }
        expect(split).toBeDefined();
        for (const sku of ['A', 'B', 'C'] as const) {
          // Never more than there is; every unit either now or later, none twice.
          expect(units(split!.now, sku)).toBe(Math.min(requested(sku), stock[sku]));
          expect(units(split!.now, sku) + units(split!.later, sku)).toBe(requested(sku));
        }
        for (const l of [...split!.now, ...split!.later]) expect(l.quantity).toBeGreaterThan(0);
      }),
    );
  });

  it('is offered with what ships now, what later and the ETA; not when nothing is there', () => {
    const lines = [
      { line: 1, sku: 'A', quantity: 3 },
      { line: 2, sku: 'B', quantity: 1 },
    ];
    const shortages = [{ sku: 'A', requested: 3, available: 1 }];
    const partial = partialSplit(lines, shortages);
    expect(partial).toEqual({
      now: [
        { line: 1, sku: 'A', quantity: 1 },
        { line: 2, sku: 'B', quantity: 1 },
      ],
      later: [{ line: 1, sku: 'A', quantity: 2 }],
    });
    const options = stockoutOptions({ shortages, eta: '2030-01-08', substitutes: [], paid: { amount: 0, currency: 'EUR' }, partial });
    expect(options.map((o) => o.decision)).toEqual(['wait', 'partial', 'cancel']);
    expect(options[1]!.consequence).toBe(
      "ships now: 1 × A, 1 × B; the rest (2 × A) is back-ordered and ships when it arrives, expected by 2030-01-08; the order's total does not change",
    );
    expect(partialSplit([{ line: 1, sku: 'A', quantity: 2 }], [{ sku: 'A', requested: 2, available: 0 }])).toBeUndefined();
  });
});

describe('transfer beyond reach (R1.8)', () => {
  const sites: WarehouseSite[] = [
    { code: 'BER', region: 'BE', country: 'DE' },
    { code: 'MUC', region: 'BY', country: 'DE' },
    { code: 'RTM', region: 'ZH', country: 'NL' },
  ];
  const destination = { country: 'DE', region: 'BE' };

  it('reach: region takes the customer region only, country the whole country, anywhere (the default) every warehouse', () => {
    const codes = (reach?: 'region' | 'country' | 'anywhere') => sites.filter((s) => withinReach(s, destination, reach)).map((s) => s.code);
    expect(codes('region')).toEqual(['BER']);
    expect(codes('country')).toEqual(['BER', 'MUC']);
    expect(codes('anywhere')).toEqual(['BER', 'MUC', 'RTM']);
    expect(codes()).toEqual(['BER', 'MUC', 'RTM']);
  });

  it('offers only warehouses beyond the reach, and none when the reach is anywhere (the allocation counted them all)', () => {
    const short = [{ sku: 'A', requested: 2, available: 0 }];
    const stock = [
      { sku: 'A', warehouseCode: 'MUC', available: 2 },
      { sku: 'A', warehouseCode: 'RTM', available: 2 },
    ];
    expect(transferOffer(short, stock, sites, destination, 'region')).toEqual({ fromWarehouse: 'MUC', addedDays: 2 });
    expect(transferOffer(short, stock, sites, destination, 'country')).toEqual({ fromWarehouse: 'RTM', addedDays: 5 });
    expect(transferOffer(short, stock, sites, destination, 'anywhere')).toBeUndefined();
  });
});
