-- What baton serve's triggers keep (store/triggers.ts), namespaces included from the start
-- (SQLite's 005_triggers.sql as 008_namespaces.sql left it). Ids and names that are
-- ordered compare byte by byte (COLLATE "C"), as in SQLite, whatever the server's locale.
-- The runs they read (runs_by_ended) are in 001_runs.sql.

-- Every firing of a trigger, those that started a run and those that did not (with why).
CREATE TABLE trigger_firings (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace TEXT NOT NULL DEFAULT 'default',
  workflow  TEXT NOT NULL,
  trigger   TEXT NOT NULL,
  source    TEXT NOT NULL,
  at        BIGINT NOT NULL,
  outcome   TEXT NOT NULL,
  reason    TEXT,
  code      TEXT,
  run_id    TEXT,
  delivery  TEXT
);
-- One delivery (a webhook's delivery id or signature, an event's number) fires once per
-- workflow of a namespace (two tenants may name a workflow alike): recordFiring's
-- INSERT ... ON CONFLICT DO NOTHING relies on it, so of two servers one records it.
CREATE UNIQUE INDEX trigger_firings_by_delivery ON trigger_firings (namespace, workflow, delivery) WHERE delivery IS NOT NULL;
CREATE INDEX trigger_firings_by_workflow ON trigger_firings (namespace, workflow, id);
CREATE INDEX trigger_firings_by_namespace ON trigger_firings (namespace, id);

-- Named events (baton emit, POST /api/events) for event triggers, read in order by seq.
-- Writers take seq one at a time (pg-trigger-store.ts), so seq order is commit order and a
-- reader past seq n never misses an n-1 committed later. data is JSON text, not jsonb.
CREATE TABLE emitted_events (
  seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace TEXT NOT NULL DEFAULT 'default',
  name      TEXT NOT NULL,
  data      TEXT,
  at        BIGINT NOT NULL,
  run_id    TEXT
);

-- Schedules added with `baton schedule add`, and pauses of schedules declared in files. A
-- file's schedules are named after their workflow (file:<workflow>:<n>), and two namespaces
-- may serve workflows of one name: the key is (namespace, id).
CREATE TABLE schedules (
  namespace  TEXT NOT NULL DEFAULT 'default',
  id         TEXT COLLATE "C" NOT NULL,
  workflow   TEXT NOT NULL,
  file       TEXT,
  cron       TEXT,
  timezone   TEXT,
  missed     TEXT,
  paused     BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (namespace, id)
);

-- Where the server's readers (of emitted events, of run ends) got to.
CREATE TABLE trigger_cursors (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
