/** Rows of the pool holds table as holds, for the SQL stores (SQLite, PostgreSQL). */
import type { PoolHold } from '../pools.js';

export interface HoldRow {
  pool: string;
  run_id: string;
  task: string;
  attempt: number;
  amount: number;
  owner_host: string | null;
  owner_pid: number | null;
  owner_started_at: number | null;
  at: number;
}

export function toHold(row: HoldRow): PoolHold {
  const hold: PoolHold = { pool: row.pool, amount: row.amount, run_id: row.run_id, task: row.task, attempt: row.attempt, at: row.at };
  if (row.owner_host !== null) hold.owner = { host: row.owner_host, pid: row.owner_pid ?? 0, started_at: row.owner_started_at ?? 0 };
  return hold;
}
