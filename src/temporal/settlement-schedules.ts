import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type CalendarSpec, type Client, type Month } from '@temporalio/client';
import { MONTHS } from '@temporalio/client';
import type { SettlementCycle, SettlementDay } from '../domain/settlement-cycle';
import type { SettlementLauncherInput } from '../../workflows/settlement/launcher';

// R6.6: a Temporal Schedule per agreement that starts the month-end run on its own. The
// calendar is the agreement's: its settlement day, in its time zone, in the months that
// follow the end of each period — monthly every month, quarterly in Jan/Apr/Jul/Oct,
// half-yearly in Jan/Jul. What it starts is the launcher (workflows/settlement/launcher.ts),
// which names the period just ended and starts its run under its own id.

export const settlementScheduleId = (agreementId: string) => `settlement-schedule-${agreementId}`;

/** 06:00 local: clear of every DST change (they happen between 00:00 and 03:00). */
export const SETTLEMENT_HOUR = 6;

/**
 * A worker or server outage shorter than this still fires the missed settlement when it
 * ends; a longer one waits for finance (POST /v1/settlements) rather than settling late
 * without anyone noticing.
 */
export const CATCHUP_WINDOW = '7 days';

/**
 * BUFFER_ONE: a launch takes seconds (it starts the run and ends, the run is abandoned to
 * live on), so an overlap only happens when a manual trigger or a catch-up fire lands
 * while a launch is in flight. Buffering that one fire loses nothing and costs nothing —
 * the run's id is per period, so a second launch for the same period finds it and stops.
 */
export const OVERLAP_POLICY = ScheduleOverlapPolicy.BUFFER_ONE;

/** First months of the periods of a cycle, i.e. the months whose settlement day follows a period's end. */
const FIRE_MONTHS: Record<SettlementCycle, number[]> = {
  monthly: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  quarterly: [1, 4, 7, 10],
  half_yearly: [1, 7],
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const monthName = (m: number): Month => MONTHS[m - 1]!;

/**
 * The calendars of one agreement. A calendar cannot say "the last day", so "last" is one
 * calendar per month length: the 31st of long months, the 30th of short ones, February
 * 29th (leap years only, by construction) and February 28th in years that are not leap
 * years (three ranges stepping by four, plus the century years that skip a leap day).
 */
export function settlementCalendars(cycle: SettlementCycle, day: SettlementDay): CalendarSpec[] {
  const months = FIRE_MONTHS[cycle];
  const at = { hour: SETTLEMENT_HOUR, minute: 0, second: 0 };
  if (day !== 'last') return [{ ...at, dayOfMonth: day, month: months.map(monthName), comment: `day ${day} after each ${cycle} period` }];
  const calendars: CalendarSpec[] = [];
  const long = months.filter((m) => DAYS_IN_MONTH[m - 1] === 31);
  const short = months.filter((m) => DAYS_IN_MONTH[m - 1] === 30);
  if (long.length) calendars.push({ ...at, dayOfMonth: 31, month: long.map(monthName), comment: 'last day (31-day months)' });
  if (short.length) calendars.push({ ...at, dayOfMonth: 30, month: short.map(monthName), comment: 'last day (30-day months)' });
  if (months.includes(2)) {
    calendars.push({ ...at, dayOfMonth: 29, month: 'FEBRUARY', comment: 'last day (February, leap years)' });
    calendars.push({
      ...at,
      dayOfMonth: 28,
      month: 'FEBRUARY',
      // Years not divisible by 4 up to 2099, and 2100 (not a leap year).
      year: [{ start: 2025, end: 2099, step: 4 }, { start: 2026, end: 2099, step: 4 }, { start: 2027, end: 2099, step: 4 }, 2100],
      comment: 'last day (February, common years)',
    });
  }
  return calendars;
}

export interface ScheduledAgreement {
  id: string;
  cycle: SettlementCycle;
  settlementDay: SettlementDay;
  timeZone: string;
}

/** Creates the agreement's Schedule; one that exists already is left as it is. */
export async function ensureSettlementSchedule(
  client: Client,
  agreement: ScheduledAgreement,
  options: { taskQueue: string; decisionWaitMs: number },
): Promise<string> {
  const scheduleId = settlementScheduleId(agreement.id);
  const args: SettlementLauncherInput = {
    agreementId: agreement.id,
    cycle: agreement.cycle,
    timeZone: agreement.timeZone,
    decisionWaitMs: options.decisionWaitMs,
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: settlementCalendars(agreement.cycle, agreement.settlementDay), timezone: agreement.timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'settlementLauncher',
        workflowId: `settlement-launch-${agreement.id}`,
        taskQueue: options.taskQueue,
        args: [args],
      },
      policies: { overlap: OVERLAP_POLICY, catchupWindow: CATCHUP_WINDOW },
      memo: { agreementId: agreement.id },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  return scheduleId;
}

/** The Schedule as finance sees it; undefined when it is gone. */
export async function describeSettlementSchedule(client: Client, scheduleId: string) {
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    return {
      id: scheduleId,
      timeZone: d.spec.timezone ?? 'UTC',
      overlap: d.policies.overlap,
      catchupWindowMs: d.policies.catchupWindow,
      paused: d.state.paused,
      nextRunTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Fires the Schedule now: the launcher settles the period just ended. */
export async function triggerSettlementSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    // ALLOW_ALL: a trigger is finance asking now; the launcher makes a second one harmless.
    await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
