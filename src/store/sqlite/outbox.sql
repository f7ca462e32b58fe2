-- The SQLite notification outbox's statements (sqlite-outbox.ts), each under a `-- name:` line.
-- Table in migrations/016_outbox.sql.

-- name: repeat
-- key: the item holding it counts one more repeat (no change: the key is free).
UPDATE outbox SET repeats = repeats + 1 WHERE key = ?;

-- name: add
-- key, namespace, channel, run_id, notice, created_at, next_at
INSERT INTO outbox (key, namespace, channel, run_id, notice, state, created_at, next_at)
VALUES (?, ?, ?, ?, ?, 'pending', ?, ?);

-- name: due
-- now, now, limit: pending items whose time came, and claims that ran out, oldest first.
SELECT id FROM outbox
WHERE (state = 'pending' AND next_at <= ?) OR (state = 'sending' AND lease_until <= ?)
ORDER BY id LIMIT ?;

-- name: dueOfRun
-- now, now, run_id, limit
SELECT id FROM outbox
WHERE ((state = 'pending' AND next_at <= ?) OR (state = 'sending' AND lease_until <= ?)) AND run_id = ?
ORDER BY id LIMIT ?;

-- name: claim
-- sender, lease_until, id, now, now: claimed when still due.
UPDATE outbox SET state = 'sending', sender = ?, lease_until = ?, fence = fence + 1, attempts = attempts + 1
WHERE id = ? AND ((state = 'pending' AND next_at <= ?) OR (state = 'sending' AND lease_until <= ?))
RETURNING *;

-- name: sent
-- sent_at, id, fence
UPDATE outbox SET state = 'sent', sent_at = ?, lease_until = NULL
WHERE id = ? AND fence = ? AND state = 'sending';

-- name: failed
-- state, next_at (NULL: kept), error, id, fence
UPDATE outbox SET state = ?, next_at = COALESCE(?, next_at), error = ?, lease_until = NULL
WHERE id = ? AND fence = ? AND state = 'sending';

-- name: list
-- state, state, channel, channel, run_id, run_id, namespace, namespace, limit (NULL filters: any)
SELECT * FROM outbox
WHERE (? IS NULL OR state = ?) AND (? IS NULL OR channel = ?) AND (? IS NULL OR run_id = ?) AND (? IS NULL OR namespace = ?)
ORDER BY id DESC LIMIT ?;

-- name: prune
-- before
DELETE FROM outbox WHERE state IN ('sent', 'failed') AND COALESCE(sent_at, next_at) < ?;
