import type { TimedEvent } from './events.js';

/**
 * Durations count the time something was running, never the idle time around it.
 *
 * - A task's duration is the sum of its attempts' running time: each from its TaskStarted
 *   to its end (succeeded, failed, cancelled; or, for an attempt a crash interrupted, the
 *   last sign of life of the process that ran it). The wait for a retry's back-off is not
 *   in it, nor the gap before a `baton retry`.
 * - A run's duration is the sum of its active stretches: each `run`, `resume` and `retry`
 *   session from its start (RunStarted, RunResumed, RunReopened) to its end (the run's
 *   end, or the last sign of life of a process that died). Back-off waits inside a session
 *   are in it (the run was going); the time between a run's end and its retry is not,
 *   nor the time a code run spends waiting (RunWaiting to RunWoke or RunResumed) for a
 *   sleep, an approval or an event.
 *
 * An `Activity` holds the closed stretches' total and when the open one began. The run's
 * is kept by every store (records.ts) and by the engine's state; a task's by the engine's
 * state and the status view, folded from the same events with these same functions.
 */
export interface Activity {
  /** Total of the closed stretches (ms). */
  active_ms?: number;
  /** Start of the open stretch, if one is open. */
  active_since?: number;
}

/** Time from `since` to `until`, never negative (two hosts' clocks may disagree). */
function span(since: number, until: number): number {
  return Math.max(0, until - since);
}

export function startStretch(activity: Activity, at: number): void {
  activity.active_since = at;
  activity.active_ms ??= 0;
}

/** Closes the open stretch at `at` (nothing happens if none is open). */
export function endStretch(activity: Activity, at: number): void {
  if (activity.active_since === undefined) return;
  activity.active_ms = (activity.active_ms ?? 0) + span(activity.active_since, at);
  activity.active_since = undefined;
}

/** Running time up to `until`: the closed stretches and the open one up to then. */
export function activeMs(activity: Activity, until: number): number {
  return (activity.active_ms ?? 0) + (activity.active_since === undefined ? 0 : span(activity.active_since, until));
}

/**
 * Folds a run-level event into the run's activity. Returns true when it changed.
 * RunResumed closes the stretch of the process that died at `ran_until` (its last sign of
 * life) and opens a new one.
 */
export function foldRunActivity(activity: Activity, event: TimedEvent): boolean {
  switch (event.type) {
    case 'RunStarted':
    case 'RunReopened':
      endStretch(activity, event.at);
      startStretch(activity, event.at);
      return true;
    case 'RunResumed':
      endStretch(activity, Math.min(event.ran_until ?? event.at, event.at));
      startStretch(activity, event.at);
      return true;
    case 'RunWoke':
      startStretch(activity, event.at);
      return true;
    case 'RunWaiting':
    case 'RunSucceeded':
    case 'RunFailed':
    case 'RunCancelled':
      endStretch(activity, event.at);
      return true;
    default:
      return false;
  }
}

/**
 * A run's duration once it ended, as every view shows it. Runs recorded before baton kept
 * active time fall back to end minus creation.
 */
export function runDurationMs(run: Activity & { created_at: number; ended_at?: number }): number | undefined {
  if (run.ended_at === undefined) return undefined;
  if (run.active_ms === undefined && run.active_since === undefined) return run.ended_at - run.created_at;
  return activeMs(run, run.ended_at);
}
