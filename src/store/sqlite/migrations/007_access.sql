-- Access control (store/access.ts): API tokens and the audit trail.

-- Tokens: the SHA-256 of the secret, never the token itself.
CREATE TABLE tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT,
  -- comma-separated: viewer,operator,approver,admin
  roles        TEXT NOT NULL,
  namespace    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
CREATE INDEX tokens_by_namespace ON tokens (namespace, created_at);

-- The audit trail: who did (or tried) what, to what, and how it ended. Append-only: the
-- triggers below refuse to change or delete a row, whoever asks.
CREATE TABLE audit (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
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
CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_namespace ON audit (namespace, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
