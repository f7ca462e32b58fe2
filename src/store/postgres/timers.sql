-- The PostgreSQL timer store's statements (pg-timers.ts). Rows are written by the run
-- store's append (runs.sql); these read and claim them.

-- name: dueTimers
-- until, limit. Earliest first, through timers_by_due.
SELECT * FROM timers WHERE due_at <= $1 ORDER BY due_at, run_id, kind, key LIMIT $2;

-- name: runTimers
SELECT * FROM timers WHERE run_id = $1 ORDER BY kind, key;

-- name: lockTimer
-- run_id, kind, key: inside a transaction, the row held until commit.
SELECT * FROM timers WHERE run_id = $1 AND kind = $2 AND key = $3 FOR UPDATE;

-- name: claimTimer
-- claimed_host, claimed_pid, claimed_started_at, claimed_at, run_id, kind, key
UPDATE timers SET claimed_host = $1, claimed_pid = $2, claimed_started_at = $3, claimed_at = $4
WHERE run_id = $5 AND kind = $6 AND key = $7;

-- name: setTimer
-- run_id, kind, key, due_at (a rebuild; appends set timers in runs.sql `append`)
INSERT INTO timers (run_id, kind, key, due_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (run_id, kind, key) DO UPDATE SET
  due_at = excluded.due_at, claimed_host = NULL, claimed_pid = NULL, claimed_started_at = NULL, claimed_at = NULL;

-- name: clearTimer
DELETE FROM timers WHERE run_id = $1 AND kind = $2 AND key = $3;

-- name: clearRun
DELETE FROM timers WHERE run_id = $1;
