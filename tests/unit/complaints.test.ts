import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPLAINT_STATUSES, isOverdue, kindOf, minutesBetween, statusAfterResponse, statusRank } from '../../src/complaints/rules';

// The rules of complaint tickets (R1.10).

describe('complaint rules', () => {
  it('an answer never moves a ticket back, and a resolved ticket takes none', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMPLAINT_STATUSES), fc.boolean(), (status, resolve) => {
        const next = statusAfterResponse(status, resolve);
        if (status === 'resolved') return next === undefined;
        return next !== undefined && statusRank(next) > statusRank('open') && statusRank(next) >= statusRank(status) && (next === 'resolved') === resolve;
      }),
    );
  });

  it('a ticket on an order is a complaint; on none, a suggestion', () => {
    expect(kindOf('0b7c1e6a-9f7e-4d4b-8a0e-1a2b3c4d5e6f')).toBe('complaint');
    expect(kindOf(null)).toBe('suggestion');
  });

  it('counts minutes to two decimals, null until it happened', () => {
    const t = new Date('2026-12-01T10:00:00Z');
    expect(minutesBetween(t, null)).toBeNull();
    expect(minutesBetween(t, new Date('2026-12-01T11:30:30Z'))).toBe(90.5);
    expect(minutesBetween(t, new Date('2026-12-01T10:00:00.600Z'))).toBe(0.01);
  });

  it('is overdue when flagged, or still open past its deadline', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const due = (iso: string) => new Date(iso);
    expect(isOverdue({ status: 'open', overdue: false, responseDueAt: due('2026-12-01T11:59:59Z') }, now)).toBe(true);
    expect(isOverdue({ status: 'open', overdue: false, responseDueAt: due('2026-12-01T12:00:01Z') }, now)).toBe(false);
    expect(isOverdue({ status: 'responded', overdue: false, responseDueAt: due('2026-12-01T11:00:00Z') }, now)).toBe(false);
    expect(isOverdue({ status: 'resolved', overdue: true, responseDueAt: due('2026-12-01T11:00:00Z') }, now)).toBe(true);
  });
});
