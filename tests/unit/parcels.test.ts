import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PARCEL_GRAMS, packParcels, type Goods } from '../../src/domain/parcels';

// R3.7: parcels of at most 20 kg, no unit split across two, a heavy unit alone.

const goodsArb: fc.Arbitrary<Goods[]> = fc.array(
  fc.record({
    weightGrams: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 20_001, max: 200_000 })),
    quantity: fc.integer({ min: 0, max: 40 }),
    dimensionsCm: fc.record({ length: fc.integer({ min: 1, max: 200 }), width: fc.integer({ min: 1, max: 120 }), height: fc.integer({ min: 1, max: 120 }) }),
  }),
  { maxLength: 6 },
);

const totalOf = (goods: readonly Goods[]) => goods.reduce((n, g) => n + g.weightGrams * g.quantity, 0);

describe('packParcels', () => {
  it('puts a 90 kg unit alone in one parcel, not in five 18 kg boxes', () => {
    expect(packParcels([{ weightGrams: 90_000, quantity: 1 }])).toEqual([{ weightGrams: 90_000, units: 1, dimensionsCm: { length: 1, width: 1, height: 1 } }]);
  });

  it('fills parcels heaviest first, and fits light goods into the gaps', () => {
    const parcels = packParcels([
      { weightGrams: 500, quantity: 9 },
      { weightGrams: 15_000, quantity: 2 },
    ]);
    // Two 15 kg units, one per parcel; the nine 500 g units all fit the first one's gap.
    expect(parcels.map((p) => [p.weightGrams, p.units])).toEqual([
      [19_500, 10],
      [15_000, 1],
    ]);
  });

  it('keeps every unit and every gram, splits no unit, and overfills no parcel but a single heavy unit', () => {
    fc.assert(
      fc.property(goodsArb, (goods) => {
        const parcels = packParcels(goods);
        expect(parcels.reduce((n, p) => n + p.weightGrams, 0)).toBe(totalOf(goods));
        expect(parcels.reduce((n, p) => n + p.units, 0)).toBe(goods.reduce((n, g) => n + g.quantity, 0));
        for (const p of parcels) {
          expect(p.units).toBeGreaterThan(0);
          if (p.weightGrams > MAX_PARCEL_GRAMS) expect(p.units).toBe(1);
        }
      }),
    );
  });

  it('never uses more than twice the parcels the weight needs (first fit)', () => {
    fc.assert(
      fc.property(goodsArb, (goods) => {
        const light = goods.filter((g) => g.weightGrams <= MAX_PARCEL_GRAMS);
        const heavyUnits = goods.filter((g) => g.weightGrams > MAX_PARCEL_GRAMS).reduce((n, g) => n + g.quantity, 0);
        const parcels = packParcels(goods);
        const lightParcels = parcels.length - heavyUnits;
        expect(lightParcels).toBeGreaterThanOrEqual(Math.ceil(totalOf(light) / MAX_PARCEL_GRAMS));
        expect(lightParcels).toBeLessThanOrEqual(Math.max(1, Math.ceil((2 * totalOf(light)) / MAX_PARCEL_GRAMS)));
      }),
    );
  });

  it('gives each parcel the largest extent of what it holds, and never changes its input', () => {
    fc.assert(
      fc.property(goodsArb, (goods) => {
        const before = structuredClone(goods);
        const parcels = packParcels(goods);
        expect(goods).toEqual(before);
        const present = goods.filter((g) => g.quantity > 0);
        const longest = Math.max(0, ...present.map((g) => g.dimensionsCm!.length));
        for (const p of parcels) expect(p.dimensionsCm.length).toBeLessThanOrEqual(longest);
        if (present.length > 0) expect(Math.max(...parcels.map((p) => p.dimensionsCm.length))).toBe(longest);
      }),
    );
  });
});
