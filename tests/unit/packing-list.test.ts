import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackagingKind } from '../../src/domain/packing-list';
import { buildPackingList, checkPackingList, strictestPackaging, type PackableLine } from '../../src/domain/packing-list';
import { MAX_PARCEL_GRAMS, packParcels } from '../../src/domain/parcels';

// R3.7–R3.9: what goes in the box, checked against the order before booking.

const KINDS: PackagingKind[] = ['standard', 'fragile', 'perishable', 'hazardous'];

const line = (l: number, sku: string, quantity: number, weightGrams: number, handling: PackagingKind = 'standard'): PackableLine => ({
  line: l,
  sku,
  name: `Product ${sku}`,
  spec: 'one size',
  quantity,
  weightGrams,
  handling,
});

const build = (lines: PackableLine[]) => buildPackingList({ shipmentId: 'shp-1', orderNumber: 'OF-1001', warehouseCode: 'W1', lines });

const linesArb: fc.Arbitrary<PackableLine[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 0, maxLength: 8 })
  .chain((numbers) =>
    fc.tuple(
      ...numbers.map((n) =>
        fc.record({
          line: fc.constant(n),
          sku: fc.constantFrom('MUG-1', 'TEE-M', 'CAP-9', 'BAG-2'),
          name: fc.constant('Product'),
          spec: fc.constant('spec'),
          quantity: fc.integer({ min: 1, max: 20 }),
          weightGrams: fc.integer({ min: 1, max: 15_000 }),
          handling: fc.constantFrom(...KINDS),
        }),
      ),
    ),
  )
  .map((lines) => [...lines]);

describe('buildPackingList', () => {
  it('lists each line with its name, spec, quantity, packaging and line weight, sorted by line', () => {
    const list = build([line(2, 'TEE-M', 3, 200, 'standard'), line(1, 'MUG-1', 2, 450, 'fragile')]);
    expect(list).toEqual({
      shipmentId: 'shp-1',
      orderNumber: 'OF-1001',
      warehouseCode: 'W1',
      lines: [
        { line: 1, sku: 'MUG-1', name: 'Product MUG-1', spec: 'one size', quantity: 2, packaging: 'fragile', weightGrams: 900 },
        { line: 2, sku: 'TEE-M', name: 'Product TEE-M', spec: 'one size', quantity: 3, packaging: 'standard', weightGrams: 600 },
      ],
      totalWeightGrams: 1500,
      parcelCount: 1,
      checkedAgainstOrder: false,
    });
  });

  it('packs into 20 kg parcels, at least one, never splitting a unit', () => {
    expect(MAX_PARCEL_GRAMS).toBe(20_000);
    expect(build([]).parcelCount).toBe(1);
    expect(build([line(1, 'A', 1, 20_000)]).parcelCount).toBe(1);
    expect(build([line(1, 'A', 1, 20_001)]).parcelCount).toBe(1);
    expect(build([line(1, 'A', 3, 90_000)]).parcelCount).toBe(3);
    expect(build([line(1, 'A', 4, 10_000), line(2, 'B', 1, 1)]).parcelCount).toBe(3);
  });

  it('totals weight as unit weight times quantity, sorts by line and never changes the input', () => {
    fc.assert(
      fc.property(linesArb, (lines) => {
        const before = structuredClone(lines);
        const list = build(lines);
        expect(lines).toEqual(before);
        const total = lines.reduce((n, l) => n + l.weightGrams * l.quantity, 0);
        expect(list.totalWeightGrams).toBe(total);
        // The same parcels the carriers are asked to price.
        expect(list.parcelCount).toBe(Math.max(1, packParcels(lines).length));
        expect(list.lines.map((l) => l.line)).toEqual(lines.map((l) => l.line).sort((a, b) => a - b));
        for (const l of list.lines) {
          const source = lines.find((s) => s.line === l.line)!;
          expect(l).toMatchObject({ sku: source.sku, quantity: source.quantity, packaging: source.handling, weightGrams: source.weightGrams * source.quantity });
        }
      }),
    );
  });
});

describe('checkPackingList', () => {
  const list = build([line(1, 'MUG-1', 2, 450), line(2, 'TEE-M', 1, 200), line(3, 'MUG-1', 1, 450)]);

  it('passes a list that holds exactly what the order allocates, however the lines are split', () => {
    expect(checkPackingList(list, [{ sku: 'TEE-M', quantity: 1 }, { sku: 'MUG-1', quantity: 3 }])).toEqual({ ok: true, discrepancies: [] });
  });

  it('finds a missing SKU, an extra SKU and a miscounted SKU', () => {
    const result = checkPackingList(list, [
      { sku: 'MUG-1', quantity: 2 },
      { sku: 'CAP-9', quantity: 1 },
    ]);
    expect(result.ok).toBe(false);
    const bySku = [...result.discrepancies].sort((a, b) => a.sku.localeCompare(b.sku));
    expect(bySku).toEqual([
      { sku: 'CAP-9', expected: 1, packed: 0 },
      { sku: 'MUG-1', expected: 2, packed: 3 },
      { sku: 'TEE-M', expected: 0, packed: 1 },
    ]);
  });

  it('always passes a list built from the expected lines, in any order', () => {
    fc.assert(
      fc.property(
        linesArb.chain((lines) => fc.tuple(fc.constant(lines), fc.shuffledSubarray(lines, { minLength: lines.length }))),
        ([lines, shuffled]) => {
          const expected = shuffled.map((l) => ({ sku: l.sku, quantity: l.quantity }));
          expect(checkPackingList(build(lines), expected)).toEqual({ ok: true, discrepancies: [] });
        },
      ),
    );
  });

  it('flags every SKU whose packed count differs from the expected count, and only those', () => {
    fc.assert(
      fc.property(linesArb, linesArb, (packedLines, expectedLines) => {
        const expected = expectedLines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
        const total = (ls: { sku: string; quantity: number }[], sku: string) => ls.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
        const skus = new Set([...packedLines, ...expectedLines].map((l) => l.sku));
        const wrong = [...skus].filter((sku) => total(packedLines, sku) !== total(expected, sku));
        const result = checkPackingList(build(packedLines), expected);
        expect(result.ok).toBe(wrong.length === 0);
        expect(result.discrepancies.map((d) => d.sku).sort()).toEqual(wrong.sort());
        for (const d of result.discrepancies) {
          expect(d.expected).toBe(total(expected, d.sku));
          expect(d.packed).toBe(total(packedLines, d.sku));
        }
      }),
    );
  });
});

describe('strictestPackaging', () => {
  it('takes the most careful packaging any line needs: hazardous > perishable > fragile > standard', () => {
    expect(strictestPackaging([])).toBe('standard');
    expect(strictestPackaging(['standard', 'fragile', 'standard'])).toBe('fragile');
    expect(strictestPackaging(['fragile', 'perishable'])).toBe('perishable');
    expect(strictestPackaging(['hazardous', 'perishable', 'fragile'])).toBe('hazardous');
  });

  it('does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...KINDS)), (kinds) => {
        const expected = kinds.length === 0 ? 'standard' : KINDS[Math.max(...kinds.map((k) => KINDS.indexOf(k)))];
        expect(strictestPackaging(kinds)).toBe(expected);
        expect(strictestPackaging([...kinds].reverse())).toBe(expected);
      }),
    );
  });
});
