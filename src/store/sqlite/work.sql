-- The SQLite work queue's statements (sqlite-work.ts), each under a `-- name:` line. Tables
-- in migrations/011_work.sql. Lists of queues and namespaces are given as JSON arrays.
-- Every lease is by the writing process's clock (`now`).

-- name: enqueue
-- run_id, task, attempt, queue, namespace, enqueued_at. By the run store, in its append.
INSERT INTO work (run_id, task, attempt, queue, namespace, enqueued_at) VALUES (?, ?, ?, ?, ?, ?);

-- name: consume
-- id, run_id. By the run store, in its append: only the run's own items.
DELETE FROM work WHERE id = ? AND run_id = ?;

-- name: consumeRun
-- run_id. A run that finished: every item of its own goes.
DELETE FROM work WHERE run_id = ?;

-- name: ready
-- queues, namespaces (NULL: any), limit. The ready items a claim would take, oldest first
-- (work_for_claim); read first without the write lock, so idle workers do not take it.
SELECT id FROM work
WHERE state = 'ready' AND queue IN (SELECT value FROM json_each(@queues))
  AND (@namespaces IS NULL OR namespace IN (SELECT value FROM json_each(@namespaces)))
ORDER BY id
LIMIT @limit;

-- name: claim
-- worker, now, until, id. One of the ready items, in the claim's write transaction. Lost
-- only if the lease ends before now (claimed_at), as the other reads judge it.
UPDATE work SET state = 'claimed', worker = ?, fence = fence + 1, claimed_at = ?, lease_until = ?
WHERE id = ? AND state = 'ready'
RETURNING *, (lease_until < claimed_at) AS lost;

-- name: extend
-- until, id, fence, worker, now: a claim still held, renewed.
UPDATE work SET lease_until = ?
WHERE id = ? AND fence = ? AND worker = ? AND state = 'claimed' AND lease_until >= ?;

-- name: complete
-- result, id, fence, worker, now: done where the claim is live and the worker's own.
UPDATE work SET state = 'done', result = ?, lease_until = NULL
WHERE id = ? AND fence = ? AND worker = ? AND state = 'claimed' AND lease_until >= ?
RETURNING run_id;

-- name: progress
-- progress, id, fence, worker, now: the latest progress of a claim that is live and the worker's own.
UPDATE work SET progress = ?
WHERE id = ? AND fence = ? AND worker = ? AND state = 'claimed' AND lease_until >= ?;

-- name: release
-- id, fence, worker: back to ready, unrun; its fence stays.
UPDATE work SET state = 'ready', lease_until = NULL, claimed_at = NULL
WHERE id = ? AND fence = ? AND worker = ? AND state = 'claimed'
RETURNING queue;

-- name: results
-- run_id: the run's done items (the work_done index).
SELECT *, 0 AS lost FROM work WHERE run_id = ? AND state = 'done' ORDER BY id;

-- name: ofRun
-- now, run_id
SELECT *, (state = 'claimed' AND lease_until < ?) AS lost FROM work WHERE run_id = ? ORDER BY id;

-- name: depth
-- @namespace: only its items (NULL: every namespace's).
SELECT queue, sum(state = 'ready') AS ready, sum(state = 'claimed') AS claimed
FROM work WHERE state IN ('ready', 'claimed') AND (@namespace IS NULL OR namespace = @namespace)
GROUP BY queue ORDER BY queue;

-- name: beat
-- name, host, pid, queues, namespaces, concurrency, started_at, running, driving, seen_at
INSERT INTO workers (name, host, pid, queues, namespaces, concurrency, started_at, running, driving, seen_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
  host = excluded.host, pid = excluded.pid, queues = excluded.queues, namespaces = excluded.namespaces,
  concurrency = excluded.concurrency, started_at = excluded.started_at, running = excluded.running,
  driving = excluded.driving, seen_at = excluded.seen_at;

-- name: claimed
-- now: what each worker runs, by worker then age.
SELECT *, (lease_until < ?) AS lost FROM work WHERE state = 'claimed' ORDER BY worker, id;

-- name: workers
-- since
SELECT * FROM workers WHERE seen_at >= ? ORDER BY name;

-- name: retire
DELETE FROM workers WHERE name = ?;
