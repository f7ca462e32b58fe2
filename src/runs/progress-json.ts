/**
 * A task's progress in `baton status --json`, the API's run document and `baton monitor`:
 * what the task reported (its row's progress), or for a loop or a code run's map, its
 * iterations ended of all, counted from the iterations' rows (engine/progress-view.ts).
 */
import { iterationProgress, reportedProgress, type ShownProgress } from '../engine/progress-view.js';
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import type { TaskRecord } from '../store/store.js';

/** Fields are only ever added. */
export interface ProgressJson {
  percent?: number;
  done?: number;
  total?: number;
  message?: string;
  /** `task`: the task reported it; `iterations`: a loop's or map's iterations ended of all. */
  source: 'task' | 'iterations';
  /** When the task last reported it (source `task`). */
  updated_at?: string;
  /** While it runs: the time left at the rate so far. */
  eta_ms?: number;
}

/**
 * `row`'s progress. `iterations`: for a loop (once expanded) or a map, its iterations' rows
 * and how many there are in all (a map's items; a loop's iterations).
 */
export function progressJson(row: TaskRecord, now: number, iterations?: { rows: readonly (TaskRecord | undefined)[]; total: number }): ProgressJson | undefined {
  let shown: ShownProgress | undefined;
  if (row.progress !== undefined) shown = reportedProgress(row.progress, row.status, row.started_at, now);
  else if (iterations !== undefined && iterations.total > 0 && row.status !== 'pending' && row.status !== 'ready') {
    let done = 0;
    for (const child of iterations.rows) if (child !== undefined && TERMINAL_TASK_STATUSES.has(child.status)) done++;
    shown = iterationProgress(done, iterations.total, row.status, row.started_at, now);
  }
  if (shown === undefined) return undefined;
  const { at, ...rest } = shown;
  const out: ProgressJson = { ...rest };
  if (at !== undefined) out.updated_at = new Date(at).toISOString();
  // Keys in a stable order, eta last.
  if (out.eta_ms !== undefined) {
    const eta = out.eta_ms;
    delete out.eta_ms;
    out.eta_ms = eta;
  }
  return out;
}
