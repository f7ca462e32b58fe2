-- The PostgreSQL run store's statements (pg-run-store.ts), each under a `-- name:` line.
-- Tables in migrations/001_runs.sql. Parameters are $1..$n.

-- name: append
-- One round trip per append, committed on its own or inside a transaction: the run's
-- last_seq moves from the number the writer expects ($2) to past its events, and in the
-- same statement the events, the task rows and timers they change, and the run's status
-- are written and the run's watchers notified. When another writer appended first,
-- last_seq is no longer $2: nothing is written and `appended` is 0.
--
-- $1 run_id, $2 expected seq, $3 updated_at (the last event's time)
-- $4 types, $5 ats, $6 data: the events
-- $7..$18: the task rows changed (key, position, status, attempt, first_started_at,
--   started_at, ended_at, exit_code, outputs, error, reason, retry_at), one array each
-- $19 the status moves, $20 status, $21 ended_at, $22 active_ms, $23 active_since,
-- $24 the run finished (its owner and any cancel request are cleared)
-- $25 clear every timer first, $26 kinds, $27 keys, $28 due times (NULL: cleared)
-- $29 the writer's fence, or NULL: an append naming an older claim than the run's writes nothing
-- $30 tasks, $31 attempts, $32 queues, $33 namespaces: work items enqueued (store/work.ts)
-- $34 ids of the run's work items taken out
-- $35 the task rows' progress (TaskRecord.progress as JSON), one per row of $7..$18
WITH run AS (
  UPDATE runs SET
    last_seq = $2 + cardinality($4::text[]),
    updated_at = CASE WHEN cardinality($4::text[]) > 0 THEN $3 ELSE updated_at END,
    status = CASE WHEN $19 THEN $20 ELSE status END,
    ended_at = CASE WHEN $19 THEN $21 ELSE ended_at END,
    active_ms = CASE WHEN $19 THEN $22 ELSE active_ms END,
    active_since = CASE WHEN $19 THEN $23 ELSE active_since END,
    owner_host = CASE WHEN $24 THEN NULL ELSE owner_host END,
    owner_pid = CASE WHEN $24 THEN NULL ELSE owner_pid END,
    owner_started_at = CASE WHEN $24 THEN NULL ELSE owner_started_at END,
    lease_until = CASE WHEN $24 THEN NULL ELSE lease_until END,
    cancel_requested = CASE WHEN $24 THEN NULL ELSE cancel_requested END
  WHERE id = $1 AND last_seq = $2 AND ($29::int IS NULL OR fence = $29)
  RETURNING id
),
new_events AS (
  INSERT INTO events (run_id, seq, type, at, data)
  SELECT run.id, $2 + e.n, e.type, e.at, e.data
  FROM run, unnest($4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY AS e (type, at, data, n)
),
task_rows AS (
  INSERT INTO tasks (run_id, key, position, status, attempt, first_started_at, started_at, ended_at,
                     exit_code, outputs, error, reason, retry_at, progress)
  SELECT run.id, t.*
  FROM run, unnest($7::text[], $8::int[], $9::text[], $10::int[], $11::bigint[], $12::bigint[], $13::bigint[],
                   $14::int[], $15::text[], $16::text[], $17::text[], $18::bigint[], $35::text[])
            AS t (key, position, status, attempt, first_started_at, started_at, ended_at, exit_code, outputs, error, reason, retry_at, progress)
  -- A task keeps the position it was first written with.
  ON CONFLICT (run_id, key) DO UPDATE SET
    status = excluded.status,
    attempt = excluded.attempt,
    first_started_at = excluded.first_started_at,
    started_at = excluded.started_at,
    ended_at = excluded.ended_at,
    exit_code = excluded.exit_code,
    outputs = excluded.outputs,
    error = excluded.error,
    reason = excluded.reason,
    retry_at = excluded.retry_at,
    progress = excluded.progress
),
timer_changes AS (
  SELECT * FROM unnest($26::text[], $27::text[], $28::bigint[]) AS c (kind, key, due_at)
),
cleared_timers AS (
  DELETE FROM timers
  WHERE run_id IN (SELECT id FROM run)
    AND (($25 AND (kind, key) NOT IN (SELECT kind, key FROM timer_changes WHERE due_at IS NOT NULL))
         OR (kind, key) IN (SELECT kind, key FROM timer_changes WHERE due_at IS NULL))
),
set_timers AS (
  -- A new due time is a new timer: nobody has claimed it.
  INSERT INTO timers (run_id, kind, key, due_at)
  SELECT run.id, c.kind, c.key, c.due_at FROM run, timer_changes c WHERE c.due_at IS NOT NULL
  ON CONFLICT (run_id, kind, key) DO UPDATE SET
    due_at = excluded.due_at, claimed_host = NULL, claimed_pid = NULL, claimed_started_at = NULL, claimed_at = NULL
),
new_work AS (
  INSERT INTO work (run_id, task, attempt, queue, namespace)
  SELECT run.id, w.task, w.attempt, w.queue, w.namespace
  FROM run, unnest($30::text[], $31::int[], $32::text[], $33::text[]) AS w (task, attempt, queue, namespace)
  RETURNING queue
),
consumed AS (
  -- A run that finishes takes every item of its own out: none is left for a worker.
  DELETE FROM work WHERE run_id IN (SELECT id FROM run) AND (id = ANY($34::bigint[]) OR $24)
),
notified AS (
  SELECT pg_notify('baton_events', run.id) FROM run
  UNION ALL
  SELECT pg_notify('baton_work', queue) FROM (SELECT DISTINCT queue FROM new_work) AS queues
)
SELECT (SELECT count(*) FROM run)::int AS appended, (SELECT count(*) FROM notified)::int AS notified;

-- name: notifyWorkers
-- queue: a run for its workers was recorded (or let go), in this transaction.
SELECT pg_notify('baton_work', $1);

-- name: insertRun
-- id, namespace, workflow, created_at, owner_host, owner_pid, owner_started_at, heartbeat_at,
-- priority, concurrency_key, concurrency_limit, lease ms, queue, idempotency_key,
-- idempotency_fingerprint. Nothing when the id is taken, or the key is held (runs_by_idempotency_key:
-- an insert racing another's with the key waits for it to commit). A run created with its
-- owner is claimed by it: fence 1, the lease from the database's clock.
INSERT INTO runs (id, namespace, workflow, status, created_at, updated_at, owner_host, owner_pid, owner_started_at,
                  heartbeat_at, priority, concurrency_key, concurrency_limit, lease_until, fence, queue,
                  idempotency_key, idempotency_fingerprint)
VALUES ($1, $2, $3, 'pending', $4, $4, $5, $6, $7, $8, $9, $10, $11,
        CASE WHEN $5::text IS NULL THEN NULL ELSE baton_now() + $12 END,
        CASE WHEN $5::text IS NULL THEN NULL ELSE 1 END,
        $13, $14, $15)
ON CONFLICT DO NOTHING
RETURNING id, queue;

-- name: keyHolder
-- namespace, idempotency_key: the run holding the key, with the fingerprint of its start.
SELECT * FROM runs WHERE namespace = $1 AND idempotency_key = $2;

-- name: giveUpKey
-- namespace, idempotency_key, cutoff: the run holding the key gives it up when it was created
-- before the cutoff (its retention passed). Two processes doing so at once: the second
-- waits for the first's row lock, then finds the key no longer there and changes nothing.
UPDATE runs SET idempotency_key = NULL, idempotency_fingerprint = NULL
WHERE namespace = $1 AND idempotency_key = $2 AND created_at < $3;

-- name: getRun
SELECT * FROM runs WHERE id = $1;

-- name: lockRun
-- Inside a transaction: the run's row, held until commit, and whether its lease has run
-- out by the database's clock.
SELECT *, (lease_until IS NULL OR lease_until < baton_now()) AS lease_expired FROM runs WHERE id = $1 FOR UPDATE;

-- name: readEvents
-- run_id, after seq
SELECT seq, data FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq;

-- name: firstEvent
SELECT data FROM events WHERE run_id = $1 AND seq = 1;

-- name: listTasks
SELECT * FROM tasks WHERE run_id = $1 ORDER BY position;

-- name: deleteTasks
DELETE FROM tasks WHERE run_id = $1;

-- name: listRuns
-- namespace, workflow, status, since, before_at, before_id, limit, idempotency_key, trigger ('manual': none)
SELECT * FROM runs
WHERE ($1::text IS NULL OR namespace = $1)
  AND ($2::text IS NULL OR workflow = $2)
  AND ($3::text IS NULL OR status = $3)
  AND ($4::bigint IS NULL OR created_at >= $4)
  AND ($5::bigint IS NULL OR (created_at, id) < ($5, $6::text))
  AND ($8::text IS NULL OR idempotency_key = $8)
  AND ($9::text IS NULL OR coalesce(trigger, 'manual') = $9)
ORDER BY created_at DESC, id DESC
LIMIT $7;

-- name: setTrigger
-- trigger, id: what fired a run, written with its row (migrations/014_run_trigger.sql).
UPDATE runs SET trigger = $1 WHERE id = $2;

-- name: allRunIds
SELECT id FROM runs ORDER BY id;

-- name: runsWithPrefix
-- from (the upper-cased prefix), namespace or NULL, limit. LIKE on upper(id) uses
-- runs_by_upper_id; the prefix is escaped by the caller.
SELECT id FROM runs WHERE upper(id) LIKE $1 || '%' AND ($2::text IS NULL OR namespace = $2) ORDER BY id LIMIT $3;

-- name: setOwner
-- owner_host, owner_pid, owner_started_at, heartbeat_at, lease ms, fence, id
UPDATE runs SET owner_host = $1, owner_pid = $2, owner_started_at = $3, heartbeat_at = $4,
  lease_until = baton_now() + $5, fence = $6
WHERE id = $7
RETURNING *;

-- name: heartbeat
-- heartbeat_at, id, owner_host, owner_pid, owner_started_at, lease ms; the run as it is now
WITH beat AS (
  UPDATE runs SET heartbeat_at = $1, lease_until = baton_now() + $6
  WHERE id = $2 AND owner_host = $3 AND owner_pid = $4 AND owner_started_at = $5
  RETURNING *
)
SELECT * FROM beat UNION ALL SELECT * FROM runs WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM beat);

-- name: releaseRun
-- id, owner_host, owner_pid, owner_started_at
UPDATE runs SET owner_host = NULL, owner_pid = NULL, owner_started_at = NULL, lease_until = NULL
WHERE id = $1 AND owner_host = $2 AND owner_pid = $3 AND owner_started_at = $4
RETURNING id, (SELECT pg_notify('baton_work', queue) WHERE queue IS NOT NULL AND status IN ('pending', 'running')) AS notified;

-- name: requestCancel
-- reason, id, compensate. Only an unfinished run can be cancelled.
UPDATE runs SET cancel_requested = $1, cancel_compensate = $3
WHERE id = $2 AND status NOT IN ('succeeded', 'failed', 'cancelled');

-- name: runFence
SELECT fence FROM runs WHERE id = $1;

-- name: moveRun
-- status, ended_at, active_ms, active_since, updated_at, id
UPDATE runs SET status = $1, ended_at = $2, active_ms = $3, active_since = $4, updated_at = $5 WHERE id = $6;

-- name: setQueueFields
-- priority, concurrency_key, concurrency_limit, id, queue (what the RunCreated asked, on a rebuild)
UPDATE runs SET priority = $1, concurrency_key = $2, concurrency_limit = $3, queue = $5 WHERE id = $4;

-- name: claimNextRun
-- queues, namespaces (NULL: any), owner_host, owner_pid, owner_started_at, heartbeat_at,
-- lease ms. The oldest unfinished run of those queues that nobody holds (or whose holder's
-- lease ran out), claimed as claimRun claims: SKIP LOCKED, so each goes to one worker.
-- Pending or running, or waiting with a timer due (a code run's sleep, a wait's timeout).
WITH next AS (
  SELECT id FROM runs
  WHERE queue = ANY($1::text[]) AND ($2::text[] IS NULL OR namespace = ANY($2::text[]))
    AND (status IN ('pending', 'running')
         OR (status = 'waiting' AND EXISTS (SELECT 1 FROM timers WHERE timers.run_id = runs.id AND timers.due_at <= baton_now())))
    AND (owner_host IS NULL OR lease_until IS NULL OR lease_until < baton_now())
  ORDER BY created_at, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
UPDATE runs SET owner_host = $3, owner_pid = $4, owner_started_at = $5, heartbeat_at = $6,
  lease_until = baton_now() + $7, fence = coalesce(runs.fence, 0) + 1
FROM next WHERE runs.id = next.id
RETURNING runs.*;

-- name: lockQueue
-- Decisions over the run queue are made one at a time across every process (a run's
-- admission reads the queue and records what it decides in one transaction).
SELECT pg_advisory_xact_lock(hashtext('baton.queue'));

-- name: queued
-- limit. The queue in the order runs start (the runs_queued index).
SELECT * FROM runs WHERE status = 'queued' ORDER BY priority DESC, created_at, id LIMIT $1;

-- name: holdingAll
-- The runs holding a slot of some key: admitted and unfinished, oldest first.
SELECT * FROM runs WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running', 'waiting') ORDER BY created_at, id;

-- name: running
-- What a global limit counts: admitted runs (they asked for admission) pending or running.
SELECT count(*)::int AS n FROM runs WHERE status IN ('pending', 'running') AND priority IS NOT NULL;

-- name: insertTasks
-- run_id, then the task columns as arrays (as in `append`): a run's rows written afresh.
INSERT INTO tasks (run_id, key, position, status, attempt, first_started_at, started_at, ended_at,
                   exit_code, outputs, error, reason, retry_at, progress)
SELECT $1, t.*
FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::bigint[],
            $9::int[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[])
     AS t (key, position, status, attempt, first_started_at, started_at, ended_at, exit_code, outputs, error, reason, retry_at, progress);
