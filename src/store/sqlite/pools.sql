-- The SQLite pool store's statements (sqlite-pool-store.ts), each under a `-- name:` line.
-- Table in migrations/003_resources.sql.

-- name: holdsOfPool
-- pool. Its holds, oldest first.
SELECT * FROM resource_holds WHERE pool = ? ORDER BY at, run_id, task;

-- name: allHolds
SELECT * FROM resource_holds ORDER BY pool, at, run_id, task;

-- name: holdRun
-- id. What tells whether a hold is still real (store/pools.ts holdIsStale): the run's
-- status, its owner and the owner's lease.
SELECT * FROM runs WHERE id = ?;

-- name: insertHold
-- pool, run_id, task, attempt, amount, owner_host, owner_pid, owner_started_at, at
INSERT INTO resource_holds (pool, run_id, task, attempt, amount, owner_host, owner_pid, owner_started_at, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: deleteHold
-- pool, run_id, task
DELETE FROM resource_holds WHERE pool = ? AND run_id = ? AND task = ?;

-- name: releaseTask
-- run_id, task
DELETE FROM resource_holds WHERE run_id = ? AND task = ?;

-- name: releaseRun
-- run_id
DELETE FROM resource_holds WHERE run_id = ?;
