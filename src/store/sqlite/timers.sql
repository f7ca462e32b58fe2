-- The SQLite timer store's statements (sqlite-timers.ts), each under a `-- name:` line.
-- Table in migrations/006_timers.sql.

-- name: setTimer
-- run_id, kind, key, due_at. A new due time is a new timer: nobody has claimed it.
INSERT INTO timers (run_id, kind, key, due_at) VALUES (?, ?, ?, ?)
ON CONFLICT (run_id, kind, key) DO UPDATE SET
  due_at = excluded.due_at, claimed_host = NULL, claimed_pid = NULL, claimed_started_at = NULL, claimed_at = NULL;

-- name: clearTimer
-- run_id, kind, key
DELETE FROM timers WHERE run_id = ? AND kind = ? AND key = ?;

-- name: clearRun
-- run_id
DELETE FROM timers WHERE run_id = ?;

-- name: dueTimers
-- until, limit. Earliest first, through timers_by_due.
SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at, run_id, kind, key LIMIT ?;

-- name: runTimers
-- run_id
SELECT * FROM timers WHERE run_id = ? ORDER BY kind, key;

-- name: getTimer
-- run_id, kind, key
SELECT * FROM timers WHERE run_id = ? AND kind = ? AND key = ?;

-- name: claimTimer
-- claimed_host, claimed_pid, claimed_started_at, claimed_at, run_id, kind, key
UPDATE timers SET claimed_host = ?, claimed_pid = ?, claimed_started_at = ?, claimed_at = ?
WHERE run_id = ? AND kind = ? AND key = ?;

-- name: runTimeout
-- run_id. The run's time limit (ms) from its RunCreated's workflow snapshot, if any.
SELECT json_extract(data, '$.workflow.timeout') AS timeout FROM events WHERE run_id = ? AND seq = 1;
