-- The PostgreSQL notification outbox's statements (pg-outbox.ts). Items are also written by
-- the run store's append, in its transaction (pg-run-store.ts). Table in migrations/011_outbox.sql.

-- name: add
-- keys, namespaces, channels, run ids, notices, created_at. A key already held: a repeat.
INSERT INTO outbox (key, namespace, channel, run_id, notice, state, created_at, next_at)
SELECT i.key, i.namespace, i.channel, i.run_id, i.notice, 'pending', $6, $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS i (key, namespace, channel, run_id, notice)
ON CONFLICT (key) DO UPDATE SET repeats = outbox.repeats + 1
RETURNING (xmax = 0) AS added;

-- name: claim
-- now, run_id (NULL: any), limit, sender, lease_until. SKIP LOCKED: senders claiming at once
-- never wait on each other, and each item goes to one of them.
WITH next AS (
  SELECT id FROM outbox
  WHERE ((state = 'pending' AND next_at <= $1) OR (state = 'sending' AND lease_until <= $1))
    AND ($2::text IS NULL OR run_id = $2)
  ORDER BY id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET state = 'sending', sender = $4, lease_until = $5, fence = o.fence + 1, attempts = o.attempts + 1
FROM next WHERE o.id = next.id
RETURNING o.*;

-- name: sent
-- sent_at, id, fence
UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL
WHERE id = $2 AND fence = $3 AND state = 'sending'
RETURNING id;

-- name: failed
-- state, next_at (NULL: kept), error, id, fence
UPDATE outbox SET state = $1, next_at = COALESCE($2, next_at), error = $3, lease_until = NULL
WHERE id = $4 AND fence = $5 AND state = 'sending'
RETURNING id;

-- name: list
-- state, channel, run_id, namespace (NULL: any), limit
SELECT * FROM outbox
WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR channel = $2)
  AND ($3::text IS NULL OR run_id = $3) AND ($4::text IS NULL OR namespace = $4)
ORDER BY id DESC LIMIT $5;

-- name: prune
-- before
WITH gone AS (DELETE FROM outbox WHERE state IN ('sent', 'failed') AND COALESCE(sent_at, next_at) < $1 RETURNING 1)
SELECT count(*)::int AS n FROM gone;
