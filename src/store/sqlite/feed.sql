-- Following every run's events (sqlite-run-feed.ts, store/run-feed.ts). Nothing is written
-- for it: the runs that may have moved are found by the runs' indexes, their events by the
-- events' key.

-- name: unfinishedRuns
-- Runs not finished, with their last event's number (runs_by_status, then one seek each).
SELECT r.id, r.namespace, r.workflow, r.created_at, (SELECT max(seq) FROM events e WHERE e.run_id = r.id) AS last_seq
FROM runs r
WHERE r.status IN ('pending', 'queued', 'running', 'waiting');

-- name: endedRuns
-- @since: runs that ended at or after it (runs_by_ended), with their last event's number.
SELECT r.id, r.namespace, r.workflow, r.created_at, r.ended_at, (SELECT max(seq) FROM events e WHERE e.run_id = r.id) AS last_seq
FROM runs r
WHERE r.ended_at >= @since;

-- name: eventsAfter
-- A run's events after @seq, in order, at most @limit; @types: a JSON list of the types
-- wanted, or NULL for all (the others are passed over here, never copied out).
SELECT seq, data FROM events
WHERE run_id = @run AND seq > @seq AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
ORDER BY seq LIMIT @limit;

-- name: seqBefore
-- The number of the run's last event recorded before @at (0 when none): where a reader that
-- did not know the run starts it.
SELECT coalesce(max(seq), 0) AS seq FROM events WHERE run_id = @run AND at < @at;
