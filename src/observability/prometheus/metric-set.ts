/**
 * baton's metrics as Prometheus knows them (docs/observability.md lists each): the counters
 * and histograms the feed fold fills (feed-fold.ts), the trigger firings of this server, and
 * the standard process metrics, all named `baton_*`. prom-client is handed in by the
 * collector, which loads it only when a server serves `/metrics`.
 */
import type * as Prom from 'prom-client';
import type { AttemptStatus, MetricsSink, RunEnd, TaskEnd } from './feed-fold.js';
import type { RunLabels, TaskLabels } from './labels.js';

/**
 * Seconds, from 10 ms (a no-op task) to 4 hours (a long migration): roughly x2.5 a step,
 * so a histogram costs 20 series per label set whatever the workflow does.
 */
export const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

const RUN = ['namespace', 'workflow'] as const;
const TASK = ['namespace', 'workflow', 'task'] as const;

export type FiringOutcome = 'started' | 'filtered' | 'refused' | 'duplicate' | 'failed';

/** The counters and histograms, on `registry`; also the sink the fold writes to. */
export class MetricSet implements MetricsSink {
  readonly runsCreated: Prom.Counter<(typeof RUN)[number]>;
  readonly runsFinished: Prom.Counter<(typeof RUN)[number] | 'status'>;
  readonly runDuration: Prom.Histogram<(typeof RUN)[number] | 'status'>;
  readonly attempts: Prom.Counter<(typeof TASK)[number] | 'status'>;
  readonly attemptDuration: Prom.Histogram<(typeof TASK)[number] | 'status'>;
  readonly tasksFinished: Prom.Counter<(typeof TASK)[number] | 'status'>;
  readonly retries: Prom.Counter<(typeof TASK)[number]>;
  readonly firings: Prom.Counter<'namespace' | 'workflow' | 'kind' | 'outcome'>;
  readonly eventsRead: Prom.Counter;

  constructor(prom: typeof Prom, registry: Prom.Registry) {
    const registers = [registry];
    this.runsCreated = new prom.Counter({ name: 'baton_runs_created_total', help: 'Runs recorded (RunCreated), by any process sharing the store', labelNames: RUN, registers });
    this.runsFinished = new prom.Counter({
      name: 'baton_runs_finished_total',
      help: 'Runs that ended, by how: succeeded, failed or cancelled',
      labelNames: [...RUN, 'status'],
      registers,
    });
    this.runDuration = new prom.Histogram({
      name: 'baton_run_duration_seconds',
      help: "Runs' time from creation (or their latest baton retry) to their end, queue and waits included",
      labelNames: [...RUN, 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.attempts = new prom.Counter({
      name: 'baton_task_attempts_total',
      help: "Attempts of tasks that ended, by how: succeeded, failed, interrupted (their process died) or cancelled",
      labelNames: [...TASK, 'status'],
      registers,
    });
    this.attemptDuration = new prom.Histogram({
      name: 'baton_task_attempt_duration_seconds',
      help: 'Attempts of tasks from their start to their end (a wait task: how long it waited)',
      labelNames: [...TASK, 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.tasksFinished = new prom.Counter({
      name: 'baton_tasks_finished_total',
      help: 'Tasks that ended, after their retries: succeeded, failed, skipped or cancelled',
      labelNames: [...TASK, 'status'],
      registers,
    });
    this.retries = new prom.Counter({ name: 'baton_task_retries_total', help: 'Failed attempts that a retry (or the fallback) follows', labelNames: TASK, registers });
    this.firings = new prom.Counter({
      name: 'baton_trigger_firings_total',
      help: "Trigger firings this server handled, by the trigger's kind and what came of it: started, filtered, refused, duplicate or failed",
      labelNames: ['namespace', 'workflow', 'kind', 'outcome'],
      registers,
    });
    this.eventsRead = new prom.Counter({ name: 'baton_metrics_events_read_total', help: "Run events this server's metrics have read from the store", registers });
  }

  runCreated(labels: RunLabels): void {
    this.runsCreated.inc(labels);
  }

  runFinished(labels: RunLabels, status: RunEnd, seconds: number): void {
    this.runsFinished.inc({ ...labels, status });
    this.runDuration.observe({ ...labels, status }, seconds);
  }

  attemptEnded(labels: TaskLabels, status: AttemptStatus, seconds: number): void {
    this.attempts.inc({ ...labels, status });
    this.attemptDuration.observe({ ...labels, status }, seconds);
  }

  taskFinished(labels: TaskLabels, status: TaskEnd): void {
    this.tasksFinished.inc({ ...labels, status });
  }

  taskRetried(labels: TaskLabels): void {
    this.retries.inc(labels);
  }

  fired(labels: RunLabels, kind: string, outcome: FiringOutcome): void {
    this.firings.inc({ ...labels, kind, outcome });
  }
}
