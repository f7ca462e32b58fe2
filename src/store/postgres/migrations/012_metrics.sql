-- Reserved for `baton metrics` (store/run-stats.ts), which needs no change to the schema:
-- it reads the window's runs through runs_by_created or runs_by_workflow, their task rows
-- and TaskReady events by the tables' keys (see the SQLite store's 017_metrics.sql for
-- the indexes measured and left out). This version changes nothing; it keeps the
-- numbering whole.
SELECT 1;
