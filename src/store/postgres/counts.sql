-- Counting runs for dashboards (RunStore.countRuns, listEnded; runs/overview.ts), from the
-- indexes: runs_by_status for unfinished runs, runs_by_ended for runs that ended. $1 is the
-- namespace in each (NULL: every namespace).

-- name: countUnfinished
-- The unfinished runs by stored status: few, found through runs_by_status.
SELECT status, count(*)::int AS n FROM runs
WHERE status IN ('pending', 'running', 'waiting', 'queued')
  AND ($1::text IS NULL OR namespace = $1)
GROUP BY status;

-- name: countFailedSince
-- $2 times (ms since epoch). For each, in order, the runs that ended failed at or after it:
-- a range of runs_by_ended from that time, not every failed run there ever was.
SELECT (SELECT count(*)::int FROM runs
        WHERE ended_at IS NOT NULL AND ended_at >= t.since AND status = 'failed'
          AND ($1::text IS NULL OR namespace = $1)) AS n
FROM unnest($2::bigint[]) WITH ORDINALITY AS t(since, i)
ORDER BY t.i;

-- name: listEnded
-- $2 limit. The runs that ended last: runs_by_ended read backwards.
SELECT * FROM runs
WHERE ended_at IS NOT NULL AND ($1::text IS NULL OR namespace = $1)
ORDER BY ended_at DESC, id DESC
LIMIT $2;
