-- What metrics read (sqlite-run-stats.ts, store/run-stats.ts), each under a `-- name:` line.
-- Every statement takes @since (ms), @namespace and @workflow (NULL: any).

-- name: statsRuns
SELECT id, workflow, status, created_at, ended_at, active_ms, active_since FROM runs
WHERE created_at >= @since
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@workflow IS NULL OR workflow = @workflow)
ORDER BY created_at, id;

-- name: statsTasks
-- The projection's rows of those runs, with each task's first TaskReady from the log
-- (the projection does not keep when a task became ready). The ready times are grouped
-- once for all the runs, not looked up task by task; CROSS JOIN keeps SQLite reading the
-- events run by run from the window's runs (by the events' key), never the whole log.
WITH chosen AS (
  SELECT id, created_at FROM runs
  WHERE created_at >= @since
    AND (@namespace IS NULL OR namespace = @namespace)
    AND (@workflow IS NULL OR workflow = @workflow)
),
ready AS (
  SELECT e.run_id, json_extract(e.data, '$.task') AS task, min(e.at) AS at
  FROM chosen CROSS JOIN events e ON e.run_id = chosen.id
  WHERE e.type = 'TaskReady'
  GROUP BY e.run_id, task
)
SELECT t.run_id, t.key, t.status, t.attempt, t.first_started_at, t.ended_at, ready.at AS ready_at
FROM chosen
JOIN tasks t ON t.run_id = chosen.id
LEFT JOIN ready ON ready.run_id = t.run_id AND ready.task = t.key
ORDER BY chosen.created_at, chosen.id, t.position;
