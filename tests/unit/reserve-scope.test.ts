import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALLOCATION_REACHES, distanceRank, reserveScope, warehousesInScope, withinReach, type WarehouseSite } from '../../src/domain/allocation';

// R2.4: the warehouses a waiting order may take from are those of its own RESERVE scope
// (its reach and agreed transfers); orders stored without one have the configured reach.

const SITES: WarehouseSite[] = [
  { code: 'BER-1', region: 'BE', country: 'DE' },
  { code: 'BER-2', region: 'BE', country: 'DE' },
  { code: 'MUC-1', region: 'BY', country: 'DE' },
  { code: 'RTM-1', region: 'ZH', country: 'NL' },
  { code: 'WAW-1', region: 'MZ', country: 'PL' },
];
const BERLIN = { country: 'DE', region: 'BE' };
const reachArb = fc.constantFrom(...ALLOCATION_REACHES);
const codesArb = fc.subarray(SITES.map((s) => s.code));

describe('an order\'s reserve scope', () => {
  it('holds exactly the warehouses within its reach or agreed, nearest first, whatever the configured reach', () => {
    fc.assert(
      fc.property(reachArb, codesArb, fc.option(reachArb, { nil: undefined }), (reach, agreed, configured) => {
        const codes = warehousesInScope(SITES, BERLIN, reserveScope(reach, agreed), configured);
        const expected = SITES.filter((s) => withinReach(s, BERLIN, reach) || agreed.includes(s.code)).map((s) => s.code);
        expect([...codes].sort()).toEqual([...expected].sort());
        const ranks = codes.map((c) => distanceRank(SITES.find((s) => s.code === c)!, BERLIN));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }),
    );
  });

  it('falls back to the configured reach only for an order stored without a scope', () => {
    expect(warehousesInScope(SITES, BERLIN, null, 'country')).toEqual(['BER-1', 'BER-2', 'MUC-1']);
    expect(warehousesInScope(SITES, BERLIN, null, undefined)).toHaveLength(SITES.length);
    expect(warehousesInScope(SITES, BERLIN, { reach: 'region' }, 'anywhere')).toEqual(['BER-1', 'BER-2']);
    expect(warehousesInScope(SITES, BERLIN, { reach: 'region', alsoFrom: ['RTM-1'] }, 'region')).toEqual(['BER-1', 'BER-2', 'RTM-1']);
  });

  it('is stored with an explicit reach (absent: anywhere) and the agreed warehouses once each, sorted', () => {
    expect(reserveScope(undefined)).toEqual({ reach: 'anywhere' });
    expect(reserveScope('region', ['RTM-1', 'MUC-1', 'RTM-1'])).toEqual({ reach: 'region', alsoFrom: ['MUC-1', 'RTM-1'] });
  });
});
