/**
 * Turns an attempt's progress reports into TaskProgress events, few of them: a task may
 * report on every item of a 10,000-item job, and each event is a row in the run's log.
 *
 * A report is recorded at once when none was recorded in the last INTERVAL_MS; otherwise
 * it is held, and the newest held report is recorded when the interval is up (a timer, so
 * a task that reports 40% and then works quietly for an hour shows 40% a second later,
 * not at its end). A report equal to the last one recorded records nothing. When the
 * attempt ends, a held report is recorded before its end is (`finish`), so the task row
 * keeps where it got to.
 *
 * A message sticks: a report without one keeps the last message, '' clears it.
 */
import type { ProgressInput } from '../executors/progress-input.js';
import type { RunEvent } from '../store/events.js';
import type { RunState } from './state.js';

/** At most one TaskProgress per task in this much time, besides the last before its end. */
export const PROGRESS_INTERVAL_MS = 1000;

/** What a TaskProgress records of a report. */
export type ProgressFields = Pick<ProgressInput, 'percent' | 'done' | 'total' | 'message'>;

export class ProgressRecorder {
  private current: ProgressFields = {};
  /** The last report recorded, as compared (sameFields). */
  private recorded?: ProgressFields;
  private recordedAt = -Infinity;
  private held = false;
  private timer?: NodeJS.Timeout;

  constructor(
    /** Records the report (emits the TaskProgress and wakes whoever flushes events). */
    private readonly record: (fields: ProgressFields) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  report(input: ProgressInput): void {
    const next: ProgressFields = {};
    if (input.percent !== undefined) {
      next.percent = input.percent;
      if (input.done !== undefined) next.done = input.done;
      if (input.total !== undefined) next.total = input.total;
    } else {
      // A message alone keeps the numbers.
      Object.assign(next, this.current);
      delete next.message;
    }
    const message = input.message ?? this.current.message;
    if (message !== undefined && message !== '') next.message = message;
    this.current = next;
    if (this.recorded !== undefined && sameFields(next, this.recorded)) {
      this.held = false;
      return;
    }
    const wait = this.recordedAt + this.intervalMs - this.now();
    if (wait <= 0) return this.recordNow();
    this.held = true;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.held) this.recordNow();
      }, wait);
      this.timer.unref();
    }
  }

  /** The attempt ended: a report held back is recorded now (`record` false: the attempt was interrupted, nothing is). */
  finish(record = true): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (record && this.held) this.recordNow();
    this.held = false;
  }

  /** The latest report, recorded or not; undefined before any. */
  latest(): ProgressFields | undefined {
    return this.current.percent === undefined && this.current.message === undefined ? undefined : { ...this.current };
  }

  private recordNow(): void {
    this.held = false;
    this.recordedAt = this.now();
    this.recorded = this.current;
    this.record({ ...this.current });
  }
}

/**
 * A driver took `progress` of attempt `attempt` of `key` from a worker (its work item, or
 * its result): recorded when that attempt runs and the progress changed since the last
 * TaskProgress. The worker throttles its reports; the driver looks at most once a second.
 */
export function recordWorkerProgress(state: RunState, emit: (event: RunEvent) => void, key: string, attempt: number, progress: ProgressFields | undefined): void {
  if (progress === undefined) return;
  const task = state.tasks.get(key);
  if (task === undefined || task.attempt !== attempt || task.status !== 'running') return;
  if (task.progress !== undefined && sameFields(task.progress, progress)) return;
  const fields: ProgressFields = {};
  if (progress.percent !== undefined) fields.percent = progress.percent;
  if (progress.done !== undefined) fields.done = progress.done;
  if (progress.total !== undefined) fields.total = progress.total;
  if (progress.message !== undefined) fields.message = progress.message;
  emit({ type: 'TaskProgress', task: key, attempt, ...fields });
}

function sameFields(a: ProgressFields, b: ProgressFields): boolean {
  return a.percent === b.percent && a.done === b.done && a.total === b.total && a.message === b.message;
}
