-- A task's latest reported progress (TaskProgress, TaskRecord.progress) as JSON: percent,
-- done, total, message, at. NULL: none reported by its current attempt.
ALTER TABLE tasks ADD COLUMN progress TEXT;

-- The latest progress a worker reported of a work item it runs (WorkQueue.progress), as JSON,
-- for the run's driver to record as TaskProgress.
ALTER TABLE work ADD COLUMN progress TEXT;
