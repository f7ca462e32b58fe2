-- Namespaces (docs/access.md): what a run, a firing, an emitted event and a schedule belong
-- to. Everything recorded before namespaces belongs to `default`.

-- A run's namespace is its RunCreated's (a projection like its status).
ALTER TABLE runs ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
CREATE INDEX runs_by_namespace ON runs (namespace, created_at, id);

ALTER TABLE trigger_firings ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
-- One delivery fires once per workflow of a namespace (two tenants may name a workflow alike).
DROP INDEX trigger_firings_by_delivery;
CREATE UNIQUE INDEX trigger_firings_by_delivery ON trigger_firings (namespace, workflow, delivery) WHERE delivery IS NOT NULL;
DROP INDEX trigger_firings_by_workflow;
CREATE INDEX trigger_firings_by_workflow ON trigger_firings (namespace, workflow, id);
CREATE INDEX trigger_firings_by_namespace ON trigger_firings (namespace, id);

ALTER TABLE emitted_events ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';

-- A file's schedules are named after their workflow (file:<workflow>:<n>), and two
-- namespaces may serve workflows of one name: the key becomes (namespace, id).
CREATE TABLE schedules_by_namespace (
  namespace  TEXT NOT NULL DEFAULT 'default',
  id         TEXT NOT NULL,
  workflow   TEXT NOT NULL,
  file       TEXT,
  cron       TEXT,
  timezone   TEXT,
  missed     TEXT,
  paused     INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, id)
);
INSERT INTO schedules_by_namespace (namespace, id, workflow, file, cron, timezone, missed, paused, created_at)
  SELECT 'default', id, workflow, file, cron, timezone, missed, paused, created_at FROM schedules;
DROP TABLE schedules;
ALTER TABLE schedules_by_namespace RENAME TO schedules;
