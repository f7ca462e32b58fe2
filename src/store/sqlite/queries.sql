-- The SQLite store's statements, each under a `-- name:` line (statements.ts prepares them
-- by name). Parameters are positional `?` in the order the columns are listed, or `@name`.
-- An insert of many rows names them once; its VALUES row is repeated for the row count.

-- name: getRun
-- updated_at is the time of the run's last event: appends do not rewrite the run's row.
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs WHERE id = ?;

-- name: insertRun
-- id, namespace, workflow, created_at, updated_at, owner_host, owner_pid, owner_started_at,
-- heartbeat_at, lease_until, fence (1 for a run created with its owner, else NULL), queue
-- (of the workers that drive it, else NULL), idempotency_key, idempotency_fingerprint (else NULL)
INSERT INTO runs (id, namespace, workflow, status, created_at, updated_at, owner_host, owner_pid, owner_started_at, heartbeat_at, lease_until, fence, queue,
                  idempotency_key, idempotency_fingerprint)
VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: setTrigger
-- trigger, id: what fired a run, written with its row (migrations/018_run_trigger.sql).
UPDATE runs SET trigger = ? WHERE id = ?;

-- name: keyHolder
-- namespace, idempotency_key: the run holding the key, with the fingerprint of its start.
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs
WHERE namespace = ? AND idempotency_key = ?;

-- name: giveUpKey
-- id: a run whose key's retention passed gives it up to a newer run.
UPDATE runs SET idempotency_key = NULL, idempotency_fingerprint = NULL WHERE id = ?;

-- name: lastSeq
-- The run's last event number (0 before the first) and its fence, or no row if the run does not exist.
SELECT coalesce((SELECT max(seq) FROM events WHERE run_id = runs.id), 0) AS seq, fence FROM runs WHERE id = ?;

-- name: insertEvents
-- run_id, seq, type, at, data; the VALUES row repeats once per event (statements.ts).
INSERT INTO events (run_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?);

-- name: readEvents
-- run_id, after seq
SELECT seq, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq;

-- name: upsertTasks
-- run_id, key, position, status, attempt, first_started_at, started_at, ended_at,
-- exit_code, outputs, error, reason, retry_at, progress; the VALUES row repeats once per task.
-- A task keeps the position it was first written with.
INSERT INTO tasks (run_id, key, position, status, attempt, first_started_at, started_at, ended_at,
                   exit_code, outputs, error, reason, retry_at, progress)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, key) DO UPDATE SET
  status = excluded.status,
  attempt = excluded.attempt,
  first_started_at = excluded.first_started_at,
  started_at = excluded.started_at,
  ended_at = excluded.ended_at,
  exit_code = excluded.exit_code,
  outputs = excluded.outputs,
  error = excluded.error,
  reason = excluded.reason,
  retry_at = excluded.retry_at,
  progress = excluded.progress;

-- name: listTasks
SELECT * FROM tasks WHERE run_id = ? ORDER BY position;

-- name: deleteTasks
DELETE FROM tasks WHERE run_id = ?;

-- name: moveRun
-- status, ended_at, active_ms, active_since, updated_at, id
UPDATE runs SET status = ?, ended_at = ?, active_ms = ?, active_since = ?, updated_at = ? WHERE id = ?;

-- name: finishRun
-- status, ended_at, active_ms, active_since, updated_at, id. A finished run has no owner
-- and nothing to cancel.
UPDATE runs SET status = ?, ended_at = ?, active_ms = ?, active_since = ?, updated_at = ?,
  owner_host = NULL, owner_pid = NULL, owner_started_at = NULL, lease_until = NULL, cancel_requested = NULL
WHERE id = ?;

-- name: listRuns
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs
WHERE (@namespace IS NULL OR namespace = @namespace)
  AND (@workflow IS NULL OR workflow = @workflow)
  AND (@status IS NULL OR status = @status)
  AND (@since IS NULL OR created_at >= @since)
  AND (@idempotency_key IS NULL OR idempotency_key = @idempotency_key)
  AND (@trigger IS NULL OR coalesce(trigger, 'manual') = @trigger)
  -- A page after another: the first bound lets SQLite seek in runs_by_created (a row-value
  -- comparison alone, behind IS NULL OR, would scan every newer run first).
  AND created_at <= coalesce(@before_at, 9e18)
  AND (@before_at IS NULL OR (created_at, id) < (@before_at, @before_id))
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: listRunsOfStatus
-- listRuns with a status: the same filter, as a range of runs_by_status. (listRuns's
-- `@status IS NULL OR` keeps SQLite from using that index: it walks runs_by_created over
-- every run instead, some 16 ms with 100,000 runs, to find the few running ones.)
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs
WHERE status = @status
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@workflow IS NULL OR workflow = @workflow)
  AND (@since IS NULL OR created_at >= @since)
  AND (@idempotency_key IS NULL OR idempotency_key = @idempotency_key)
  AND (@trigger IS NULL OR coalesce(trigger, 'manual') = @trigger)
  AND created_at <= coalesce(@before_at, 9e18)
  AND (@before_at IS NULL OR (created_at, id) < (@before_at, @before_id))
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: allRunIds
SELECT id FROM runs ORDER BY id;

-- name: runsWithPrefix
-- from (the upper-cased prefix), to (just past every id that starts with it), limit
SELECT id FROM runs WHERE upper(id) >= ? AND upper(id) < ? AND (? IS NULL OR namespace = ?) ORDER BY id LIMIT ?;

-- name: runNamespace
SELECT namespace FROM runs WHERE id = ?;

-- name: setOwner
-- owner_host, owner_pid, owner_started_at, heartbeat_at, lease_until, fence, id
UPDATE runs SET owner_host = ?, owner_pid = ?, owner_started_at = ?, heartbeat_at = ?, lease_until = ?, fence = ? WHERE id = ?;

-- name: nextRunForWorkers
-- queues (JSON array), namespaces (JSON array, NULL: any), at. The oldest unfinished run of
-- those queues that nobody holds, or whose holder's lease ran out at `at` (runs_for_workers):
-- pending or running, or waiting with a timer due (a code run's sleep, a wait's timeout).
SELECT id FROM runs
WHERE queue IN (SELECT value FROM json_each(@queues))
  AND (@namespaces IS NULL OR namespace IN (SELECT value FROM json_each(@namespaces)))
  AND (status IN ('pending', 'running')
       OR (status = 'waiting' AND EXISTS (SELECT 1 FROM timers WHERE timers.run_id = runs.id AND timers.due_at <= @at)))
  AND (owner_host IS NULL OR lease_until IS NULL OR lease_until < @at)
ORDER BY created_at, id
LIMIT 1;

-- name: setQueue
-- queue, id. The queue of the workers that drive the run (its RunCreated's), on a rebuild.
UPDATE runs SET queue = ? WHERE id = ?;

-- name: heartbeat
-- heartbeat_at, lease_until, id, owner_host, owner_pid, owner_started_at
UPDATE runs SET heartbeat_at = ?, lease_until = ?
WHERE id = ? AND owner_host = ? AND owner_pid = ? AND owner_started_at = ?;

-- name: releaseRun
-- id, owner_host, owner_pid, owner_started_at
UPDATE runs SET owner_host = NULL, owner_pid = NULL, owner_started_at = NULL, lease_until = NULL
WHERE id = ? AND owner_host = ? AND owner_pid = ? AND owner_started_at = ?;

-- name: requestCancel
-- reason, compensate, id. Only an unfinished run can be cancelled.
UPDATE runs SET cancel_requested = ?, cancel_compensate = ?
WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'cancelled');
