import { describe, expect, it } from 'vitest';
import { parseDemandCsv } from '../../src/analytics/demand-csv';

// R2.7: past sales as CSV; each bad line named with its field.

const TODAY = '2026-06-30';

describe('demand history CSV', () => {
  it('reads rows, skipping blank lines, with CRLF and a byte-order mark', () => {
    const { rows, faults } = parseDemandCsv('\uFEFFdate,sku,warehouse,quantity\r\n2026-06-01, MUG ,BER-1,3\r\n\r\n2026-06-02,MUG,BER-1,0\r\n', TODAY);
    expect(faults).toEqual([]);
    expect(rows).toEqual([
      { line: 2, date: '2026-06-01', sku: 'MUG', warehouse: 'BER-1', quantity: 3 },
      { line: 4, date: '2026-06-02', sku: 'MUG', warehouse: 'BER-1', quantity: 0 },
    ]);
  });

  it('names every line and field at fault', () => {
    const csv = [
      'date,sku,warehouse,quantity',
      '2026-02-30,MUG,BER-1,3',
      '2026-06-01,MUG,BER-1,-1',
      '2026-06-01,,BER-1,2.5',
      '2026-06-01,MUG,BER-1',
      '2026-07-01,MUG,BER-1,1',
      '2026-06-03,MUG,BER-1,1',
      '2026-06-03,MUG,BER-1,2',
    ].join('\n');
    const { faults } = parseDemandCsv(csv, TODAY);
    expect(faults.map((f) => f.field)).toEqual([
      'line 2.date',
      'line 3.quantity',
      'line 4.sku',
      'line 4.quantity',
      'line 5',
      'line 6.date',
      'line 8.date',
    ]);
    expect(faults[0]!.message).toBe('line 2: date "2026-02-30" is not a calendar date YYYY-MM-DD');
    expect(faults[5]!.message).toMatch(/in the future/);
    expect(faults[6]!.message).toBe('line 8: MUG at BER-1 on 2026-06-03 is already on line 7');
  });

  it('refuses a wrong header and a file with no rows', () => {
    expect(parseDemandCsv('day,sku,warehouse,qty\n2026-06-01,MUG,BER-1,1', TODAY).faults[0]!.field).toBe('line 1');
    expect(parseDemandCsv('date,sku,warehouse,quantity\n', TODAY).faults).toEqual([{ field: 'content', message: 'no rows after the header' }]);
  });
});
