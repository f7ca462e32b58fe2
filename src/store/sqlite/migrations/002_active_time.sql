-- A run's active time (store/active-time.ts): the total of its closed stretches (run,
-- resume and retry sessions) and when the open one began. NULL for runs recorded before;
-- `baton` then shows their duration as before (end minus creation).
ALTER TABLE runs ADD COLUMN active_ms INTEGER;
ALTER TABLE runs ADD COLUMN active_since INTEGER;
