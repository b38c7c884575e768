import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, minorDigits } from '../../src/domain/money';
import { parseAmount, parseStatement, statementDigest } from '../../src/finance/statements';

// R6.5: statement amounts are decimal strings in major units, read exactly into minor units.

describe('parseAmount', () => {
  it('reads what formatMoney writes, for every whole amount and currency', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom('EUR', 'USD', 'JPY', 'KWD'), (amount, currency) => {
        const text = formatMoney({ amount, currency }).slice(4);
        expect(parseAmount(text, currency)).toEqual({ amount });
      }),
    );
  });

  it('pads short fractions and refuses more decimals than the currency has', () => {
    expect(parseAmount('12.3', 'EUR')).toEqual({ amount: 1230 });
    expect(parseAmount('12', 'EUR')).toEqual({ amount: 1200 });
    expect(parseAmount('0.07', 'EUR')).toEqual({ amount: 7 });
    expect(parseAmount('1500', 'JPY')).toEqual({ amount: 1500 });
    expect(parseAmount('0.1', 'KWD')).toEqual({ amount: 100 });
    expect(minorDigits('JPY')).toBe(0);
    for (const [text, currency] of [['12.345', 'EUR'], ['15.5', 'JPY'], ['1,000.00', 'EUR'], ['-1', 'EUR'], ['1e3', 'EUR'], ['.5', 'EUR'], ['', 'EUR'], ['90071992547409.92', 'EUR']]) {
      expect(parseAmount(text!, currency!)).toHaveProperty('error');
    }
  });
});

describe('parseStatement', () => {
  it('gives the same lines from CSV and JSON lines, and one digest whatever their order', () => {
    const csv = parseStatement('csv', 'date,amount,kind,reference,currency\n2026-11-01,1.50,sale,OF-1,EUR\n2026-11-02,2,refund,OF-1,EUR\n');
    const jsonl = parseStatement(
      'jsonl',
      '{"reference":"OF-1","kind":"refund","amount":"2.00","currency":"EUR","date":"2026-11-02"}\n{"reference":"OF-1","kind":"sale","amount":"1.5","currency":"EUR","date":"2026-11-01"}',
    );
    expect(csv).toEqual({
      ok: true,
      lines: [
        { reference: 'OF-1', kind: 'sale', amount: 150, currency: 'EUR', date: '2026-11-01' },
        { reference: 'OF-1', kind: 'refund', amount: 200, currency: 'EUR', date: '2026-11-02' },
      ],
    });
    expect(jsonl.ok && csv.ok && statementDigest(jsonl.lines)).toBe(csv.ok && statementDigest(csv.lines));
  });

  it('takes an empty statement as no lines', () => {
    expect(parseStatement('csv', 'reference,kind,amount,currency,date\n')).toEqual({ ok: true, lines: [] });
    expect(parseStatement('jsonl', '')).toEqual({ ok: true, lines: [] });
  });
});
