-- What baton serve's triggers keep (store/triggers.ts).

-- Every firing of a trigger, those that started a run and those that did not (with why).
CREATE TABLE trigger_firings (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow TEXT NOT NULL,
  trigger  TEXT NOT NULL,
  source   TEXT NOT NULL,
  at       INTEGER NOT NULL,
  outcome  TEXT NOT NULL,
  reason   TEXT,
  code     TEXT,
  run_id   TEXT,
  delivery TEXT
);
CREATE INDEX trigger_firings_by_workflow ON trigger_firings (workflow, id);
-- One delivery (a webhook's delivery id or signature, an event's number) fires once per workflow.
CREATE UNIQUE INDEX trigger_firings_by_delivery ON trigger_firings (workflow, delivery) WHERE delivery IS NOT NULL;

-- Named events (baton emit, POST /api/events) for event triggers, read in order by seq.
CREATE TABLE emitted_events (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  name   TEXT NOT NULL,
  data   TEXT,
  at     INTEGER NOT NULL,
  run_id TEXT
);

-- Schedules added with `baton schedule add`, and pauses of schedules declared in files.
CREATE TABLE schedules (
  id         TEXT PRIMARY KEY,
  workflow   TEXT NOT NULL,
  file       TEXT,
  cron       TEXT,
  timezone   TEXT,
  missed     TEXT,
  paused     INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- Where the server's readers (of emitted events, of run ends) got to.
CREATE TABLE trigger_cursors (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Runs in the order they ended, for workflow_run triggers.
CREATE INDEX runs_by_ended ON runs (ended_at, id) WHERE ended_at IS NOT NULL;
