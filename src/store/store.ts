import type { RunStatus, StoredEvent, TimedEvent } from './events.js';

/**
 * The storage seam. The engine talks only to these interfaces; memory, SQLite and
 * PostgreSQL implement them and pass the same contract tests (tests/store-contract).
 * Domain verbs only: no connections or transactions leak out.
 */

export interface RunRecord {
  id: string;
  workflow: string;
  status: RunStatus;
  created_at: number;
  updated_at: number;
  ended_at?: number;
}

export interface RunFilter {
  workflow?: string;
  status?: RunStatus;
  /** Only runs created at or after this time (ms since epoch). */
  since?: number;
  /** Most recent first; default 20. */
  limit?: number;
}

/**
 * Runs and their event logs. A run's status follows its events (RunStarted -> running,
 * RunSucceeded/Failed/Cancelled -> that status): stores keep it as a projection of the
 * log and never take it from anywhere else.
 */
export interface RunStore {
  /** Creates the run with its first events. Fails with STORE_RUN_EXISTS if the id is taken. */
  createRun(run: { id: string; workflow: string; created_at: number }, events: TimedEvent[]): Promise<StoredEvent[]>;
  /**
   * Appends events atomically: all of them are recorded, or none. The engine puts a
   * task's result and what it makes ready in one call, so a crash cannot split them.
   * Returns the stored events with their sequence numbers.
   */
  append(runId: string, events: TimedEvent[]): Promise<StoredEvent[]>;
  /** Events of a run in order, from `afterSeq` (exclusive) on. */
  readEvents(runId: string, afterSeq?: number): Promise<StoredEvent[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  task: string;
  attempt: number;
  stream: LogStream;
  at: number;
  text: string;
}

/** Where task output goes: in full, streamed, never held whole in memory by the engine. */
export interface LogStore {
  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void;
  read(runId: string, task?: string): Promise<LogLine[]>;
}

export interface Store {
  runs: RunStore;
  logs: LogStore;
}
