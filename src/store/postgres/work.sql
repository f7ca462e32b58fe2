-- The PostgreSQL work queue's statements (pg-work.ts). Items are written and taken out by
-- the run store's append (runs.sql); these claim, complete and read them. Every lease is
-- checked by the database's clock (baton_now()).

-- name: claim
-- queues, namespaces (NULL: any), limit, worker, lease ms. SKIP LOCKED: workers claiming at
-- once never wait on each other, and each item goes to one of them.
WITH next AS (
  SELECT id FROM work
  WHERE state = 'ready' AND queue = ANY($1::text[]) AND ($2::text[] IS NULL OR namespace = ANY($2::text[]))
  ORDER BY id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
UPDATE work SET state = 'claimed', worker = $4, fence = work.fence + 1, claimed_at = baton_now(), lease_until = baton_now() + $5
FROM next WHERE work.id = next.id
RETURNING work.*, false AS lost;

-- name: extend
-- worker, ids, fences, lease ms: the claims still held, renewed.
UPDATE work w SET lease_until = baton_now() + $4
FROM unnest($2::bigint[], $3::int[]) AS c (id, fence)
WHERE w.id = c.id AND w.fence = c.fence AND w.worker = $1 AND w.state = 'claimed' AND w.lease_until >= baton_now()
RETURNING w.id;

-- name: complete
-- worker, ids, fences, results: done where the claim is live and the worker's own; the
-- drivers of those runs are notified in the same statement.
WITH done AS (
  UPDATE work w SET state = 'done', result = c.result, lease_until = NULL
  FROM unnest($2::bigint[], $3::int[], $4::text[]) AS c (id, fence, result)
  WHERE w.id = c.id AND w.fence = c.fence AND w.worker = $1 AND w.state = 'claimed' AND w.lease_until >= baton_now()
  RETURNING w.id, w.run_id
),
notified AS (
  SELECT pg_notify('baton_done', run_id) FROM (SELECT DISTINCT run_id FROM done) AS runs
)
SELECT id FROM done, (SELECT count(*) FROM notified) AS n;

-- name: progress
-- worker, ids, fences, progress (JSON): the latest progress of claims live and the worker's own.
UPDATE work w SET progress = c.progress
FROM unnest($2::bigint[], $3::int[], $4::text[]) AS c (id, fence, progress)
WHERE w.id = c.id AND w.fence = c.fence AND w.worker = $1 AND w.state = 'claimed' AND w.lease_until >= baton_now()
RETURNING w.id;

-- name: release
-- worker, ids, fences: back to ready, unrun; workers of their queues are woken.
WITH back AS (
  UPDATE work w SET state = 'ready', lease_until = NULL, claimed_at = NULL
  FROM unnest($2::bigint[], $3::int[]) AS c (id, fence)
  WHERE w.id = c.id AND w.fence = c.fence AND w.worker = $1 AND w.state = 'claimed'
  RETURNING w.queue
)
SELECT pg_notify('baton_work', queue) FROM (SELECT DISTINCT queue FROM back) AS queues;

-- name: results
-- The run's done items, through work_done.
SELECT *, false AS lost FROM work WHERE run_id = $1 AND state = 'done' ORDER BY id;

-- name: ofRun
SELECT *, (state = 'claimed' AND lease_until < baton_now()) AS lost FROM work WHERE run_id = $1 ORDER BY id;

-- name: depth
-- $1 namespace: only its items (NULL: every namespace's).
SELECT queue, count(*) FILTER (WHERE state = 'ready')::int AS ready, count(*) FILTER (WHERE state = 'claimed')::int AS claimed
FROM work WHERE state IN ('ready', 'claimed') AND ($1::text IS NULL OR namespace = $1)
GROUP BY queue ORDER BY queue;

-- name: claimed
-- What each worker runs, by worker then age.
SELECT *, (lease_until < baton_now()) AS lost FROM work WHERE state = 'claimed' ORDER BY worker, id;

-- name: beat
-- name, host, pid, queues, namespaces, concurrency, started_at, running, driving
INSERT INTO workers (name, host, pid, queues, namespaces, concurrency, started_at, running, driving, seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, baton_now())
ON CONFLICT (name) DO UPDATE SET
  host = excluded.host, pid = excluded.pid, queues = excluded.queues, namespaces = excluded.namespaces,
  concurrency = excluded.concurrency, started_at = excluded.started_at, running = excluded.running,
  driving = excluded.driving, seen_at = excluded.seen_at;

-- name: workers
-- within ms
SELECT * FROM workers WHERE seen_at >= baton_now() - $1 ORDER BY name;

-- name: retire
DELETE FROM workers WHERE name = $1;
