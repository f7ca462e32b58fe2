/**
 * One workflow's run figures over a recent window, for what must be cheap because it runs
 * often: an alert rule's `metrics.success_rate < 90`, evaluated as each run ends. One
 * indexed read of the window's run rows (RunStore.runStats without tasks), folded as
 * `baton metrics` folds them, so both give the same numbers.
 */
import type { Store } from '../../store/store.js';
import { foldMetrics } from './fold.js';
import type { RunCounts, Spread } from './types.js';

export interface SummaryQuery {
  workflow: string;
  /** How far back from `now` the window reaches (ms): the runs created since count. */
  window_ms: number;
  /** Only this namespace's runs; default every namespace's. */
  namespace?: string;
  /** The end of the window (ms since epoch); default the clock's now. */
  now?: number;
}

/** A workflow's runs in the window, as `baton metrics` counts them, and how long they took. */
export interface WorkflowSummary extends RunCounts {
  workflow: string;
  /** The active time of the runs that succeeded or failed. */
  duration_ms?: Spread;
}

export async function workflowSummary(store: Pick<Store, 'runs'>, query: SummaryQuery): Promise<WorkflowSummary> {
  const since = (query.now ?? Date.now()) - query.window_ms;
  const rows = await store.runs.runStats({ since, workflow: query.workflow, tasks: false, ...(query.namespace === undefined ? {} : { namespace: query.namespace }) });
  const folded = foldMetrics(rows).workflows[0];
  if (folded === undefined) return { workflow: query.workflow, runs: 0, succeeded: 0, failed: 0, cancelled: 0, unfinished: 0 };
  const { workflow, runs, succeeded, failed, cancelled, unfinished, success_rate, duration_ms } = folded;
  return { workflow, runs, succeeded, failed, cancelled, unfinished, ...(success_rate === undefined ? {} : { success_rate }), ...(duration_ms ? { duration_ms } : {}) };
}

/**
 * Of the workflow's runs created in the window that have finished, the percentage (0-100,
 * two decimals) that succeeded; undefined when none has (a rule comparing it should not fire on no data).
 */
export async function successRate(store: Pick<Store, 'runs'>, workflow: string, windowMs: number, options: { namespace?: string; now?: number } = {}): Promise<number | undefined> {
  return (await workflowSummary(store, { workflow, window_ms: windowMs, ...options })).success_rate;
}
