import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, isoDate, isWeekend, nextWorkingDay } from '../../src/domain/calendar';

// Calendar days as UTC YYYY-MM-DD strings.

const dayArb = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('calendar', () => {
  it('takes the UTC calendar day of an instant', () => {
    expect(isoDate(new Date('2025-03-10T23:59:59.999Z'))).toBe('2025-03-10');
    expect(isoDate(new Date('2025-03-10T23:30:00-02:00'))).toBe('2025-03-11');
  });

  it('adds days across month and year ends and leap days', () => {
    expect(addDays('2025-01-31', 1)).toBe('2025-02-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(addDays('2025-03-10', 0)).toBe('2025-03-10');
    expect(addDays('2025-03-30', 3)).toBe('2025-04-02');
  });

  it('adding n days and taking them away again gives the same day, and days compare as strings', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: -400, max: 400 }), (day, n) => {
        expect(addDays(addDays(day, n), -n)).toBe(day);
        const later = addDays(day, n);
        expect(Math.sign(later.localeCompare(day))).toBe(Math.sign(n));
      }),
    );
  });

  it('knows Saturday and Sunday are the weekend', () => {
    // 2025-03-10 is a Monday.
    const week = ['2025-03-10', '2025-03-11', '2025-03-12', '2025-03-13', '2025-03-14', '2025-03-15', '2025-03-16'];
    expect(week.map(isWeekend)).toEqual([false, false, false, false, false, true, true]);
    fc.assert(
      fc.property(dayArb, (day) => {
        const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
        expect(isWeekend(day)).toBe(weekday === 0 || weekday === 6);
      }),
    );
  });

  it('moves Friday, Saturday and Sunday to Monday, and a weekday to the next', () => {
    expect(nextWorkingDay('2025-03-14')).toBe('2025-03-17');
    expect(nextWorkingDay('2025-03-15')).toBe('2025-03-17');
    expect(nextWorkingDay('2025-03-16')).toBe('2025-03-17');
    expect(nextWorkingDay('2025-03-10')).toBe('2025-03-11');
    expect(nextWorkingDay('2025-01-31')).toBe('2025-02-03');
    expect(nextWorkingDay('2027-12-31')).toBe('2028-01-03');
  });

  it('the next working day is the first weekday after the day', () => {
    fc.assert(
      fc.property(dayArb, (day) => {
        const next = nextWorkingDay(day);
        expect(isWeekend(next)).toBe(false);
        expect(next > day).toBe(true);
        for (let d = addDays(day, 1); d < next; d = addDays(d, 1)) expect(isWeekend(d)).toBe(true);
      }),
    );
  });
});
