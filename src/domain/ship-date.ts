import { isoDate, isWeekend, nextWorkingDay } from './calendar';
import type { Priority } from './order-status';

// PLAN (R3.1): the day a consignment leaves the warehouse. Orders reserved before the
// warehouse's cut-off leave the same working day when they are urgent or high priority;
// everything else leaves the next working day, giving the pickers a full shift.

export const WAREHOUSE_CUTOFF_HOUR_UTC = 14;

export function planShipDate(reservedAt: Date, priority: Priority): { shipDate: string; reason: string } {
  const today = isoDate(reservedAt);
  const beforeCutoff = reservedAt.getUTCHours() < WAREHOUSE_CUTOFF_HOUR_UTC;
  if ((priority === 'urgent' || priority === 'high') && beforeCutoff && !isWeekend(today)) {
    return { shipDate: today, reason: `${priority} order reserved before the ${WAREHOUSE_CUTOFF_HOUR_UTC}:00 UTC cut-off ships today` };
  }
  return { shipDate: nextWorkingDay(today), reason: 'ships on the next working day' };
}
