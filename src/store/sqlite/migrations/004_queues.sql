-- The run queue (store/queue.ts): what each run asked of it, copied from its RunCreated
-- (`admission`) when the run is recorded and never changed after. NULL priority: a run
-- that asked nothing (a child run, or one recorded before queues), which no limit counts.
-- Whether a run is queued is its status (`queued`), like every other status.
ALTER TABLE runs ADD COLUMN priority INTEGER;
ALTER TABLE runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER;

-- The queue in the order runs start: priority (higher first), then arrival.
CREATE INDEX runs_queued ON runs (priority DESC, created_at, id) WHERE status = 'queued';
-- The runs of a key, to count those holding it.
CREATE INDEX runs_by_concurrency_key ON runs (concurrency_key, status) WHERE concurrency_key IS NOT NULL;
