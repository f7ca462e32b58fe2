-- What metrics read (pg-run-stats.ts, store/run-stats.ts), each under a `-- name:` line.
-- Every statement takes $1 since (ms), $2 namespace and $3 workflow (NULL: any).

-- name: statsRuns
SELECT id, workflow, status, created_at, ended_at, active_ms, active_since FROM runs
WHERE created_at >= $1
  AND ($2::text IS NULL OR namespace = $2)
  AND ($3::text IS NULL OR workflow = $3)
ORDER BY created_at, id;

-- name: statsTasks
-- The projection's rows of those runs, with each task's first TaskReady from the log
-- (the projection does not keep when a task became ready), grouped once for all the runs.
-- events.data is JSON text (001_runs.sql); only TaskReady events' is parsed.
WITH chosen AS (
  SELECT id, created_at FROM runs
  WHERE created_at >= $1
    AND ($2::text IS NULL OR namespace = $2)
    AND ($3::text IS NULL OR workflow = $3)
),
ready AS (
  SELECT e.run_id, (e.data::json ->> 'task') COLLATE "C" AS task, min(e.at) AS at
  FROM chosen JOIN events e ON e.run_id = chosen.id
  WHERE e.type = 'TaskReady'
  GROUP BY e.run_id, 2
)
SELECT t.run_id, t.key, t.status, t.attempt, t.first_started_at, t.ended_at, ready.at AS ready_at
FROM chosen
JOIN tasks t ON t.run_id = chosen.id
LEFT JOIN ready ON ready.run_id = t.run_id AND ready.task = t.key
ORDER BY chosen.created_at, chosen.id, t.position;
