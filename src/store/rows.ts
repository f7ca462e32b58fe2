/**
 * Rows of the runs and tasks tables as records: the SQL stores (SQLite, PostgreSQL) keep the
 * same columns, so they share one reading of them. The other tables' rows are read in rows/,
 * one file per aggregate, with what the two databases answer differently in rows/columns.ts.
 */
import type { RunStatus } from './events.js';
import type { RunRecord, TaskRecord } from './store.js';

export interface RunRow {
  id: string;
  namespace: string;
  workflow: string;
  status: RunStatus;
  created_at: number;
  updated_at: number;
  /** SQLite reads the time of the run's last event beside the row; PostgreSQL keeps updated_at current. */
  last_at?: number | null;
  ended_at: number | null;
  active_ms: number | null;
  active_since: number | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_started_at: number | null;
  heartbeat_at: number | null;
  lease_until: number | null;
  fence: number | null;
  cancel_requested: string | null;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  cancel_compensate?: number | boolean | null;
  priority: number | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  /** The queue of workers that drive the run (optional while a store's schema lacks it). */
  queue?: string | null;
  /** The idempotency key it holds (optional while a store's schema lacks it). */
  idempotency_key?: string | null;
  /** What fired the run (optional while a store's schema lacks it). */
  trigger?: string | null;
}

export interface TaskRow {
  key: string;
  status: TaskRecord['status'];
  attempt: number;
  first_started_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  exit_code: number | null;
  outputs: string | null;
  error: string | null;
  reason: string | null;
  retry_at: number | null;
  /** TaskRecord.progress as JSON. */
  progress: string | null;
}

export function toRecord(row: RunRow): RunRecord {
  const record: RunRecord = {
    id: row.id,
    namespace: row.namespace,
    workflow: row.workflow,
    status: row.status,
    created_at: row.created_at,
    // The run's last event (the column is kept up to date only when the status moves).
    updated_at: row.last_at ?? row.updated_at,
  };
  if (row.ended_at !== null) record.ended_at = row.ended_at;
  if (row.active_ms !== null) record.active_ms = row.active_ms;
  if (row.active_since !== null) record.active_since = row.active_since;
  if (row.owner_host !== null) record.owner = { host: row.owner_host, pid: row.owner_pid ?? 0, started_at: row.owner_started_at ?? 0 };
  if (row.heartbeat_at !== null) record.heartbeat_at = row.heartbeat_at;
  if (row.lease_until !== null && row.owner_host !== null) record.lease_until = row.lease_until;
  if (row.fence !== null) record.fence = row.fence;
  if (row.cancel_requested !== null) record.cancel_requested = row.cancel_requested;
  if (row.cancel_requested !== null && (row.cancel_compensate === 1 || row.cancel_compensate === true)) record.cancel_compensate = true;
  if (row.priority !== null) record.priority = row.priority;
  if (row.concurrency_key !== null) record.concurrency_key = row.concurrency_key;
  if (row.concurrency_limit !== null) record.concurrency_limit = row.concurrency_limit;
  if (row.queue !== undefined && row.queue !== null) record.queue = row.queue;
  if (row.idempotency_key !== undefined && row.idempotency_key !== null) record.idempotency_key = row.idempotency_key;
  if (row.trigger !== undefined && row.trigger !== null) record.trigger = row.trigger;
  return record;
}

export function toTask(row: TaskRow): TaskRecord {
  const task: TaskRecord = { key: row.key, status: row.status, attempt: row.attempt };
  if (row.first_started_at !== null) task.first_started_at = row.first_started_at;
  if (row.started_at !== null) task.started_at = row.started_at;
  if (row.ended_at !== null) task.ended_at = row.ended_at;
  if (row.exit_code !== null) task.exit_code = row.exit_code;
  if (row.outputs !== null) task.outputs = JSON.parse(row.outputs) as Record<string, unknown>;
  if (row.error !== null) task.error = JSON.parse(row.error) as TaskRecord['error'];
  if (row.reason !== null) task.reason = row.reason;
  if (row.retry_at !== null) task.retry_at = row.retry_at;
  if (row.progress !== null) task.progress = JSON.parse(row.progress) as TaskRecord['progress'];
  return task;
}


/**
 * A task row's columns in the order both SQL stores write them (key, position, status,
 * attempt, first_started_at, started_at, ended_at, exit_code, outputs, error, reason,
 * retry_at, progress): JSON for outputs, error and progress, NULL for what is unset.
 */
export function taskValues(row: TaskRecord, position: number): unknown[] {
  return [
    row.key,
    position,
    row.status,
    row.attempt,
    row.first_started_at ?? null,
    row.started_at ?? null,
    row.ended_at ?? null,
    row.exit_code ?? null,
    row.outputs === undefined ? null : JSON.stringify(row.outputs),
    row.error === undefined ? null : JSON.stringify(row.error),
    row.reason ?? null,
    row.retry_at ?? null,
    row.progress === undefined ? null : JSON.stringify(row.progress),
  ];
}
