import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SETTLEMENT_CYCLES } from '../../src/domain/settlement-cycle';
import {
  PeriodError,
  isValidTimeZone,
  parsePeriod,
  periodBounds,
  periodContaining,
  periodLabel,
  previousPeriod,
} from '../../src/domain/settlement-period';
import { settlementCalendars } from '../../src/temporal/settlement-schedules';

// R6.2: settlement periods — their labels, their bounds in the agreement's time zone
// (across DST changes), the period before, and that consecutive periods tile time.

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'UTC', 'Asia/Kolkata'];

/** The label after this one: the first instant of the next period lies at this one's end. */
const nextPeriod = (label: string, zone: string) => {
  const p = parsePeriod(label);
  return periodContaining(p.cycle, periodBounds(label, zone).end, zone);
};

describe('settlement periods', () => {
  it('names periods by cycle', () => {
    expect(periodLabel('monthly', 2026, 11)).toBe('2026-11');
    expect(periodLabel('monthly', 2026, 1)).toBe('2026-01');
    expect(periodLabel('quarterly', 2026, 11)).toBe('2026-Q4');
    expect(periodLabel('quarterly', 2026, 3)).toBe('2026-Q1');
    expect(periodLabel('half_yearly', 2026, 6)).toBe('2026-H1');
    expect(periodLabel('half_yearly', 2026, 7)).toBe('2026-H2');
    expect(parsePeriod('2026-Q2')).toEqual({ label: '2026-Q2', cycle: 'quarterly', year: 2026, firstMonth: 4, months: 3 });
    for (const bad of ['2026-13', '2026-00', '2026-Q5', '2026-H3', '26-11', '2026-1', '2026-11 ', '']) {
      expect(() => parsePeriod(bad), bad).toThrow(PeriodError);
    }
  });

  it('the period before crosses years', () => {
    expect(previousPeriod('2026-01')).toBe('2025-12');
    expect(previousPeriod('2026-11')).toBe('2026-10');
    expect(previousPeriod('2026-Q1')).toBe('2025-Q4');
    expect(previousPeriod('2026-Q3')).toBe('2026-Q2');
    expect(previousPeriod('2026-H1')).toBe('2025-H2');
    expect(previousPeriod('2026-H2')).toBe('2026-H1');
  });

  it("bounds are local midnights in the agreement's zone, whatever DST does in between", () => {
    // Berlin: winter +01:00, summer +02:00; the clocks change on 29 March and 25 October 2026.
    expect(periodBounds('2026-11', 'Europe/Berlin')).toEqual({ start: new Date('2026-10-31T23:00:00Z'), end: new Date('2026-11-30T23:00:00Z') });
    expect(periodBounds('2026-03', 'Europe/Berlin')).toEqual({ start: new Date('2026-02-28T23:00:00Z'), end: new Date('2026-03-31T22:00:00Z') });
    expect(periodBounds('2026-10', 'Europe/Berlin')).toEqual({ start: new Date('2026-09-30T22:00:00Z'), end: new Date('2026-10-31T23:00:00Z') });
    expect(periodBounds('2026-Q4', 'America/New_York')).toEqual({ start: new Date('2026-10-01T04:00:00Z'), end: new Date('2027-01-01T05:00:00Z') });
    // Sydney: DST in the southern summer (+11:00), standard time in winter (+10:00).
    expect(periodBounds('2026-H1', 'Australia/Sydney')).toEqual({ start: new Date('2025-12-31T13:00:00Z'), end: new Date('2026-06-30T14:00:00Z') });
    expect(periodBounds('2026-12', 'UTC')).toEqual({ start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') });
  });

  it('an instant belongs to the period of its local calendar month', () => {
    // 23:30 UTC on 31 October is already November in Berlin, still October in New York.
    const instant = new Date('2026-10-31T23:30:00Z');
    expect(periodContaining('monthly', instant, 'Europe/Berlin')).toBe('2026-11');
    expect(periodContaining('monthly', instant, 'America/New_York')).toBe('2026-10');
    expect(periodContaining('quarterly', new Date('2026-12-31T23:30:00Z'), 'Asia/Tokyo')).toBe('2027-Q1');
    expect(periodContaining('half_yearly', new Date('2026-06-30T23:30:00Z'), 'UTC')).toBe('2026-H1');
  });

  it('knows IANA zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it('property: consecutive periods tile time — each ends where the next begins, every instant in exactly one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SETTLEMENT_CYCLES),
        fc.constantFrom(...ZONES),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }),
        (cycle, zone, instant) => {
          const label = periodContaining(cycle, instant, zone);
          const { start, end } = periodBounds(label, zone);
          // The instant lies in its period, [start, end).
          expect(start.getTime()).toBeLessThanOrEqual(instant.getTime());
          expect(instant.getTime()).toBeLessThan(end.getTime());
          // No gap, no overlap: the previous period ends at this start, the next starts at this end.
          const before = previousPeriod(label);
          expect(periodBounds(before, zone).end).toEqual(start);
          expect(periodContaining(cycle, new Date(start.getTime() - 1), zone)).toBe(before);
          const after = nextPeriod(label, zone);
          expect(previousPeriod(after)).toBe(label);
          expect(periodBounds(after, zone).start).toEqual(end);
          expect(periodContaining(cycle, new Date(end.getTime() - 1), zone)).toBe(label);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("an agreement's Schedule calendars", () => {
  const days = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
  /** Whether a calendar of `cycle`, day "last", fires on (year, month, day). */
  const fires = (cycle: (typeof SETTLEMENT_CYCLES)[number], year: number, month: number, day: number) =>
    settlementCalendars(cycle, 'last').some((c) => {
      const inList = (field: unknown, value: number | string) =>
        (Array.isArray(field) ? field : [field]).some((r) =>
          typeof r === 'object' && r !== null
            ? typeof value === 'number' && value >= r.start && value <= (r.end ?? r.start) && (value - r.start) % (r.step ?? 1) === 0
            : r === value,
        );
      const monthName = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'][month - 1]!;
      return inList(c.dayOfMonth, day) && inList(c.month, monthName) && (c.year === undefined || inList(c.year, year));
    });

  it('fire on a fixed day in the months after each period ends', () => {
    expect(settlementCalendars('monthly', 5)).toEqual([expect.objectContaining({ dayOfMonth: 5, hour: 6, month: expect.arrayContaining(['JANUARY', 'DECEMBER']) })]);
    expect(settlementCalendars('quarterly', 10)[0]!.month).toEqual(['JANUARY', 'APRIL', 'JULY', 'OCTOBER']);
    expect(settlementCalendars('half_yearly', 1)[0]!.month).toEqual(['JANUARY', 'JULY']);
  });

  it('"last" fires exactly once a month, on its last day, leap years included', () => {
    for (const year of [2026, 2027, 2028, 2100]) {
      for (let month = 1; month <= 12; month++) {
        const firing = Array.from({ length: 31 }, (_, i) => i + 1).filter((day) => day <= days(year, month) && fires('monthly', year, month, day));
        expect(firing, `${year}-${month}`).toEqual([days(year, month)]);
      }
    }
    expect(fires('quarterly', 2026, 4, 30)).toBe(true);
    expect(fires('quarterly', 2026, 5, 31)).toBe(false);
    expect(fires('half_yearly', 2028, 2, 29)).toBe(false);
  });
});
