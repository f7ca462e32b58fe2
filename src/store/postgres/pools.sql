-- The PostgreSQL pool store's statements (pg-pool-store.ts), each under a `-- name:` line,
-- with $1..$n as the header of each names them. Table in migrations/002_pools.sql.

-- name: lockPools
-- Serializes the acquires that record holds, across every process on this schema: held
-- until the transaction ends, so the next acquire reads the holds this one committed.
SELECT pg_advisory_xact_lock(hashtext('baton.pools.' || current_schema()));

-- name: holdsOfPools
-- $1 pools (text[]). Their holds, by pool and then age.
SELECT * FROM resource_holds WHERE pool = ANY($1::text[]) ORDER BY pool, at, run_id, task;

-- name: allHolds
SELECT * FROM resource_holds ORDER BY pool, at, run_id, task;

-- name: holdRuns
-- $1 run ids (text[]). What tells whether a hold is still real (store/pools.ts
-- holdIsStale): each run's status, its owner, and whether the owner's lease has run out
-- by the database's clock, as claimRun judges it (runs.sql lockRun).
SELECT *, (lease_until IS NULL OR lease_until < baton_now()) AS lease_expired FROM runs WHERE id = ANY($1::text[]);

-- name: insertHolds
-- $1 pools (text[]), $2 amounts (int[]), then the task's: $3 run_id, $4 task, $5 attempt,
-- $6 owner_host, $7 owner_pid, $8 owner_started_at, $9 at. One row per pool.
INSERT INTO resource_holds (pool, amount, run_id, task, attempt, owner_host, owner_pid, owner_started_at, at)
SELECT pool, amount, $3, $4, $5, $6, $7, $8, $9 FROM unnest($1::text[], $2::int[]) AS wanted (pool, amount);

-- name: deleteHold
-- $1 pool, $2 run_id, $3 task.
DELETE FROM resource_holds WHERE pool = $1 AND run_id = $2 AND task = $3;

-- name: releaseTask
-- $1 run_id, $2 task. Returns a row per hold freed.
DELETE FROM resource_holds WHERE run_id = $1 AND task = $2 RETURNING pool;

-- name: releaseRun
-- $1 run_id. Returns a row per hold freed.
DELETE FROM resource_holds WHERE run_id = $1 RETURNING pool;
