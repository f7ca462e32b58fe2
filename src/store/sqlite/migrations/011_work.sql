-- Workers (docs/decisions/0019-postgres.md, store/work.ts): runs that workers drive, the work
-- queue of their tasks, and the workers' own reports.

-- The queue whose workers may claim the run (its RunCreated's `workers`, a projection like
-- its namespace); NULL: the process that created it drives it.
ALTER TABLE runs ADD COLUMN queue TEXT;
-- claimNextRun: the oldest unfinished run of a queue.
CREATE INDEX runs_for_workers ON runs (queue, created_at, id) WHERE queue IS NOT NULL AND status IN ('pending', 'running');

-- One row per attempt a driver started for workers: ready, then claimed by a worker (with a
-- lease and the fence of that claim), then done with its result, until the driver records
-- the result in the run's log and deletes the row in the same transaction. AUTOINCREMENT:
-- an id is never reused, so a late worker's claim can never name a newer item.
CREATE TABLE work (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      TEXT NOT NULL,
  task        TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  queue       TEXT NOT NULL,
  namespace   TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'ready',
  worker      TEXT,
  fence       INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER,
  enqueued_at INTEGER NOT NULL,
  claimed_at  INTEGER,
  -- The attempt's result as JSON text (store/work.ts WorkResult), once done.
  result      TEXT
);
-- Claims: the ready items of a queue, oldest first.
CREATE INDEX work_for_claim ON work (state, queue, id);
-- A driver's look at its run's items, and at the results of its run.
CREATE INDEX work_by_run ON work (run_id, id);
CREATE INDEX work_done ON work (run_id, id) WHERE state = 'done';

-- What each worker last said of itself (WorkQueue.beat), by the clock of the process that
-- wrote it. queues and namespaces are JSON arrays.
CREATE TABLE workers (
  name        TEXT PRIMARY KEY,
  host        TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  queues      TEXT NOT NULL,
  namespaces  TEXT,
  concurrency INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  running     INTEGER NOT NULL,
  driving     INTEGER NOT NULL,
  seen_at     INTEGER NOT NULL
);
