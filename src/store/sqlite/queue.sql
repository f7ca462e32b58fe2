-- The run queue's statements (sqlite-queue.ts), named as in queries.sql.

-- name: queued
-- limit. The queue in the order runs start (the runs_queued index).
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs
WHERE status = 'queued'
ORDER BY priority DESC, created_at, id
LIMIT ?;

-- name: holding
-- key. The runs holding a slot of the key: admitted and unfinished, oldest first.
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs
WHERE concurrency_key = ? AND status IN ('pending', 'running', 'waiting')
ORDER BY created_at, id;

-- name: running
-- What a global limit counts: admitted runs (they asked for admission) pending or running.
SELECT count(*) AS n FROM runs WHERE status IN ('pending', 'running') AND priority IS NOT NULL;

-- name: setQueueFields
-- priority, concurrency_key, concurrency_limit, id
UPDATE runs SET priority = ?, concurrency_key = ?, concurrency_limit = ? WHERE id = ?;
