-- Runs, their event logs, the task projection and the timers (store/timers.ts).
--
-- events is the truth: append-only, numbered per run. runs.status/updated_at/ended_at,
-- the tasks table and the timers table are projections of it, written in the same
-- statement as the events and rebuildable from them at any time. runs.last_seq is the
-- number of the run's last event: an append names the number it expects to follow, and
-- is refused when another writer got there first. runs.owner_* and heartbeat_at say which
-- process drives the run (they describe processes, not the run: they are not in the log).
-- Names and ids compare byte by byte (COLLATE "C"), as SQLite compares them, so every
-- store lists in the same order. Times are milliseconds since the epoch. No foreign keys: every
-- row of a run is written by the statement that moves the run's last_seq, which finds the run first.

-- The database's clock in ms since the epoch: leases are checked by the one clock every
-- process shares, never by a worker's own.
CREATE FUNCTION baton_now() RETURNS BIGINT LANGUAGE sql VOLATILE
  AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

CREATE TABLE runs (
  id                TEXT COLLATE "C" PRIMARY KEY,
  namespace         TEXT COLLATE "C" NOT NULL DEFAULT 'default',
  workflow          TEXT COLLATE "C" NOT NULL,
  status            TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  ended_at          BIGINT,
  active_ms         BIGINT,
  active_since      BIGINT,
  last_seq          INTEGER NOT NULL DEFAULT 0,
  owner_host        TEXT,
  owner_pid         INTEGER,
  owner_started_at  BIGINT,
  heartbeat_at      BIGINT,
  -- The owner's lease, by the database's clock (baton_now()), and the fence of its claim:
  -- a claim by a new owner raises it, and an append naming an older one writes nothing.
  lease_until       BIGINT,
  fence             INTEGER,
  cancel_requested  TEXT,
  -- The run queue (store/queue.ts): what the run asked of it, from its RunCreated.
  priority          INTEGER,
  concurrency_key   TEXT,
  concurrency_limit INTEGER
);

-- listRuns: newest first, optionally by namespace, workflow or status.
CREATE INDEX runs_by_created ON runs (created_at, id);
CREATE INDEX runs_by_namespace ON runs (namespace, created_at, id);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at);
CREATE INDEX runs_by_status ON runs (status, created_at);
-- resolveRunId: case-insensitive prefix search as a range over upper(id).
CREATE INDEX runs_by_upper_id ON runs (upper(id));
-- The queue in the order runs start, and the runs of a key holding it.
CREATE INDEX runs_queued ON runs (priority DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX runs_by_concurrency_key ON runs (concurrency_key, status) WHERE concurrency_key IS NOT NULL;
-- Runs in the order they ended, for workflow_run triggers.
CREATE INDEX runs_by_ended ON runs (ended_at, id) WHERE ended_at IS NOT NULL;

CREATE TABLE events (
  run_id TEXT COLLATE "C" NOT NULL,
  seq    INTEGER NOT NULL,
  type   TEXT NOT NULL,
  at     BIGINT NOT NULL,
  -- The whole event as JSON text (type and at included), exactly as baton wrote it. Text,
  -- not jsonb: jsonb cannot hold the \u0000 a task's output may contain, and reorders keys.
  data   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE tasks (
  run_id           TEXT COLLATE "C" NOT NULL,
  key              TEXT COLLATE "C" NOT NULL,
  -- Order of first appearance in the run's events.
  position         INTEGER NOT NULL,
  status           TEXT NOT NULL,
  attempt          INTEGER NOT NULL,
  first_started_at BIGINT,
  started_at       BIGINT,
  ended_at         BIGINT,
  exit_code        INTEGER,
  outputs          TEXT,
  error            TEXT,
  reason           TEXT,
  retry_at         BIGINT,
  PRIMARY KEY (run_id, key)
);

-- Timers (store/timers.ts): the due times a run's events set. claimed_* say who took a due
-- timer to fire it; a new due time clears them.
CREATE TABLE timers (
  run_id             TEXT COLLATE "C" NOT NULL,
  kind               TEXT COLLATE "C" NOT NULL,
  -- The task of a `retry`; '' for the run's own timers.
  key                TEXT COLLATE "C" NOT NULL,
  due_at             BIGINT NOT NULL,
  claimed_host       TEXT,
  claimed_pid        INTEGER,
  claimed_started_at BIGINT,
  claimed_at         BIGINT,
  PRIMARY KEY (run_id, kind, key)
);
CREATE INDEX timers_by_due ON timers (due_at);
