-- Access control (store/access.ts): API tokens and the audit trail, as SQLite's
-- 007_access.sql and 009_audit_by_action.sql left them.

-- Tokens: the SHA-256 of the secret, never the token itself. Ids compare byte by byte
-- (COLLATE "C"): they break ties in listTokens' order, as in SQLite.
CREATE TABLE tokens (
  id           TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT,
  -- comma-separated: viewer,operator,approver,admin
  roles        TEXT NOT NULL,
  namespace    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  created_by   TEXT NOT NULL,
  expires_at   BIGINT,
  revoked_at   BIGINT,
  last_used_at BIGINT
);
CREATE INDEX tokens_by_namespace ON tokens (namespace, created_at);

-- The audit trail: who did (or tried) what, to what, and how it ended. detail is JSON text.
CREATE TABLE audit (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  roles     TEXT NOT NULL,
  namespace TEXT NOT NULL,
  origin    TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT,
  outcome   TEXT NOT NULL,
  code      TEXT,
  detail    TEXT
);
-- A page of the trail, newest first, read through the index of whichever filter is given.
CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_namespace ON audit (namespace, id);
CREATE INDEX audit_by_action ON audit (action, id);

-- Append-only, whoever asks: the triggers below refuse to change, delete or truncate a row
-- (TRUNCATE passes row triggers by, so it has its own). Only dropping the table, which
-- takes its owner, gets past them.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only';
END;
$$;

CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
