/**
 * What metrics read of the store (RunStore.runStats): the runs created in a window and
 * their tasks' times, straight from the projection and the log, in one read rather than a
 * listTasks per run. No counter is kept anywhere: every figure of `baton metrics` is folded
 * from these rows (observability/metrics/), so it cannot disagree with the runs.
 */
import type { RunStatus, TaskStatus } from './events.js';

export interface StatsFilter {
  /** Runs created at or after this time (ms since epoch). */
  since: number;
  /** Only this namespace's runs; default every namespace's. */
  namespace?: string;
  /** Only this workflow's runs; default every workflow's. */
  workflow?: string;
  /** Also their tasks (StatsRows.tasks); default true. false reads the run rows alone (one indexed query). */
  tasks?: boolean;
}

/** A run as metrics need it: what its record says of its status and time. */
export interface StatsRun {
  id: string;
  workflow: string;
  status: RunStatus;
  created_at: number;
  ended_at?: number;
  /** Its active time (store/active-time.ts), as the record keeps it. */
  active_ms?: number;
  active_since?: number;
}

/** A task of one of those runs: its projection row's times, and when it was first ready. */
export interface StatsTask {
  run_id: string;
  key: string;
  status: TaskStatus;
  /** Latest attempt; 0 before the first. */
  attempt: number;
  first_started_at?: number;
  ended_at?: number;
  /** Its first TaskReady (from the log: the projection does not keep it); unset for a code run's steps, which have none. */
  ready_at?: number;
}

/**
 * The rows, runs in creation order (then id), each run's tasks in the order they first
 * appeared in its events.
 */
export interface StatsRows {
  runs: StatsRun[];
  tasks: StatsTask[];
}

/** A run row without its unset fields, as every store returns it. */
export function statsRun(row: { id: string; workflow: string; status: string; created_at: number | string; ended_at?: number | string | null; active_ms?: number | string | null; active_since?: number | string | null }): StatsRun {
  const run: StatsRun = { id: row.id, workflow: row.workflow, status: row.status as RunStatus, created_at: Number(row.created_at) };
  if (row.ended_at != null) run.ended_at = Number(row.ended_at);
  if (row.active_ms != null) run.active_ms = Number(row.active_ms);
  if (row.active_since != null) run.active_since = Number(row.active_since);
  return run;
}

/** A task row without its unset fields (PostgreSQL gives BIGINTs as strings). */
export function statsTask(row: { run_id: string; key: string; status: string; attempt: number | string; first_started_at?: number | string | null; ended_at?: number | string | null; ready_at?: number | string | null }): StatsTask {
  const task: StatsTask = { run_id: row.run_id, key: row.key, status: row.status as TaskStatus, attempt: Number(row.attempt) };
  if (row.first_started_at != null) task.first_started_at = Number(row.first_started_at);
  if (row.ended_at != null) task.ended_at = Number(row.ended_at);
  if (row.ready_at != null) task.ready_at = Number(row.ready_at);
  return task;
}
