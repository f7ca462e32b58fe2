-- Statements of the PostgreSQL access store (pg-access-store.ts), each under a `-- name:`
-- line, with $1..$n as the header of each names them. Tables in migrations/004_access.sql.

-- name: insertToken
-- $1 id, $2 name, $3 roles, $4 namespace, $5 hash, $6 created_at, $7 created_by,
-- $8 expires_at, $9 revoked_at, $10 last_used_at. No row back when the id is taken: the
-- primary key decides, not a look first (another process may add the id in between).
INSERT INTO tokens (id, name, roles, namespace, hash, created_at, created_by, expires_at, revoked_at, last_used_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: getToken
-- $1 id.
SELECT * FROM tokens WHERE id = $1;

-- name: listTokens
-- $1 namespace (NULL for every one). Newest first.
SELECT * FROM tokens WHERE ($1::text IS NULL OR namespace = $1) ORDER BY created_at DESC, id DESC;

-- name: revokeToken
-- $1 id, $2 at. An earlier revocation is kept. The record after, none for an unknown id.
UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING *;

-- name: anyToken
SELECT EXISTS (SELECT 1 FROM tokens) AS any;

-- name: touchToken
-- $1 id, $2 at.
UPDATE tokens SET last_used_at = $2 WHERE id = $1;

-- name: insertAudit
-- $1 at, $2 actor, $3 roles, $4 namespace, $5 origin, $6 action, $7 target, $8 outcome,
-- $9 code, $10 detail (JSON text). Returns its id.
INSERT INTO audit (at, actor, roles, namespace, origin, action, target, outcome, code, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id;

-- name: listAudit
-- $1 since, $2 actor, $3 namespace, $4 action, $5 before (each NULL for any), $6 limit.
-- Newest first. One statement serves every filter: the driver plans each call with its
-- values, so the filters not given fold away and the planner reads through the index of
-- one that is (audit_by_actor, _by_namespace, _by_action, _by_at), else backwards by id.
SELECT * FROM audit
WHERE ($1::bigint IS NULL OR at >= $1)
  AND ($2::text IS NULL OR actor = $2)
  AND ($3::text IS NULL OR namespace = $3)
  AND ($4::text IS NULL OR action = $4)
  AND ($5::bigint IS NULL OR id < $5)
ORDER BY id DESC
LIMIT $6;
