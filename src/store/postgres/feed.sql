-- Reading every run's events in commit order (pg-run-feed.ts, store/run-feed.ts).

-- name: feedEnd
-- Everything of transactions older than the oldest one running is final: a reader starts
-- there (rows of that transaction and later ones are still to come).
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx;

-- name: feedAfter
-- $1 the transaction, $2 run and $3 seq of the last event read (a start: the transaction
-- to start at, '' and 0); $4 how many. Only rows of transactions that are over.
SELECT e.tx::text AS tx, e.run_id, e.seq, e.data, r.namespace, r.workflow, r.created_at
FROM events e
JOIN runs r ON r.id = e.run_id
WHERE e.tx IS NOT NULL
  AND (e.tx, e.run_id, e.seq) > ($1::text::xid8, $2::text, $3::int)
  AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.tx, e.run_id, e.seq
LIMIT $4;
