-- What fired a run (its RunCreated's trigger.type: schedule, webhook, file_change, event,
-- message), kept on its row so lists filter by it (`?trigger=`, the web UI's Runs view)
-- without reading every run's first event. NULL: started by hand (the CLI, the API, MCP).
ALTER TABLE runs ADD COLUMN trigger TEXT;
UPDATE runs SET trigger = (SELECT json_extract(e.data, '$.trigger.type') FROM events e WHERE e.run_id = runs.id AND e.seq = 1);
CREATE INDEX runs_by_trigger ON runs (trigger, created_at) WHERE trigger IS NOT NULL;
