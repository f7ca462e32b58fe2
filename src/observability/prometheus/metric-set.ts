/**
 * baton's metrics as Prometheus knows them (docs/observability.md lists each): the counters
 * and histograms the feed fold fills (feed-fold.ts, kept in families.ts), the trigger
 * firings of this server, all named `baton_*`. prom-client is handed in by the collector,
 * which loads it only when a server serves `/metrics`.
 */
import type * as Prom from 'prom-client';
import type { AttemptStatus, MetricsSink, RunEnd, RunSeries, TaskEnd, TaskSeries } from './feed-fold.js';
import { CounterFamily, HistogramFamily, type CounterCell } from './families.js';
import type { RunLabels, TaskLabels } from './labels.js';

/**
 * Seconds, from 10 ms (a no-op task) to 4 hours (a long migration): roughly x2.5 a step,
 * so a histogram costs 20 series per label set whatever the workflow does.
 */
export const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

export type FiringOutcome = 'started' | 'filtered' | 'refused' | 'duplicate' | 'failed';

/** The metrics the fold fills, on `registry`; also the sink it writes to (feed-fold.ts). */
export class MetricSet implements MetricsSink {
  readonly runsCreated = new CounterFamily('baton_runs_created_total', 'Runs recorded (RunCreated), by any process sharing the store');
  readonly runsFinished = new CounterFamily('baton_runs_finished_total', 'Runs that ended, by how: succeeded, failed or cancelled');
  readonly runDuration = new HistogramFamily('baton_run_duration_seconds', "Runs' time from creation (or their latest baton retry) to their end, queue and waits included", DURATION_BUCKETS);
  readonly attempts = new CounterFamily('baton_task_attempts_total', 'Attempts of tasks that ended, by how: succeeded, failed, interrupted (their process died) or cancelled');
  readonly attemptDuration = new HistogramFamily('baton_task_attempt_duration_seconds', 'Attempts of tasks from their start to their end (a wait task: how long it waited)', DURATION_BUCKETS);
  readonly tasksFinished = new CounterFamily('baton_tasks_finished_total', 'Tasks that ended, after their retries: succeeded, failed, skipped or cancelled');
  readonly retries = new CounterFamily('baton_task_retries_total', 'Failed attempts that a retry (or the fallback) follows');
  readonly firings: Prom.Counter<'namespace' | 'workflow' | 'kind' | 'outcome'>;
  readonly eventsRead: Prom.Counter;
  /** The series of each set of labels, made once and handed to every run that counts in it. */
  private readonly runSeries = new WeakMap<RunLabels, RunSeries>();
  private readonly taskSeries = new WeakMap<TaskLabels, TaskSeries>();

  constructor(prom: typeof Prom, registry: Prom.Registry) {
    for (const family of [this.runsCreated, this.runsFinished, this.runDuration, this.attempts, this.attemptDuration, this.tasksFinished, this.retries]) registry.registerMetric(family as unknown as Prom.Metric);
    const registers = [registry];
    this.firings = new prom.Counter({
      name: 'baton_trigger_firings_total',
      help: "Trigger firings this server handled, by the trigger's kind and what came of it: started, filtered, refused, duplicate or failed",
      labelNames: ['namespace', 'workflow', 'kind', 'outcome'],
      registers,
    });
    this.eventsRead = new prom.Counter({ name: 'baton_metrics_events_read_total', help: "Run events this server's metrics have read from the store", registers });
  }

  /** The series of `labels`, kept by the labels object (LabelCaps gives one object per set of values). */
  run(labels: RunLabels): RunSeries {
    let series = this.runSeries.get(labels);
    if (series === undefined) {
      const created = this.runsCreated.cell(labels);
      const ends = byStatus(RUN_ENDS, (status) => ({ count: this.runsFinished.cell({ ...labels, status }), time: this.runDuration.cell({ ...labels, status }) }));
      series = {
        created: () => created.inc(),
        finished: (status, seconds) => {
          const end = ends[status]();
          end.count.inc();
          end.time.observe(seconds);
        },
      };
      this.runSeries.set(labels, series);
    }
    return series;
  }

  task(labels: TaskLabels): TaskSeries {
    let series = this.taskSeries.get(labels);
    if (series === undefined) {
      const attempts = byStatus(ATTEMPT_ENDS, (status) => ({ count: this.attempts.cell({ ...labels, status }), time: this.attemptDuration.cell({ ...labels, status }) }));
      const ends = byStatus(TASK_ENDS, (status) => this.tasksFinished.cell({ ...labels, status }));
      let retries: CounterCell | undefined;
      series = {
        attemptEnded: (status, seconds) => {
          const attempt = attempts[status]();
          attempt.count.inc();
          attempt.time.observe(seconds);
        },
        finished: (status) => ends[status]().inc(),
        retried: () => (retries ??= this.retries.cell(labels)).inc(),
      };
      this.taskSeries.set(labels, series);
    }
    return series;
  }

  fired(labels: RunLabels, kind: string, outcome: FiringOutcome): void {
    this.firings.inc({ ...labels, kind, outcome });
  }
}

const RUN_ENDS: readonly RunEnd[] = ['succeeded', 'failed', 'cancelled'];
const ATTEMPT_ENDS: readonly AttemptStatus[] = ['succeeded', 'failed', 'interrupted', 'cancelled'];
const TASK_ENDS: readonly TaskEnd[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** For each status, its cells made when first asked for: a series shows only the statuses that happened. */
function byStatus<S extends string, T>(statuses: readonly S[], make: (status: S) => T): Record<S, () => T> {
  const out = {} as Record<S, () => T>;
  for (const status of statuses) {
    let made: T | undefined;
    out[status] = () => (made ??= make(status));
  }
  return out;
}
