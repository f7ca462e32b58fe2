/**
 * A task's progress as views show it (`baton run`, `baton status`, the API, `baton monitor`):
 * what the task reported (TaskProgress, kept on its row), or for a loop or a code run's map,
 * its iterations ended of all, derived from the iterations' states with no event of its
 * own. With how long it has run, a time left at the rate so far (ETA).
 */
import { TERMINAL_TASK_STATUSES, type TaskStatus } from '../store/events.js';
import type { ProgressReport } from '../store/store.js';
import type { RunState } from './state.js';

export interface ShownProgress {
  percent?: number;
  done?: number;
  total?: number;
  message?: string;
  /** `task`: reported by the task; `iterations`: a loop's or map's iterations ended of all. */
  source: 'task' | 'iterations';
  /** When the task last reported it (source `task`). */
  at?: number;
  /** Time left at the rate so far, while it runs and has made some progress. */
  eta_ms?: number;
}

/**
 * Time left if the rest goes as fast as what is done: elapsed * (100 - percent) / percent.
 * Undefined before any progress, or too early to say (under a second run).
 */
export function etaMs(percent: number | undefined, elapsedMs: number): number | undefined {
  if (percent === undefined || percent <= 0 || elapsedMs < 1000) return undefined;
  if (percent >= 100) return 0;
  return Math.round((elapsedMs * (100 - percent)) / percent);
}

/** Items ended of all, as a percentage with one decimal. */
export function percentOf(done: number, total: number): number {
  return total > 0 ? Math.round((done / total) * 1000) / 10 : 0;
}

/** A reported progress as shown, with its ETA when the task runs (since `startedAt`). */
export function reportedProgress(report: ProgressReport, status: TaskStatus, startedAt: number | undefined, now: number): ShownProgress {
  const shown: ShownProgress = { ...report, source: 'task' };
  const eta = status === 'running' && startedAt !== undefined ? etaMs(report.percent, now - startedAt) : undefined;
  if (eta !== undefined) shown.eta_ms = eta;
  return shown;
}

/** Iterations `done` of `total`, as shown, with an ETA while the loop runs. */
export function iterationProgress(done: number, total: number, status: TaskStatus, startedAt: number | undefined, now: number): ShownProgress {
  const shown: ShownProgress = { percent: percentOf(done, total), done, total, source: 'iterations' };
  const eta = status === 'running' && startedAt !== undefined ? etaMs(shown.percent, now - startedAt) : undefined;
  if (eta !== undefined) shown.eta_ms = eta;
  return shown;
}

/** Task `key`'s progress in a run's state (what `baton run` shows), if it has any to show. */
export function stateProgress(state: RunState, key: string, now: number): ShownProgress | undefined {
  const task = state.tasks.get(key);
  if (task === undefined) return undefined;
  if (task.progress !== undefined) return reportedProgress(task.progress, task.status, task.startedAt, now);
  // A loop's iterations once it expanded; a map's steps (state.ts loopChildren), of the items it was given.
  const iterations = state.loopChildren.get(key);
  const node = state.nodes.get(key);
  const total = node?.step?.kind === 'map' ? node.step.items : iterations?.length;
  if (total === undefined || total === 0 || task.status === 'pending' || task.status === 'ready') return undefined;
  let done = 0;
  for (const child of iterations ?? []) if (TERMINAL_TASK_STATUSES.has(state.tasks.get(child)?.status ?? 'pending')) done++;
  return iterationProgress(done, total, task.status, task.startedAt, now);
}
