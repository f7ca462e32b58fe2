-- The PostgreSQL circuit store's statements (pg-circuit-store.ts), each under a `-- name:`
-- line, with $1..$n as the header of each names them. Table in migrations/008_circuits.sql.

-- name: lockCircuit
-- $1 namespace, $2 name. Serializes the writes of one circuit across every process on this
-- schema, also before its row exists: held until the transaction ends, so the next writer
-- reads what this one committed. (Two circuits whose keys hash alike merely take turns.)
SELECT pg_advisory_xact_lock(hashtext('baton.circuit.' || current_schema() || '.' || $1 || '.' || $2));

-- name: getCircuit
-- $1 namespace, $2 name.
SELECT * FROM circuits WHERE namespace = $1 AND name = $2;

-- name: allCircuits
SELECT * FROM circuits ORDER BY namespace, name;

-- name: circuitsOf
-- $1 namespace.
SELECT * FROM circuits WHERE namespace = $1 ORDER BY name;

-- name: putCircuit
-- $1 namespace, $2 name, $3 state, $4 failures, $5 opened_at, $6 opened_after, $7 probe_at,
-- $8 probes, $9 limits, $10 updated_at.
INSERT INTO circuits (namespace, name, state, failures, opened_at, opened_after, probe_at, probes, limits, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (namespace, name) DO UPDATE SET
  state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at, opened_after = excluded.opened_after,
  probe_at = excluded.probe_at, probes = excluded.probes, limits = excluded.limits, updated_at = excluded.updated_at;

-- name: deleteCircuit
-- $1 namespace, $2 name. Returns the row it deleted.
DELETE FROM circuits WHERE namespace = $1 AND name = $2 RETURNING *;
