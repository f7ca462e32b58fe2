-- Workers (docs/postgres.md, store/work.ts): runs that workers drive, the work queue of
-- their tasks, and the workers' own reports.

-- The queue whose workers may claim the run (its RunCreated's `workers`); NULL: the process
-- that created it drives it.
ALTER TABLE runs ADD COLUMN queue TEXT COLLATE "C";
-- claimNextRun: the oldest unfinished run of a queue, held by nobody or by a lapsed lease.
CREATE INDEX runs_for_workers ON runs (queue, created_at, id) WHERE queue IS NOT NULL AND status IN ('pending', 'running');

-- One row per attempt a driver started for workers: ready, then claimed by a worker (with
-- a lease and the fence of that claim), then done with its result, until the driver records
-- the result in the run's log and deletes the row in the same statement.
CREATE TABLE work (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id      TEXT COLLATE "C" NOT NULL,
  task        TEXT COLLATE "C" NOT NULL,
  attempt     INTEGER NOT NULL,
  queue       TEXT COLLATE "C" NOT NULL,
  namespace   TEXT COLLATE "C" NOT NULL,
  state       TEXT NOT NULL DEFAULT 'ready',
  worker      TEXT,
  fence       INTEGER NOT NULL DEFAULT 0,
  lease_until BIGINT,
  enqueued_at BIGINT NOT NULL DEFAULT baton_now(),
  claimed_at  BIGINT,
  -- The attempt's result as JSON text (store/work.ts WorkResult), once done.
  result      TEXT
);
-- Claims: the ready items of a queue, oldest first.
CREATE INDEX work_ready ON work (queue, id) WHERE state = 'ready';
-- A driver's look at its run's items, and at the results of its run.
CREATE INDEX work_by_run ON work (run_id, id);
CREATE INDEX work_done ON work (run_id, id) WHERE state = 'done';

-- What each worker last said of itself (WorkQueue.beat), by the database's clock.
CREATE TABLE workers (
  name        TEXT COLLATE "C" PRIMARY KEY,
  host        TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  queues      TEXT[] NOT NULL,
  namespaces  TEXT[],
  concurrency INTEGER NOT NULL,
  started_at  BIGINT NOT NULL,
  running     INTEGER NOT NULL,
  driving     INTEGER NOT NULL,
  seen_at     BIGINT NOT NULL
);
