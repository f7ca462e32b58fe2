/**
 * Schedule triggers (seed 004's `trigger: {type: schedule, config: {schedule: '0 2 * * *'}}`):
 * when a workflow's cron expression fires, read in its IANA time zone (default UTC), with
 * daylight-saving changes as croner handles them: a time the clock skips fires when the
 * clock has moved past it (02:30 on the night Berlin goes from 02:00 to 03:00 fires at
 * 03:00), and a time that happens twice fires once. croner is used only here, by what
 * schedules: `baton serve` and `baton triggers test`.
 */
import { Cron } from 'croner';
import { BatonError } from '../observability/errors.js';
import type { Trigger, Workflow } from '../spec/model.js';

export interface Schedule {
  cron: string;
  timezone: string;
  missed: 'skip' | 'run-once';
}

/** The workflow's schedules (from its `schedule` triggers), in file order. */
export function schedulesOf(workflow: Workflow): Schedule[] {
  return (workflow.triggers ?? []).flatMap((trigger) => (trigger.type === 'schedule' && trigger.config.schedule !== undefined ? [scheduleOfTrigger(trigger)] : []));
}

export function scheduleOfTrigger(trigger: Trigger): Schedule {
  return { cron: trigger.config.schedule ?? '', timezone: trigger.config.timezone ?? 'UTC', missed: trigger.config.missed ?? 'skip' };
}

/** A paused croner job for `schedule`; TRIGGER_CRON says which field is wrong. */
function job(schedule: Schedule, run?: (at: Date) => void): Cron {
  try {
    return run
      ? new Cron(schedule.cron, { timezone: schedule.timezone, protect: true }, (self: Cron) => run(self.currentRun() ?? new Date()))
      : new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
  } catch (err) {
    throw new BatonError('TRIGGER_CRON', `schedule '${schedule.cron}': ${(err as Error).message.replace(/^CronPattern: /, '')}`, { details: { schedule: schedule.cron } });
  }
}

/** Throws TRIGGER_CRON when the expression is not one croner can run. */
export function checkSchedule(schedule: Schedule): void {
  job(schedule).stop();
}

/** The next `count` firings after `from`. */
export function nextFirings(schedule: Schedule, count: number, from: Date = new Date()): Date[] {
  const cron = job(schedule);
  try {
    return cron.nextRuns(count, from);
  } finally {
    cron.stop();
  }
}

/** The last firing at or before `now`, if any (within the last year, croner's reach). */
export function lastFiring(schedule: Schedule, now: Date = new Date()): Date | undefined {
  const cron = job(schedule);
  try {
    return cron.previousRuns(1, now)[0];
  } finally {
    cron.stop();
  }
}

/** Calls `fire` at every firing, with the time it was scheduled for, until stopped. */
export function startSchedule(schedule: Schedule, fire: (at: Date) => void): { stop: () => void } {
  const cron = job(schedule, fire);
  return { stop: () => cron.stop() };
}
