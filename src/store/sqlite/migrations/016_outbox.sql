-- The notification outbox (store/outbox.ts): what is to be sent to notification channels
-- because of events runs recorded, written in the same transaction as those events.
CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Unique: a second item with the key counts a repeat on this one instead.
  key         TEXT NOT NULL UNIQUE,
  namespace   TEXT NOT NULL,
  channel     TEXT NOT NULL,
  run_id      TEXT,
  -- JSON: what is sent (no secrets).
  notice      TEXT NOT NULL,
  -- pending, sending, sent or failed.
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  repeats     INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  next_at     INTEGER NOT NULL,
  fence       INTEGER NOT NULL DEFAULT 0,
  sender      TEXT,
  lease_until INTEGER,
  sent_at     INTEGER,
  -- JSON {code, message}: why the last try failed.
  error       TEXT
);
-- Senders look for what is due; listings by run and by state.
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_run ON outbox (run_id) WHERE run_id IS NOT NULL;
