-- Resource pools (store/pools.ts): what each task holds of each pool while its attempt
-- runs. Not part of any run's event log: like runs.owner_*, a hold describes processes
-- (who has the pool now), and is freed when its attempt ends or its process is gone.
-- Names compare byte by byte (COLLATE "C"), as in SQLite and in JavaScript, whatever the
-- server's locale: holds are listed by pool and age with ties broken by run and task.
CREATE TABLE resource_holds (
  pool             TEXT COLLATE "C" NOT NULL,
  run_id           TEXT COLLATE "C" NOT NULL,
  task             TEXT COLLATE "C" NOT NULL,
  attempt          INTEGER NOT NULL,
  amount           INTEGER NOT NULL,
  -- The process that took it (the run's owner then); NULL for a run nobody else can see.
  owner_host       TEXT,
  owner_pid        INTEGER,
  owner_started_at BIGINT,
  at               BIGINT NOT NULL,
  PRIMARY KEY (pool, run_id, task)
);

-- release: a task's holds, or a run's.
CREATE INDEX resource_holds_by_run ON resource_holds (run_id, task);
