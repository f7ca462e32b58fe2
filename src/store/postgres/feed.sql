-- Following every run's events in commit order (pg-run-feed.ts, store/run-feed.ts).

-- name: feedStart
-- Everything of transactions older than the oldest one running is final: a reader starts
-- there (rows of that transaction and later ones are still to come).
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx;

-- name: feedAfter
-- $1 the transaction, $2 run and $3 seq of the last event read (a start: the transaction
-- to start at, '' and 0); $4 how many; $5 only these types (NULL: all). Only rows of
-- transactions that are over, each with its run; `horizon` (on every row, and on one row
-- of NULLs when there is none): below it, every row is final, read or passed over.
WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)
SELECT h.x::text AS horizon, p.tx::text AS tx, p.run_id, p.seq, p.data, p.namespace, p.workflow, p.created_at
FROM horizon h
LEFT JOIN LATERAL (
  SELECT e.tx, e.run_id, e.seq, e.data, r.namespace, r.workflow, r.created_at
  FROM events e
  JOIN runs r ON r.id = e.run_id
  WHERE e.tx IS NOT NULL
    AND (e.tx, e.run_id, e.seq) > ($1::text::xid8, $2::text, $3::int)
    AND e.tx < h.x
    AND ($5::text[] IS NULL OR e.type = ANY($5::text[]))
  ORDER BY e.tx, e.run_id, e.seq
  LIMIT $4
) p ON true
ORDER BY p.tx, p.run_id, p.seq;
