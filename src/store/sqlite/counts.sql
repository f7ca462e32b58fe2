-- Counting runs for dashboards (RunStore.countRuns, listEnded; runs/overview.ts), from the
-- indexes alone: runs_by_status for unfinished runs, runs_by_ended for runs that ended.
-- Each statement takes @namespace (NULL: every namespace).

-- name: countUnfinished
-- The unfinished runs by stored status: a range of runs_by_status, which holds few of them.
SELECT status, count(*) AS n FROM runs
WHERE status IN ('pending', 'running', 'waiting', 'queued')
  AND (@namespace IS NULL OR namespace = @namespace)
GROUP BY status;

-- name: countFailedSince
-- @since. The runs that ended failed at or after it: the range of runs_by_ended from @since
-- (the runs that ended since, whatever their status), not every failed run there ever was.
SELECT count(*) FROM runs INDEXED BY runs_by_ended
WHERE ended_at IS NOT NULL AND ended_at >= @since AND status = 'failed'
  AND (@namespace IS NULL OR namespace = @namespace);

-- name: listEnded
-- @limit. The runs that ended last: runs_by_ended read backwards.
SELECT runs.*, (SELECT at FROM events WHERE run_id = runs.id ORDER BY seq DESC LIMIT 1) AS last_at FROM runs INDEXED BY runs_by_ended
WHERE ended_at IS NOT NULL AND (@namespace IS NULL OR namespace = @namespace)
ORDER BY ended_at DESC, id DESC
LIMIT @limit;
