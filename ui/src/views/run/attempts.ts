/**
 * The attempts of a run's tasks, folded from its events as they arrive: one bar per attempt
 * (TaskStarted to the event that ended it) and the gaps between them (waiting to start,
 * waiting for a retry). The timeline draws these; the task panel lists them with their errors.
 * Fed incrementally (`apply` each event once), so a live run costs one step per event.
 */
import type { RunEventJson, TaskError } from './types.js';

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface Attempt {
  task: string;
  attempt: number;
  start: number;
  /** Undefined while it runs. */
  end?: number;
  outcome: AttemptOutcome;
  error?: TaskError;
  worker?: string;
}

export interface Gap {
  task: string;
  start: number;
  end?: number;
  /** `ready`: ready, not yet started (a worker, a slot, a resource); `retry`: a failed attempt's back-off. */
  kind: 'ready' | 'retry';
}

const ENDS: Record<string, AttemptOutcome> = {
  TaskSucceeded: 'succeeded',
  TaskFailed: 'failed',
  TaskCancelled: 'cancelled',
  TaskInterrupted: 'interrupted',
};

export class AttemptLog {
  readonly attempts = new Map<string, Attempt[]>();
  readonly gaps = new Map<string, Gap[]>();
  /** The run's creation and the last event's time: the timeline's span. */
  createdAt?: number;
  lastAt = 0;
  /** Tasks in the order they first started (the timeline's rows). */
  readonly order: string[] = [];

  apply(event: RunEventJson): void {
    this.lastAt = Math.max(this.lastAt, event.at);
    if (event.type === 'RunCreated') this.createdAt = event.at;
    const task = event.task;
    if (task === undefined) return;
    switch (event.type) {
      case 'TaskReady':
        this.openGap(task, event.at, 'ready');
        return;
      case 'TaskRetryScheduled': {
        const due = typeof event.at_due === 'number' ? event.at_due : undefined;
        this.closeGap(task, event.at);
        this.list(this.gaps, task).push({ task, start: event.at, ...(due === undefined ? {} : { end: due }), kind: 'retry' });
        return;
      }
      case 'TaskStarted': {
        this.closeGap(task, event.at);
        const list = this.list(this.attempts, task);
        if (list.length === 0 && !this.order.includes(task)) this.order.push(task);
        list.push({ task, attempt: event.attempt ?? list.length + 1, start: event.at, outcome: 'running', ...(typeof event.worker === 'string' ? { worker: event.worker } : {}) });
        return;
      }
    }
    const outcome = ENDS[event.type];
    if (outcome === undefined) return;
    this.closeGap(task, event.at);
    const list = this.attempts.get(task) ?? [];
    // The attempt it names, else the last still running (a cancel of a task that never started has none).
    const attempt = list.find((a) => a.attempt === event.attempt && a.end === undefined) ?? [...list].reverse().find((a) => a.end === undefined);
    if (attempt === undefined) return;
    attempt.end = event.at;
    attempt.outcome = outcome;
    if (event.error && typeof event.error === 'object') attempt.error = event.error as TaskError;
  }

  private openGap(task: string, at: number, kind: Gap['kind']): void {
    const gaps = this.list(this.gaps, task);
    const last = gaps[gaps.length - 1];
    // A retry's ready follows its back-off: the wait goes on as one gap.
    const attempts = this.attempts.get(task);
    const lastStart = attempts?.[attempts.length - 1]?.start ?? -Infinity;
    if (last && last.kind === 'retry' && lastStart <= last.start) {
      last.end = undefined;
      return;
    }
    gaps.push({ task, start: at, kind });
  }

  private closeGap(task: string, at: number): void {
    const gaps = this.gaps.get(task);
    const last = gaps?.[gaps.length - 1];
    if (last && (last.end === undefined || last.end > at)) last.end = at;
  }

  private list<T>(map: Map<string, T[]>, task: string): T[] {
    let list = map.get(task);
    if (!list) map.set(task, (list = []));
    return list;
  }
}
