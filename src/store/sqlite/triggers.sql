-- Statements of the trigger store (sqlite-trigger-store.ts); tables in migrations/005_triggers.sql.

-- name: insertFiring
INSERT INTO trigger_firings (namespace, workflow, trigger, source, at, outcome, reason, code, run_id, delivery)
VALUES (@namespace, @workflow, @trigger, @source, @at, @outcome, @reason, @code, @run_id, @delivery)
ON CONFLICT (namespace, workflow, delivery) WHERE delivery IS NOT NULL DO NOTHING;

-- name: firingByDelivery
SELECT * FROM trigger_firings WHERE namespace = ? AND workflow = ? AND delivery = ?;

-- name: firingById
SELECT * FROM trigger_firings WHERE id = ?;

-- name: updateFiring
UPDATE trigger_firings SET outcome = @outcome, run_id = coalesce(@run_id, run_id), reason = coalesce(@reason, reason), code = coalesce(@code, code) WHERE id = @id;

-- name: listFirings
SELECT * FROM trigger_firings
WHERE (@namespace IS NULL OR namespace = @namespace)
  AND (@workflow IS NULL OR workflow = @workflow)
  AND (@outcome IS NULL OR outcome = @outcome)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;

-- name: insertEmitted
INSERT INTO emitted_events (namespace, name, data, at, run_id) VALUES (?, ?, ?, ?, ?);

-- name: emittedAfter
SELECT * FROM emitted_events WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: lastEmitted
SELECT coalesce(max(seq), 0) AS seq FROM emitted_events;

-- name: runsEndedAfter
SELECT id, namespace, workflow, status, ended_at FROM runs
WHERE ended_at >= @ended_at AND (ended_at, id) > (@ended_at, @id)
ORDER BY ended_at, id
LIMIT @limit;

-- name: getCursor
SELECT value FROM trigger_cursors WHERE name = ?;

-- name: setCursor
INSERT INTO trigger_cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value;

-- name: putSchedule
INSERT INTO schedules (namespace, id, workflow, file, cron, timezone, missed, paused, created_at)
VALUES (@namespace, @id, @workflow, @file, @cron, @timezone, @missed, @paused, @created_at)
ON CONFLICT (namespace, id) DO UPDATE SET workflow = excluded.workflow, file = excluded.file, cron = excluded.cron,
  timezone = excluded.timezone, missed = excluded.missed, paused = excluded.paused;

-- name: nextAddedSchedule
SELECT coalesce(max(CAST(substr(id, 7) AS INTEGER)), 0) + 1 AS n FROM schedules WHERE id LIKE 'added:%';

-- name: removeSchedule
DELETE FROM schedules WHERE namespace = ? AND id = ?;

-- name: listSchedules
SELECT * FROM schedules WHERE (@namespace IS NULL OR namespace = @namespace) ORDER BY created_at, id;
