/**
 * Timers: the due times a run's events set, kept by the store as rows beside the events.
 * Like the task rows they are a projection of the log, written in the same transaction as
 * the event that sets or clears them, and rebuilt from the log by rebuildProjection. So a
 * due time can never be lost between an event and its row, and any process sharing the
 * store (a restarted `baton serve`, one of several) finds every timer that comes due.
 *
 * The kinds, and the events that set and clear them:
 * - `wake`: a waiting code run's earliest sleep or wait timeout. Set by RunWaiting (its
 *   waits' soonest `until`/`timeout_at`; none when they have none), cleared when the run
 *   stops waiting (RunWoke, RunResumed) or ends.
 * - `retry`: a task's retry back-off (its `retry_at`), keyed by the task. Set by
 *   TaskRetryScheduled, cleared when the task is ready or starts again, ends, or the run
 *   ends or is reopened.
 * - `deadline`: the run's time limit (its workflow's `timeout`), counted from when it
 *   became active (RunStarted, RunReopened) as the engine counts it; cleared when it ends.
 *
 * A row says when something is due, not who acts on it: the run's owner, while it lives,
 * fires its own timers from memory; a due timer of a run whose owner is gone is fired by
 * whoever claims it (TimerStore.claim), which of several processes exactly one does.
 * This module is pure: which rows a batch of events sets and clears, for every store.
 */
import type { RunWait, TimedEvent } from './events.js';
import type { RunOwner } from './store.js';

export type TimerKind = 'wake' | 'retry' | 'deadline';

/** A timer as stored. `key`: the task of a `retry`; '' for the run's own (`wake`, `deadline`). */
export interface Timer {
  run_id: string;
  kind: TimerKind;
  key: string;
  /** When it comes due (ms since epoch). */
  due_at: number;
  /** Who claimed it to fire it, and when; unset until someone does. */
  claimed_by?: RunOwner;
  claimed_at?: number;
}

/** What names one timer with its due time: a claim holds only while the due time is the one seen. */
export type TimerRef = Pick<Timer, 'run_id' | 'kind' | 'key' | 'due_at'>;

/** A claim on a timer, for the caller's judgement of whether its claimer is gone. */
export interface TimerClaim {
  by: RunOwner;
  at: number;
}

/**
 * The timers of a store (SQLite, memory; PostgreSQL later). Rows are kept by the run store
 * as it appends events; this interface only reads and claims them.
 */
export interface TimerStore {
  /** Timers due at or before `until`, earliest first (ties by run, kind, key), at most `limit`. */
  due(until: number, limit: number): Promise<Timer[]>;
  /** A run's timers, by kind then key (for views and tests). */
  ofRun(runId: string): Promise<Timer[]>;
  /**
   * Claims `timer` for `owner` to fire it, atomically: true when the timer is still there
   * with the same due time and is unclaimed, already claimed by `owner`, or claimed by
   * someone `isGone` says is gone. Of several processes claiming at once, exactly one
   * gets it. The claim lasts until the events that follow clear or move the timer (a new
   * due time is a new, unclaimed timer).
   */
  claim(timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean): Promise<boolean>;
}

/** What the fold needs to know of the run beyond the batch. */
export interface TimerContext {
  /** The run has a `retry` timer for this task (before the batch). */
  hasRetry(task: string): boolean;
  /** The run's time limit (its RunCreated's `workflow.timeout`, ms), when it has one. */
  timeoutMs(): number | undefined;
}

/** One timer's last change in a batch: its new due time, or null when it is cleared. */
export interface TimerChange {
  kind: TimerKind;
  key: string;
  due_at: number | null;
}

/**
 * What a batch of one run's events does to its timers, folded event by event: `clearAll`
 * (every timer of the run goes first), then each timer's last change. A store applies it
 * in the transaction that appends the batch. Most events change nothing, and folding them
 * costs a switch.
 */
export class TimerUpkeep {
  clearAll = false;
  /** Made at the first change: most batches (a task's end) have none. */
  private byKey?: Map<string, TimerChange>;
  /** The RunCreated of this batch gave the time limit (or that there is none). */
  private limit?: { ms: number | undefined };

  /** `rebuild`: the fold starts from no timers at all (rebuildProjection). */
  constructor(
    private readonly run: TimerContext,
    rebuild = false,
  ) {
    this.clearAll = rebuild;
  }

  get changes(): Iterable<TimerChange> {
    return this.byKey?.values() ?? [];
  }

  get empty(): boolean {
    return !this.clearAll && this.byKey === undefined;
  }

  add(event: TimedEvent): void {
    switch (event.type) {
      case 'RunCreated':
        this.limit = { ms: timeoutOf(event.workflow) };
        return;
      case 'RunStarted':
        return this.setDeadline(event.at);
      case 'RunReopened':
        this.clearEverything();
        return this.setDeadline(event.at);
      case 'RunWaiting':
        return this.change('wake', '', soonest(event.waits));
      case 'RunWoke':
      case 'RunResumed':
        return this.change('wake', '', null);
      case 'RunSucceeded':
      case 'RunFailed':
      case 'RunCancelled':
        return this.clearEverything();
      case 'TaskRetryScheduled':
        return this.change('retry', event.task, event.at_due);
      case 'TaskReady':
      case 'TaskStarted':
      case 'TaskInterrupted':
      case 'TaskSucceeded':
      case 'TaskFailed':
      case 'TaskSkipped':
      case 'TaskCancelled':
        if (this.hasRetry(event.task)) this.change('retry', event.task, null);
        return;
      default:
        return;
    }
  }

  private hasRetry(task: string): boolean {
    const change = this.byKey?.get(`retry\0${task}`);
    if (change !== undefined) return change.due_at !== null;
    return !this.clearAll && this.run.hasRetry(task);
  }

  private setDeadline(at: number): void {
    const ms = this.limit !== undefined ? this.limit.ms : this.run.timeoutMs();
    if (ms !== undefined) this.change('deadline', '', at + ms);
  }

  private clearEverything(): void {
    this.clearAll = true;
    this.byKey = undefined;
  }

  private change(kind: TimerKind, key: string, due_at: number | null): void {
    (this.byKey ??= new Map()).set(`${kind}\0${key}`, { kind, key, due_at });
  }
}

/** The soonest due time among a waiting run's waits; null when none has one (approvals without a timeout). */
export function soonest(waits: readonly RunWait[]): number | null {
  let due: number | null = null;
  for (const wait of waits) {
    for (const at of [wait.until, wait.timeout_at]) if (at !== undefined && (due === null || at < due)) due = at;
  }
  return due;
}

/** A workflow snapshot's time limit (ms), read from its JSON shape (spec/model.ts) without the spec layer. */
export function timeoutOf(workflow: unknown): number | undefined {
  const timeout = (workflow as { timeout?: unknown } | null)?.timeout;
  return typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0 ? timeout : undefined;
}

/** Timers in the order TimerStore.due and ofRun give them. */
export function byDue(a: Timer, b: Timer): number {
  return a.due_at - b.due_at || compare(a.run_id, b.run_id) || compare(a.kind, b.kind) || compare(a.key, b.key);
}

export function byKindAndKey(a: Timer, b: Timer): number {
  return compare(a.kind, b.kind) || compare(a.key, b.key);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
