-- Runs, their event logs, and the task projection.
--
-- events is the truth: append-only, numbered per run. runs.status/updated_at/ended_at and
-- the tasks table are projections of it, written in the same transaction as the events
-- and rebuildable from them at any time. runs.owner_* and heartbeat_at say which process
-- drives the run (they are not in the log: they describe processes, not the run).

CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  workflow         TEXT NOT NULL,
  status           TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  owner_host       TEXT,
  owner_pid        INTEGER,
  owner_started_at INTEGER,
  heartbeat_at     INTEGER,
  cancel_requested TEXT
);

-- listRuns: newest first, optionally by workflow or status.
CREATE INDEX runs_by_created ON runs (created_at, id);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at);
CREATE INDEX runs_by_status ON runs (status, created_at);
-- resolveRunId: case-insensitive prefix search as a range over upper(id).
CREATE INDEX runs_by_upper_id ON runs (upper(id));

CREATE TABLE events (
  run_id TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  type   TEXT NOT NULL,
  at     INTEGER NOT NULL,
  -- The whole event as JSON (type and at included).
  data   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE tasks (
  run_id           TEXT NOT NULL,
  key              TEXT NOT NULL,
  -- Order of first appearance in the run's events.
  position         INTEGER NOT NULL,
  status           TEXT NOT NULL,
  attempt          INTEGER NOT NULL,
  first_started_at INTEGER,
  started_at       INTEGER,
  ended_at         INTEGER,
  exit_code        INTEGER,
  outputs          TEXT,
  error            TEXT,
  reason           TEXT,
  retry_at         INTEGER,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
