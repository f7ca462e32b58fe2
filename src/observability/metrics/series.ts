/**
 * GET /api/metrics/series: the same store rows `baton metrics` folds (RunStore.runStats),
 * folded into time buckets instead of one window, for charts. Pure: no store, no clock.
 *
 * - A run, and each of its tasks, falls in the bucket of the run's creation: the window is
 *   "runs created since", as for GET /api/metrics, so both count the same runs.
 * - Buckets are aligned to multiples of the bucket size since the epoch (whole UTC hours,
 *   whole UTC days), so two reads a minute apart draw the same bars.
 * - Success rate and durations are defined as in fold.ts: the rate over finished runs, the
 *   durations of those that succeeded or failed; a bucket without any has neither.
 */
import { runDurationMs } from '../../store/active-time.js';
import type { StatsRows, StatsRun } from '../../store/run-stats.js';
import { spread, type Spread } from './percentiles.js';
import { taskGroup } from './task-group.js';

/** The most buckets one answer has: 30 days of hours is 720. */
export const MAX_BUCKETS = 1000;
/** The most task series one answer has, those that ran most first (a workflow's tasks past its first 100 are left out). */
export const MAX_TASK_SERIES = 100;

export interface SeriesWindow {
  /** ms since epoch: the window's start (runs created at or after it). */
  since: number;
  /** ms since epoch: the window's end (now). */
  until: number;
  /** ms: each bucket's length. */
  bucketMs: number;
}

export interface SeriesPoint {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** % of the finished runs (or task ends) that succeeded, two decimals; absent when none finished. */
  success_rate?: number;
  /** p50, p95, max of the runs (tasks) that succeeded or failed; absent when none did. */
  duration_ms?: Spread;
}

export interface RunBucket extends SeriesPoint {
  /** ISO time the bucket starts at. */
  start: string;
}

export interface TaskSeries {
  workflow: string;
  task: string;
  /** Times it started, over the window. */
  runs: number;
  failed: number;
  /** One point per bucket, aligned with the answer's `buckets`. */
  points: SeriesPoint[];
}

export interface WorkflowSeries {
  workflow: string;
  runs: number;
  failed: number;
  points: SeriesPoint[];
}

export interface MetricsSeries {
  since: string;
  until: string;
  bucket_ms: number;
  workflow?: string;
  /** Every run of the window (or of `workflow`), by bucket, oldest first. */
  buckets: RunBucket[];
  /** Each workflow's runs by bucket, aligned with `buckets`. */
  workflows: WorkflowSeries[];
  /** Each task (loop iterations as one, as in `baton metrics`), by bucket. */
  tasks: TaskSeries[];
  /** The tasks that failed over the window, most failures first. */
  failures_by_task: Array<{ workflow: string; task: string; failed: number }>;
}

/** How many buckets the window needs; 0 when it is empty. */
export function bucketCount(window: SeriesWindow): number {
  if (window.until < window.since) return 0;
  return Math.floor(window.until / window.bucketMs) - Math.floor(window.since / window.bucketMs) + 1;
}

interface PointAcc {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  durations: number[];
}

interface TaskAcc {
  workflow: string;
  task: string;
  runs: number;
  failed: number;
  points: PointAcc[];
}

export function foldSeries(rows: StatsRows, window: SeriesWindow, workflow?: string): MetricsSeries {
  const count = bucketCount(window);
  const first = Math.floor(window.since / window.bucketMs) * window.bucketMs;
  const indexOf = (at: number) => Math.floor((at - first) / window.bucketMs);
  const runBuckets = Array.from({ length: count }, newPoint);
  const placed = new Map<string, { run: StatsRun; at: number }>();
  const byWorkflow = new Map<string, PointAcc[]>();
  for (const run of rows.runs) {
    const at = indexOf(run.created_at);
    if (at < 0 || at >= count) continue;
    placed.set(run.id, { run, at });
    let points = byWorkflow.get(run.workflow);
    if (!points) byWorkflow.set(run.workflow, (points = []));
    const duration = run.status === 'succeeded' || run.status === 'failed' ? runDurationMs(run) : undefined;
    for (const point of [runBuckets[at]!, (points[at] ??= newPoint())]) {
      point.runs++;
      if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') point[run.status]++;
      if (duration !== undefined) point.durations.push(duration);
    }
  }
  const tasks = new Map<string, TaskAcc>();
  const groups = new Map<string, string>();
  for (const row of rows.tasks) {
    const owner = placed.get(row.run_id);
    // A task that never started (skipped, cancelled before it ran) did not run: as fold.ts counts it.
    if (!owner || row.first_started_at === undefined) continue;
    let group = groups.get(row.key);
    if (group === undefined) groups.set(row.key, (group = taskGroup(row.key)));
    const id = `${owner.run.workflow}\u0000${group}`;
    let acc = tasks.get(id);
    if (!acc) tasks.set(id, (acc = { workflow: owner.run.workflow, task: group, runs: 0, failed: 0, points: [] }));
    const point = (acc.points[owner.at] ??= newPoint());
    acc.runs++;
    point.runs++;
    if (row.status === 'succeeded' || row.status === 'failed' || row.status === 'cancelled') point[row.status]++;
    if (row.status === 'failed') acc.failed++;
    if ((row.status === 'succeeded' || row.status === 'failed') && row.ended_at !== undefined) point.durations.push(Math.max(0, row.ended_at - row.first_started_at));
  }
  const series = [...tasks.values()].sort((a, b) => b.runs - a.runs || a.workflow.localeCompare(b.workflow) || a.task.localeCompare(b.task)).slice(0, MAX_TASK_SERIES);
  return {
    since: new Date(window.since).toISOString(),
    until: new Date(window.until).toISOString(),
    bucket_ms: window.bucketMs,
    ...(workflow === undefined ? {} : { workflow }),
    buckets: runBuckets.map((acc, i) => ({ start: new Date(first + i * window.bucketMs).toISOString(), ...point(acc) })),
    workflows: [...byWorkflow.keys()].sort().map((name) => {
      const points = Array.from({ length: count }, (_, i) => point(byWorkflow.get(name)![i] ?? newPoint()));
      return { workflow: name, runs: points.reduce((n, p) => n + p.runs, 0), failed: points.reduce((n, p) => n + p.failed, 0), points };
    }),
    tasks: series
      .sort((a, b) => a.workflow.localeCompare(b.workflow) || a.task.localeCompare(b.task))
      .map((acc) => ({ workflow: acc.workflow, task: acc.task, runs: acc.runs, failed: acc.failed, points: Array.from({ length: count }, (_, i) => point(acc.points[i] ?? newPoint())) })),
    failures_by_task: [...tasks.values()]
      .filter((acc) => acc.failed > 0)
      .sort((a, b) => b.failed - a.failed || a.workflow.localeCompare(b.workflow) || a.task.localeCompare(b.task))
      .map((acc) => ({ workflow: acc.workflow, task: acc.task, failed: acc.failed })),
  };
}

function newPoint(): PointAcc {
  return { runs: 0, succeeded: 0, failed: 0, cancelled: 0, durations: [] };
}

function point(acc: PointAcc): SeriesPoint {
  const out: SeriesPoint = { runs: acc.runs, succeeded: acc.succeeded, failed: acc.failed, cancelled: acc.cancelled };
  const finished = acc.succeeded + acc.failed + acc.cancelled;
  if (finished > 0) out.success_rate = Math.round((acc.succeeded / finished) * 10_000) / 100;
  const duration = spread(acc.durations);
  if (duration !== undefined) out.duration_ms = duration;
  return out;
}
