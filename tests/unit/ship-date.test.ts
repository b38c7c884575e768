import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIORITIES } from '../../src/domain/order-status';
import { planShipDate, WAREHOUSE_CUTOFF_HOUR_UTC } from '../../src/domain/ship-date';

// PLAN (R3.1): urgent and high orders reserved before the cut-off on a working day leave
// that day; everything else leaves the next working day. Never on a weekend.

const utcDay = (instant: Date) => instant.toISOString().slice(0, 10);
const weekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
const plusDays = (day: string, n: number) => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

describe('planShipDate', () => {
  // 2025-03-12 is a Wednesday, 2025-03-14 a Friday, 2025-03-15 a Saturday.
  it('ships an urgent or high-priority order reserved before the cut-off on a weekday the same day', () => {
    expect(planShipDate(new Date('2025-03-12T13:59:59Z'), 'urgent').shipDate).toBe('2025-03-12');
    expect(planShipDate(new Date('2025-03-12T00:00:00Z'), 'high').shipDate).toBe('2025-03-12');
    expect(planShipDate(new Date('2025-03-14T09:00:00Z'), 'high').shipDate).toBe('2025-03-14');
    expect(planShipDate(new Date('2025-03-12T09:00:00Z'), 'urgent').reason).toContain('cut-off');
  });

  it('ships at or after the cut-off on the next working day', () => {
    expect(WAREHOUSE_CUTOFF_HOUR_UTC).toBe(14);
    expect(planShipDate(new Date('2025-03-12T14:00:00Z'), 'urgent').shipDate).toBe('2025-03-13');
    expect(planShipDate(new Date('2025-03-14T16:00:00Z'), 'high').shipDate).toBe('2025-03-17');
  });

  it('ships normal and low priority orders the next working day, even in the morning', () => {
    expect(planShipDate(new Date('2025-03-12T08:00:00Z'), 'normal')).toEqual({ shipDate: '2025-03-13', reason: 'ships on the next working day' });
    expect(planShipDate(new Date('2025-03-14T08:00:00Z'), 'low').shipDate).toBe('2025-03-17');
  });

  it('ships an urgent order reserved on a weekend on Monday', () => {
    expect(planShipDate(new Date('2025-03-15T08:00:00Z'), 'urgent').shipDate).toBe('2025-03-17');
    expect(planShipDate(new Date('2025-03-16T08:00:00Z'), 'urgent').shipDate).toBe('2025-03-17');
  });

  it('never ships on a Saturday or Sunday, and ships the same day exactly when the rule allows', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom(...PRIORITIES),
        (reservedAt, priority) => {
          const { shipDate, reason } = planShipDate(reservedAt, priority);
          const today = utcDay(reservedAt);
          expect(weekend(shipDate)).toBe(false);
          expect(reason.length).toBeGreaterThan(0);
          const sameDay =
            (priority === 'urgent' || priority === 'high') && reservedAt.getUTCHours() < 14 && !weekend(today);
          if (sameDay) {
            expect(shipDate).toBe(today);
          } else {
            // The first weekday after today: later than today, at most three days on.
            expect(shipDate > today).toBe(true);
            expect(shipDate <= plusDays(today, 3)).toBe(true);
            for (let d = plusDays(today, 1); d < shipDate; d = plusDays(d, 1)) expect(weekend(d)).toBe(true);
          }
        },
      ),
    );
  });
});
