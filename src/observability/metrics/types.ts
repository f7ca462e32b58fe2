/**
 * The document `baton metrics --json`, GET /api/metrics and the MCP `metrics` tool give
 * (docs/cli.md#baton-metrics). Fields are only ever added. Times are ms; a field with
 * nothing to measure (no finished run, no task that waited) is left out, never 0.
 */
import type { Spread } from './percentiles.js';

export type { Spread } from './percentiles.js';

export interface MetricsJson {
  /** The window: runs created at or after `since`, as read at `until` (ISO 8601). */
  since: string;
  until: string;
  /** The workflow asked for (`--workflow`); absent: every workflow. */
  workflow?: string;
  /** Every run of the window, whatever its workflow. */
  totals: RunCounts;
  /** One entry per workflow that has runs in the window, by name. */
  workflows: WorkflowMetrics[];
  /** The slowest tasks of the window (their p95), at most BOTTLENECKS of them, composites left out. */
  bottlenecks: Bottleneck[];
}

export interface RunCounts {
  /** Runs created in the window. */
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Not finished yet: pending, queued, running or waiting. */
  unfinished: number;
  /**
   * Of the finished runs (succeeded, failed, cancelled), the percentage that succeeded
   * (0-100, two decimals). Absent when none has finished.
   */
  success_rate?: number;
}

export interface WorkflowMetrics extends RunCounts {
  workflow: string;
  /** Attempts beyond the first, over every task of every run (a crash's re-run and `baton retry` count too). */
  retries: number;
  /** The active time (docs/cli.md: the sum of its run, resume and retry sessions) of the runs that succeeded or failed. */
  duration_ms?: Spread;
  /** Mean time from a run's creation to its first task's start: how long runs waited for their turn (queue, workers). */
  queue_wait_ms?: number;
  /** Its tasks in the order they first appear, loop iterations and repeated steps counted as one (`envs[*]`, `poll`). */
  tasks: TaskMetrics[];
  /** The run of the window with the longest duration, and the chain of tasks that made it that long. */
  slowest_run?: SlowestRun;
}

export interface TaskMetrics {
  /** Its key, iterations folded (observability/metrics/task-group.ts). */
  task: string;
  /** Its type (shell, http, parallel...) in the workflow, when the slowest run's definition names it. */
  type?: string;
  /** Times it started (a loop's iterations count one each). */
  runs: number;
  succeeded: number;
  /** Times it ended failed (after any retries). */
  failed: number;
  /** Attempts beyond the first. */
  retries: number;
  /** From its first start to its end (retries and their back-off included), when it ended succeeded or failed. */
  duration_ms?: Spread;
  /** Mean time from its first TaskReady to its first start (waiting for a slot, a pool, a worker). A code run's steps have no TaskReady and are not in it. */
  queue_wait_ms?: number;
}

export interface SlowestRun {
  run_id: string;
  status: string;
  duration_ms: number;
  /**
   * The tasks whose ends decided the run's end, first to last: from the task that ended
   * last, back through what each waited for (the dependency, trigger or, in a code run,
   * the step before it that ended last before it started), composites seen through to
   * the task inside them that ended last.
   */
  critical_path: PathStep[];
}

export interface PathStep {
  task: string;
  started_at: string;
  ended_at: string;
  /** Its first start to its end. */
  duration_ms: number;
  /** Between the end of the step before it (for the first, the run's creation) and its start. */
  waited_ms: number;
}

export interface Bottleneck {
  workflow: string;
  task: string;
  runs: number;
  duration_ms: Spread;
}
