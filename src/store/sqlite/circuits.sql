-- The SQLite circuit store's statements (sqlite-circuit-store.ts), each under a `-- name:` line.
-- Table in migrations/013_circuits.sql.

-- name: getCircuit
-- namespace, name
SELECT * FROM circuits WHERE namespace = ? AND name = ?;

-- name: allCircuits
SELECT * FROM circuits ORDER BY namespace, name;

-- name: circuitsOf
-- namespace
SELECT * FROM circuits WHERE namespace = ? ORDER BY name;

-- name: putCircuit
-- namespace, name, state, failures, opened_at, opened_after, probe_at, probes, limits, updated_at
INSERT INTO circuits (namespace, name, state, failures, opened_at, opened_after, probe_at, probes, limits, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (namespace, name) DO UPDATE SET
  state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at, opened_after = excluded.opened_after,
  probe_at = excluded.probe_at, probes = excluded.probes, limits = excluded.limits, updated_at = excluded.updated_at;

-- name: deleteCircuit
-- namespace, name
DELETE FROM circuits WHERE namespace = ? AND name = ?;
