-- A task's latest reported progress (TaskProgress, TaskRecord.progress) as JSON: percent,
-- done, total, message, at. NULL: none reported by its current attempt.
ALTER TABLE tasks ADD COLUMN progress TEXT;
