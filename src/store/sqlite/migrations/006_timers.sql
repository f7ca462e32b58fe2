-- Timers (store/timers.ts): the due times a run's events set (a waiting run's wake-up, a
-- task's retry back-off, the run's time limit), a projection of the events like the task
-- rows: written in the same transaction as the event that sets or clears them, rebuilt from
-- the log with the rest. claimed_* say who took a due timer to fire it (like runs.owner_*,
-- they describe processes, not the run); a new due time clears them.
CREATE TABLE timers (
  run_id             TEXT NOT NULL,
  kind               TEXT NOT NULL,
  -- The task of a `retry`; '' for the run's own timers.
  key                TEXT NOT NULL,
  due_at             INTEGER NOT NULL,
  claimed_host       TEXT,
  claimed_pid        INTEGER,
  claimed_started_at INTEGER,
  claimed_at         INTEGER,
  PRIMARY KEY (run_id, kind, key)
) WITHOUT ROWID;

-- What comes due next, across every run.
CREATE INDEX timers_by_due ON timers (due_at);

-- The timers of runs recorded before this table, as the fold would have kept them.
-- A waiting run's wake-up: the soonest `until` or `timeout_at` of its last RunWaiting.
WITH last_waiting AS (
  SELECT r.id AS run_id,
         (SELECT e.data FROM events e WHERE e.run_id = r.id AND e.type = 'RunWaiting' ORDER BY e.seq DESC LIMIT 1) AS data
  FROM runs r
  WHERE r.status = 'waiting'
),
dues AS (
  SELECT lw.run_id, json_extract(w.value, '$.until') AS due FROM last_waiting lw, json_each(lw.data, '$.waits') w
  UNION ALL
  SELECT lw.run_id, json_extract(w.value, '$.timeout_at') AS due FROM last_waiting lw, json_each(lw.data, '$.waits') w
)
INSERT INTO timers (run_id, kind, key, due_at)
SELECT run_id, 'wake', '', MIN(due) FROM dues WHERE due IS NOT NULL GROUP BY run_id;

-- A task waiting for its retry in a run not finished.
INSERT INTO timers (run_id, kind, key, due_at)
SELECT t.run_id, 'retry', t.key, t.retry_at
FROM tasks t JOIN runs r ON r.id = t.run_id
WHERE t.status = 'retrying' AND t.retry_at IS NOT NULL AND r.status NOT IN ('succeeded', 'failed', 'cancelled');

-- A started run's time limit: from its last start (RunStarted, RunReopened), its workflow's timeout (ms).
INSERT INTO timers (run_id, kind, key, due_at)
SELECT run_id, 'deadline', '', since + limit_ms FROM (
  SELECT r.id AS run_id,
         (SELECT MAX(e.at) FROM events e WHERE e.run_id = r.id AND e.type IN ('RunStarted', 'RunReopened')) AS since,
         (SELECT json_extract(e.data, '$.workflow.timeout') FROM events e WHERE e.run_id = r.id AND e.seq = 1) AS limit_ms
  FROM runs r
  WHERE r.status IN ('running', 'waiting')
)
WHERE since IS NOT NULL AND typeof(limit_ms) IN ('integer', 'real') AND limit_ms >= 0;
