-- The notification outbox (store/outbox.ts): what is to be sent to notification channels
-- because of events runs recorded, written in the same transaction as those events.
CREATE TABLE outbox (
  id          BIGSERIAL PRIMARY KEY,
  -- Unique: a second item with the key counts a repeat on this one instead.
  key         TEXT COLLATE "C" NOT NULL UNIQUE,
  namespace   TEXT COLLATE "C" NOT NULL,
  channel     TEXT COLLATE "C" NOT NULL,
  run_id      TEXT COLLATE "C",
  -- JSON: what is sent (no secrets).
  notice      TEXT NOT NULL,
  -- pending, sending, sent or failed.
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  repeats     INTEGER NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  next_at     BIGINT NOT NULL,
  fence       INTEGER NOT NULL DEFAULT 0,
  sender      TEXT,
  lease_until BIGINT,
  sent_at     BIGINT,
  -- JSON {code, message}: why the last try failed.
  error       TEXT
);
-- Senders look for what is due; listings by run and by state.
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_run ON outbox (run_id) WHERE run_id IS NOT NULL;
