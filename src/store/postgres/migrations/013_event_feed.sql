-- Every run's events in commit order, for readers that follow the whole store
-- (store/run-feed.ts). Transactions commit in any order, so each event row keeps the id of
-- the transaction that wrote it, and readers read only rows of transactions older than the
-- oldest one still running (pg_snapshot_xmin), which are final. Rows written before this
-- migration keep NULL (no rewrite of the table): they are history, not in the feed.
ALTER TABLE events ADD COLUMN tx xid8;
ALTER TABLE events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX events_feed ON events (tx, run_id, seq) WHERE tx IS NOT NULL;
