-- Idempotency keys (store/idempotency.ts, docs/decisions/0021-idempotency-keys.md): the key
-- a run holds and the fingerprint of the start that recorded it. Unique per namespace among
-- the runs holding one, so the database itself refuses a second run with a key; a run that
-- gives its key up (its retention passed, a newer run took it) has both set back to NULL.
ALTER TABLE runs ADD COLUMN idempotency_key TEXT;
ALTER TABLE runs ADD COLUMN idempotency_fingerprint TEXT;
CREATE UNIQUE INDEX runs_by_idempotency_key ON runs (namespace, idempotency_key) WHERE idempotency_key IS NOT NULL;
