-- Statements of the PostgreSQL trigger store (pg-trigger-store.ts), each under a
-- `-- name:` line, with $1..$n as the header of each names them. Tables in
-- migrations/003_triggers.sql; runs in 001_runs.sql.

-- name: insertFiring
-- $1 namespace, $2 workflow, $3 trigger, $4 source, $5 at, $6 outcome, $7 reason, $8 code,
-- $9 run_id, $10 delivery. No row back when the delivery was recorded before: a concurrent
-- insert of it is waited for, and whichever commits first keeps it.
INSERT INTO trigger_firings (namespace, workflow, trigger, source, at, outcome, reason, code, run_id, delivery)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (namespace, workflow, delivery) WHERE delivery IS NOT NULL DO NOTHING
RETURNING *;

-- name: firingByDelivery
-- $1 namespace, $2 workflow, $3 delivery.
SELECT * FROM trigger_firings WHERE namespace = $1 AND workflow = $2 AND delivery = $3;

-- name: updateFiring
-- $1 id, $2 outcome, $3 run_id, $4 reason, $5 code (NULL keeps what is there).
UPDATE trigger_firings
SET outcome = $2, run_id = coalesce($3, run_id), reason = coalesce($4, reason), code = coalesce($5, code)
WHERE id = $1;

-- name: listFirings
-- $1 namespace, $2 workflow, $3 outcome, $4 before (each NULL for any), $5 limit. Newest
-- first. The driver plans each call with its values, so the filters not given fold away
-- and the planner reads through the index of those that are.
SELECT * FROM trigger_firings
WHERE ($1::text IS NULL OR namespace = $1)
  AND ($2::text IS NULL OR workflow = $2)
  AND ($3::text IS NULL OR outcome = $3)
  AND ($4::bigint IS NULL OR id < $4)
ORDER BY id DESC
LIMIT $5;

-- name: lockEmitted
-- Emitted events are numbered one writer at a time, until its commit: seq order is then
-- commit order, and a reader that has seen seq n has seen every event before it.
SELECT pg_advisory_xact_lock(hashtext('baton.emitted.' || current_schema()));

-- name: insertEmitted
-- $1 namespace, $2 name, $3 data (JSON text), $4 at, $5 run_id.
INSERT INTO emitted_events (namespace, name, data, at, run_id) VALUES ($1, $2, $3, $4, $5) RETURNING seq;

-- name: emittedAfter
-- $1 seq, $2 limit.
SELECT * FROM emitted_events WHERE seq > $1 ORDER BY seq LIMIT $2;

-- name: lastEmitted
SELECT coalesce(max(seq), 0) AS seq FROM emitted_events;

-- name: runsEndedAfter
-- $1 ended_at, $2 id (the cursor), $3 limit. Through runs_by_ended.
SELECT id, namespace, workflow, status, ended_at FROM runs
WHERE ended_at >= $1 AND (ended_at, id) > ($1, $2)
ORDER BY ended_at, id
LIMIT $3;

-- name: getCursor
-- $1 name.
SELECT value FROM trigger_cursors WHERE name = $1;

-- name: setCursor
-- $1 name, $2 value.
INSERT INTO trigger_cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value;

-- name: lockSchedules
-- Added schedules are numbered one writer at a time, until its commit: two processes
-- adding at once take two numbers, never one (which would replace the other's).
SELECT pg_advisory_xact_lock(hashtext('baton.schedules.' || current_schema()));

-- name: nextAddedSchedule
-- The number after the highest added:<n> of the store (every namespace).
SELECT coalesce(max(substr(id, 7)::bigint), 0) + 1 AS n FROM schedules WHERE id ~ '^added:[0-9]{1,18}$';

-- name: putSchedule
-- $1 namespace, $2 id, $3 workflow, $4 file, $5 cron, $6 timezone, $7 missed, $8 paused,
-- $9 created_at. Replaces the row of that id, keeping its created_at.
INSERT INTO schedules (namespace, id, workflow, file, cron, timezone, missed, paused, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (namespace, id) DO UPDATE SET workflow = excluded.workflow, file = excluded.file, cron = excluded.cron,
  timezone = excluded.timezone, missed = excluded.missed, paused = excluded.paused;

-- name: removeSchedule
-- $1 namespace, $2 id. Returns the row removed, if any.
DELETE FROM schedules WHERE namespace = $1 AND id = $2 RETURNING id;

-- name: listSchedules
-- $1 namespace (NULL for every one). Oldest first.
SELECT * FROM schedules WHERE ($1::text IS NULL OR namespace = $1) ORDER BY created_at, id;
