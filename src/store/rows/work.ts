/** Rows of the work table as work items, for the SQL stores (SQLite, PostgreSQL). */
import type { WorkProgress, WorkRecord, WorkResult, WorkState } from '../work.js';
import { sqlBoolean, type ParseJson } from './columns.js';

export interface WorkRow {
  id: number;
  run_id: string;
  task: string;
  attempt: number;
  queue: string;
  namespace: string;
  state: WorkState;
  worker: string | null;
  fence: number;
  lease_until: number | null;
  enqueued_at: number;
  claimed_at: number | null;
  /** JSON text. */
  result: string | null;
  /** JSON text (WorkProgress). */
  progress: string | null;
  /**
   * Whether the claim ran out, computed by each query against its store's clock (the
   * writing process's for SQLite, the database's for PostgreSQL): a lease alone cannot say.
   */
  lost: boolean | number | null;
}

export function toWorkRecord(row: WorkRow, parse: ParseJson): WorkRecord {
  const record: WorkRecord = {
    id: row.id,
    run_id: row.run_id,
    task: row.task,
    attempt: row.attempt,
    queue: row.queue,
    namespace: row.namespace,
    state: row.state,
    fence: row.fence,
    lost: sqlBoolean(row.lost),
    enqueued_at: row.enqueued_at,
  };
  if (row.worker !== null) record.worker = row.worker;
  if (row.lease_until !== null) record.lease_until = row.lease_until;
  if (row.claimed_at !== null) record.claimed_at = row.claimed_at;
  if (row.result !== null) record.result = parse(row.result) as WorkResult;
  if (row.progress !== null) record.progress = parse(row.progress) as WorkProgress;
  return record;
}
