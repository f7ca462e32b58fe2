-- `baton cancel --compensate` (engine/compensation.ts): the cancel request asks for the
-- run's succeeded tasks to be undone. Read only beside cancel_requested.
ALTER TABLE runs ADD COLUMN cancel_compensate INTEGER NOT NULL DEFAULT 0;
