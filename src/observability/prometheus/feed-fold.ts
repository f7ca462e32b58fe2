/**
 * The counters and histograms of `/metrics`, folded from the run feed (store/run-feed.ts):
 * every run's events, whoever recorded them, in commit order. Nothing is counted anywhere
 * else, so the metrics cannot disagree with the log.
 *
 * Per run it keeps only what the next events need: when each open attempt started (for its
 * duration), whether the last event was a task's failure (a failure followed by
 * TaskRetryScheduled is a retry; any other next event of the run makes it the task's end),
 * and the series its tasks count in. A run's state goes when the run ends. A run first met in the middle (it started before
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

/** The series of one run's labels (namespace, workflow). */
export interface RunSeries {
  created(): void;
  finished(status: RunEnd, seconds: number): void;
}

/** The series of one task's labels (namespace, workflow, task). */
export interface TaskSeries {
  attemptEnded(status: AttemptStatus, seconds: number): void;
  finished(status: TaskEnd): void;
  retried(): void;
}

/**
 * Where the fold's findings go (metric-set.ts): the series of a set of labels, which the
 * fold keeps for the run's life and adds to without naming the labels again.
 */
export interface MetricsSink {
  run(labels: RunLabels): RunSeries;
  task(labels: TaskLabels): TaskSeries;
}

/** The types of event the fold looks at: the feed passes over the others unread. */
export const FOLDED_TYPES = [
  'RunCreated', 'RunReopened', 'TaskStarted', 'TaskSucceeded', 'TaskFailed', 'TaskPaused', 'TaskInterrupted',
  'TaskCancelled', 'TaskSkipped', 'TaskRetryScheduled', 'WaitAnswered', 'RunSucceeded', 'RunFailed', 'RunCancelled',
] as const;

/** Runs whose state is kept at once; beyond, the least recently seen is dropped (and caught up again if it goes on). */
export const MAX_RUNS = 50_000;

interface RunTrack {
  labels: RunLabels;
  series: RunSeries;
  /** When its time started: its creation, or its latest `baton retry` (RunReopened). */
  since: number;
  /** The open attempt of each task: its number and start. */
  open: Map<string, { attempt: number; at: number }>;
  /** The series of each task key met in this run (its label folded: see labels.ts). */
  tasks: Map<string, TaskSeries>;
  /** A task whose TaskFailed was the run's last event. */
  failed?: string;
  /** Folding its earlier events, to catch up: counted nowhere. */
  quiet: boolean;
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
      const run = this.runs.get(item.run_id) ?? (await this.meet(item));
      this.fold(item.run_id, run, item.event);
    }
  }

  /**
   * A run not tracked: a new one, or one caught up from its earlier events. Past maxRuns the
   * run met first is dropped (if it goes on, it is caught up again when next met).
   */
  private async meet(item: FeedEvent): Promise<RunTrack> {
    const labels = this.caps.run(item.namespace, item.workflow);
    const run: RunTrack = { labels, series: QUIET_RUN, since: item.created_at, open: new Map(), tasks: new Map(), quiet: true };
    if (item.event.seq > 1) for (const event of await this.earlier(item.run_id, item.event.seq)) this.fold(item.run_id, run, event);
    run.quiet = false;
    run.series = this.sink.run(labels);
    run.tasks.clear();
    this.runs.set(item.run_id, run);
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value!);
    return run;
  }

  private task(run: RunTrack, key: string): TaskSeries {
    if (run.quiet) return QUIET_TASK;
    let series = run.tasks.get(key);
    if (series === undefined) {
      series = this.sink.task(this.caps.task(run.labels, key));
      run.tasks.set(key, series);
    }
    return series;
  }

  /** One event of a run (counted unless the run is being caught up). */
  private fold(runId: string, run: RunTrack, event: StoredEvent): void {
    const failed = run.failed;
    if (failed !== undefined) {
      run.failed = undefined;
      if (event.type === 'TaskRetryScheduled' && event.task === failed) this.task(run, failed).retried();
      else this.task(run, failed).finished('failed');
    }
    switch (event.type) {
      case 'RunCreated':
        run.series.created();
        return;
      case 'RunReopened':
        run.since = event.at;
        return;
      case 'TaskStarted':
        run.open.set(event.task, { attempt: event.attempt, at: event.at });
        return;
      case 'TaskSucceeded':
        this.attemptEnded(run, event.task, event.attempt, 'succeeded', event.at);
        this.task(run, event.task).finished('succeeded');
        return;
      case 'TaskFailed':
        this.attemptEnded(run, event.task, event.attempt, 'failed', event.at);
        run.failed = event.task;
        return;
      case 'TaskPaused':
        // The attempt failed; the task waits for `baton resolve` (its end comes later, if ever).
        this.attemptEnded(run, event.task, event.attempt, 'failed', event.at);
        return;
      case 'TaskInterrupted':
        this.attemptEnded(run, event.task, event.attempt, 'interrupted', event.at);
        return;
      case 'TaskCancelled': {
        const open = run.open.get(event.task);
        if (open !== undefined) this.attemptEnded(run, event.task, open.attempt, 'cancelled', event.at);
        this.task(run, event.task).finished('cancelled');
        return;
      }
      case 'TaskSkipped':
        this.task(run, event.task).finished('skipped');
        return;
      case 'WaitAnswered': {
        // A code run's wait ends with its answer; a workflow file's (deferred) with the events its driver records.
        const open = run.open.get(event.task);
        if (event.deferred || open === undefined) return;
        const ok = answerOutcome(event.answer).ok;
        this.attemptEnded(run, event.task, open.attempt, ok ? 'succeeded' : 'failed', event.at);
        this.task(run, event.task).finished(ok ? 'succeeded' : 'failed');
        return;
      }
      case 'RunSucceeded':
      case 'RunFailed':
      case 'RunCancelled': {
        const status = event.type === 'RunSucceeded' ? 'succeeded' : event.type === 'RunFailed' ? 'failed' : 'cancelled';
        run.series.finished(status, Math.max(0, event.at - run.since) / 1000);
        run.open.clear();
        // Ended: forgotten (an end met while catching up, before a `baton retry`, is not the last).
        if (!run.quiet) this.runs.delete(runId);
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
  private attemptEnded(run: RunTrack, task: string, attempt: number, status: AttemptStatus, at: number): void {
    const open = run.open.get(task);
    if (open === undefined || open.attempt !== attempt) return;
    run.open.delete(task);
    this.task(run, task).attemptEnded(status, Math.max(0, at - open.at) / 1000);
  }
}

/** What catching up counts: nothing. */
const QUIET_RUN: RunSeries = { created() {}, finished() {} };
const QUIET_TASK: TaskSeries = { attemptEnded() {}, finished() {}, retried() {} };
