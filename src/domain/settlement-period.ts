import type { SettlementCycle } from './settlement-cycle';

// R6.2: settlement periods. A period is named by its label — "2026-11" (monthly),
// "2026-Q4" (quarterly), "2026-H2" (half-yearly) — and covers [start, end) in the
// agreement's time zone: November in Europe/Berlin starts at 2026-10-31T23:00:00Z.

export class PeriodError extends Error {
  override name = 'PeriodError';
}

const LABEL = /^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12]))$/;

export interface Period {
  label: string;
  cycle: SettlementCycle;
  /** First month (1–12) and the number of months. */
  year: number;
  firstMonth: number;
  months: number;
}

export function parsePeriod(label: string): Period {
  const m = LABEL.exec(label);
  if (!m) throw new PeriodError(`"${label}" is not a period: YYYY-MM, YYYY-Qn or YYYY-Hn`);
  const year = Number(m[1]);
  if (m[2]) return { label, cycle: 'monthly', year, firstMonth: Number(m[2]), months: 1 };
  if (m[3]) return { label, cycle: 'quarterly', year, firstMonth: (Number(m[3]) - 1) * 3 + 1, months: 3 };
  return { label, cycle: 'half_yearly', year, firstMonth: (Number(m[4]) - 1) * 6 + 1, months: 6 };
}

/** The label of the period of `cycle` that contains the local calendar month (year, month). */
export function periodLabel(cycle: SettlementCycle, year: number, month: number): string {
  switch (cycle) {
    case 'monthly':
      return `${year}-${String(month).padStart(2, '0')}`;
    case 'quarterly':
      return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
    case 'half_yearly':
      return `${year}-H${month <= 6 ? 1 : 2}`;
  }
}

/** The period before this one, of the same cycle. */
export function previousPeriod(label: string): string {
  const p = parsePeriod(label);
  let month = p.firstMonth - p.months;
  let year = p.year;
  if (month < 1) {
    month += 12;
    year -= 1;
  }
  return periodLabel(p.cycle, year, month);
}

/** Offset of `timeZone` from UTC at `instant`, in ms (Berlin in winter: +3 600 000). */
export function zoneOffsetMs(timeZone: string, instant: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant of local midnight starting (year, month, 1) in `timeZone`. */
export function startOfLocalMonth(year: number, month: number, timeZone: string): Date {
  const naive = Date.UTC(year, month - 1, 1);
  // Two passes settle the offset even when the guess falls across a DST change.
  let instant = naive - zoneOffsetMs(timeZone, new Date(naive));
  instant = naive - zoneOffsetMs(timeZone, new Date(instant));
  return new Date(instant);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** [start, end) of a period in a time zone. */
export function periodBounds(label: string, timeZone: string): { start: Date; end: Date } {
  const p = parsePeriod(label);
  const endMonth = p.firstMonth + p.months;
  return {
    start: startOfLocalMonth(p.year, p.firstMonth, timeZone),
    end: endMonth > 12 ? startOfLocalMonth(p.year + 1, endMonth - 12, timeZone) : startOfLocalMonth(p.year, endMonth, timeZone),
  };
}

/** The label of the period of `cycle` containing `instant` in `timeZone`. */
export function periodContaining(cycle: SettlementCycle, instant: Date, timeZone: string): string {
  const local = new Date(instant.getTime() + zoneOffsetMs(timeZone, instant));
  return periodLabel(cycle, local.getUTCFullYear(), local.getUTCMonth() + 1);
}
