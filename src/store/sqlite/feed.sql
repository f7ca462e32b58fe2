-- Reading every run's events in commit order (sqlite-run-feed.ts, store/run-feed.ts).

-- name: feedEnd
-- The position of the newest event of the feed (0 when none).
SELECT coalesce(max(pos), 0) AS pos FROM event_feed;

-- name: feedAfter
-- @after: a position; @limit: how many. Each event with its run's namespace, workflow and
-- creation time.
SELECT f.pos, f.run_id, f.seq, e.data, r.namespace, r.workflow, r.created_at
FROM event_feed f
JOIN events e ON e.run_id = f.run_id AND e.seq = f.seq
JOIN runs r ON r.id = f.run_id
WHERE f.pos > @after
ORDER BY f.pos
LIMIT @limit;
