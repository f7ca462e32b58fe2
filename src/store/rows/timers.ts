/** Rows of the timers table as timers, for the SQL stores (SQLite, PostgreSQL). */
import type { Timer, TimerKind } from '../timers.js';

export interface TimerRow {
  run_id: string;
  kind: TimerKind;
  key: string;
  due_at: number;
  claimed_host: string | null;
  claimed_pid: number | null;
  claimed_started_at: number | null;
  claimed_at: number | null;
}

export function toTimer(row: TimerRow): Timer {
  const timer: Timer = { run_id: row.run_id, kind: row.kind, key: row.key, due_at: row.due_at };
  // A claim names its process by all three columns; a part of one is no claim.
  if (row.claimed_host !== null && row.claimed_pid !== null && row.claimed_started_at !== null) {
    timer.claimed_by = { host: row.claimed_host, pid: row.claimed_pid, started_at: row.claimed_started_at };
    if (row.claimed_at !== null) timer.claimed_at = row.claimed_at;
  }
  return timer;
}
