/**
 * The counters and histograms of `/metrics`, folded from the run feed (store/run-feed.ts):
 * every run's events, whoever recorded them, in commit order. Nothing is counted anywhere
 * else, so the metrics cannot disagree with the log.
 *
 * Per run it keeps only what the next events need: when each open attempt started (for its
 * duration) and whether the last event was a task's failure (a failure followed by
 * TaskRetryScheduled is a retry; any other next event of the run makes it the task's end).
 * A run's state goes when the run ends. A run first met in the middle (it started before
 * the server, or its state was dropped to stay under MAX_RUNS) is caught up by reading its
 * earlier events once, counting nothing from them.
 */
import { answerOutcome } from '../../store/projection.js';
import type { StoredEvent } from '../../store/events.js';
import type { FeedEvent } from '../../store/run-feed.js';
import { LabelCaps, type RunLabels, type TaskLabels } from './labels.js';

export type AttemptStatus = 'succeeded' | 'failed' | 'interrupted' | 'cancelled';
export type TaskEnd = 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunEnd = 'succeeded' | 'failed' | 'cancelled';

/** Where the fold's findings go (metric-set.ts puts them in prom-client's metrics). */
export interface MetricsSink {
  runCreated(labels: RunLabels): void;
  runFinished(labels: RunLabels, status: RunEnd, seconds: number): void;
  attemptEnded(labels: TaskLabels, status: AttemptStatus, seconds: number): void;
  taskFinished(labels: TaskLabels, status: TaskEnd): void;
  taskRetried(labels: TaskLabels): void;
}

/** Runs whose state is kept at once; beyond, the least recently seen is dropped (and caught up again if it goes on). */
export const MAX_RUNS = 50_000;

interface RunTrack {
  labels: RunLabels;
  /** When its time started: its creation, or its latest `baton retry` (RunReopened). */
  since: number;
  /** The open attempt of each task: its number and start. */
  open: Map<string, { attempt: number; at: number }>;
  /** A task whose TaskFailed was the run's last event. */
  failed?: string;
}

export class FeedFold {
  private readonly runs = new Map<string, RunTrack>();

  constructor(
    private readonly sink: MetricsSink,
    /** The run's events before `seq`, to catch up on a run met in the middle. */
    private readonly earlier: (runId: string, beforeSeq: number) => Promise<StoredEvent[]>,
    private readonly caps = new LabelCaps(),
    private readonly maxRuns = MAX_RUNS,
  ) {}

  /** Runs whose state is kept now. */
  get tracked(): number {
    return this.runs.size;
  }

  async add(events: readonly FeedEvent[]): Promise<void> {
    for (const item of events) {
      let run = this.runs.get(item.run_id);
      if (run === undefined) run = await this.meet(item);
      else {
        // Most recently seen last: the first in the map is the one dropped.
        this.runs.delete(item.run_id);
        this.runs.set(item.run_id, run);
      }
      this.fold(item.run_id, run, item.event, true);
    }
  }

  /** A run not tracked: a new one, or one caught up from its earlier events. */
  private async meet(item: FeedEvent): Promise<RunTrack> {
    const run: RunTrack = { labels: this.caps.run(item.namespace, item.workflow), since: item.created_at, open: new Map() };
    if (item.event.seq > 1) for (const event of await this.earlier(item.run_id, item.event.seq)) this.fold(item.run_id, run, event, false);
    this.runs.set(item.run_id, run);
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value!);
    return run;
  }

  /** One event of a run; `count` false while catching up (state only). */
  private fold(runId: string, run: RunTrack, event: StoredEvent, count: boolean): void {
    const sink = count ? this.sink : QUIET;
    const failed = run.failed;
    run.failed = undefined;
    if (failed !== undefined) {
      const task = this.caps.task(run.labels, failed);
      if (event.type === 'TaskRetryScheduled' && event.task === failed) sink.taskRetried(task);
      else sink.taskFinished(task, 'failed');
    }
    switch (event.type) {
      case 'RunCreated':
        sink.runCreated(run.labels);
        return;
      case 'RunReopened':
        run.since = event.at;
        return;
      case 'TaskStarted':
        run.open.set(event.task, { attempt: event.attempt, at: event.at });
        return;
      case 'TaskSucceeded':
        this.attemptEnded(sink, run, event.task, event.attempt, 'succeeded', event.at);
        sink.taskFinished(this.caps.task(run.labels, event.task), 'succeeded');
        return;
      case 'TaskFailed':
        this.attemptEnded(sink, run, event.task, event.attempt, 'failed', event.at);
        run.failed = event.task;
        return;
      case 'TaskPaused':
        // The attempt failed; the task waits for `baton resolve` (its end comes later, if ever).
        this.attemptEnded(sink, run, event.task, event.attempt, 'failed', event.at);
        return;
      case 'TaskInterrupted':
        this.attemptEnded(sink, run, event.task, event.attempt, 'interrupted', event.at);
        return;
      case 'TaskCancelled': {
        const open = run.open.get(event.task);
        if (open !== undefined) this.attemptEnded(sink, run, event.task, open.attempt, 'cancelled', event.at);
        sink.taskFinished(this.caps.task(run.labels, event.task), 'cancelled');
        return;
      }
      case 'TaskSkipped':
        sink.taskFinished(this.caps.task(run.labels, event.task), 'skipped');
        return;
      case 'WaitAnswered': {
        // A code run's wait ends with its answer; a workflow file's (deferred) with the events its driver records.
        const open = run.open.get(event.task);
        if (event.deferred || open === undefined) return;
        const ok = answerOutcome(event.answer).ok;
        this.attemptEnded(sink, run, event.task, open.attempt, ok ? 'succeeded' : 'failed', event.at);
        sink.taskFinished(this.caps.task(run.labels, event.task), ok ? 'succeeded' : 'failed');
        return;
      }
      case 'RunSucceeded':
      case 'RunFailed':
      case 'RunCancelled': {
        const status = event.type === 'RunSucceeded' ? 'succeeded' : event.type === 'RunFailed' ? 'failed' : 'cancelled';
        sink.runFinished(run.labels, status, Math.max(0, event.at - run.since) / 1000);
        // Ended: forgotten while caught up too (its earlier end, before a `baton retry`), but not
        // while folding it now, when the map entry is the one add() keeps.
        run.open.clear();
        if (count) this.runs.delete(runId);
        return;
      }
      default:
        return;
    }
  }

  /**
   * The end of attempt `attempt` of a task, counted when it is the task's open attempt. An
   * end with none open (a paused task given up: its attempt ended when it paused) is no
   * attempt's end.
   */
  private attemptEnded(sink: MetricsSink, run: RunTrack, task: string, attempt: number, status: AttemptStatus, at: number): void {
    const open = run.open.get(task);
    if (open === undefined || open.attempt !== attempt) return;
    run.open.delete(task);
    sink.attemptEnded(this.caps.task(run.labels, task), status, Math.max(0, at - open.at) / 1000);
  }
}

/** What catching up counts: nothing. */
const QUIET: MetricsSink = {
  runCreated() {},
  runFinished() {},
  attemptEnded() {},
  taskFinished() {},
  taskRetried() {},
};
