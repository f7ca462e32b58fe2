/**
 * A workflow's recent runs in numbers, for alert conditions (`metrics.success_rate < 90`)
 * and for the expected duration a workflow does not declare. Read from the run records (a
 * projection of the log) in one query per run end, and only when a rule reads `metrics` or
 * needs the expected duration; the run that is ending counts, although its end is not
 * recorded yet (it is recorded with the notices it causes).
 */
import { runDurationMs } from '../../store/active-time.js';
import type { RunRecord, Store } from '../../store/store.js';
import type { RunEndFacts } from './run-end.js';

/** How far back the numbers look, and at most how many runs they count. */
export const STATS_WINDOW_MS = 24 * 60 * 60 * 1000;
export const STATS_MAX_RUNS = 500;

export interface WorkflowStats {
  /** Finished runs counted (succeeded, failed or cancelled). */
  runs: number;
  succeeded: number;
  failed: number;
  /** Succeeded of the finished runs (cancelled included, as `baton metrics` counts), in percent, one decimal. */
  success_rate: number;
  /** Active time of the succeeded runs: median, 95th percentile, mean (ms); null with none. */
  p50_ms: number | null;
  p95_ms: number | null;
  avg_ms: number | null;
  window_ms: number;
}

export async function recentStats(store: Store, facts: RunEndFacts): Promise<WorkflowStats> {
  const since = facts.at - STATS_WINDOW_MS;
  const records = await store.runs.listRuns({ namespace: facts.namespace, workflow: facts.workflow, since, limit: STATS_MAX_RUNS });
  const runs = records.filter((run) => run.id !== facts.runId && run.ended_at !== undefined);
  return statsOf(runs, facts);
}

/** Pure: the numbers of `runs` and the run ending now. */
export function statsOf(runs: readonly RunRecord[], ending: Pick<RunEndFacts, 'status' | 'durationMs'>): WorkflowStats {
  let succeeded = ending.status === 'succeeded' ? 1 : 0;
  let failed = ending.status === 'failed' ? 1 : 0;
  let cancelled = ending.status === 'cancelled' ? 1 : 0;
  const durations: number[] = ending.status === 'succeeded' ? [ending.durationMs] : [];
  for (const run of runs) {
    if (run.status === 'succeeded') {
      succeeded++;
      const ms = runDurationMs(run);
      if (ms !== undefined) durations.push(ms);
    } else if (run.status === 'failed') failed++;
    else if (run.status === 'cancelled') cancelled++;
  }
  durations.sort((a, b) => a - b);
  const finished = succeeded + failed + cancelled;
  return {
    runs: runs.length + 1,
    succeeded,
    failed,
    success_rate: Math.round((succeeded / finished) * 1000) / 10,
    p50_ms: percentile(durations, 0.5),
    p95_ms: percentile(durations, 0.95),
    avg_ms: durations.length === 0 ? null : Math.round(durations.reduce((a, b) => a + b, 0) / durations.length),
    window_ms: STATS_WINDOW_MS,
  };
}

/** Nearest-rank percentile of sorted values; null for none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
