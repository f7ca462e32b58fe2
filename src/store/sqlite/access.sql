-- Statements of the access store (sqlite-access-store.ts); tables in migrations/007_access.sql.

-- name: insertToken
INSERT INTO tokens (id, name, roles, namespace, hash, created_at, created_by, expires_at, revoked_at, last_used_at)
VALUES (@id, @name, @roles, @namespace, @hash, @created_at, @created_by, @expires_at, @revoked_at, @last_used_at);

-- name: getToken
SELECT * FROM tokens WHERE id = ?;

-- name: listTokens
SELECT * FROM tokens WHERE (@namespace IS NULL OR namespace = @namespace) ORDER BY created_at DESC, id DESC;

-- name: revokeToken
UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?;

-- name: anyToken
SELECT EXISTS (SELECT 1 FROM tokens) AS any;

-- name: touchToken
UPDATE tokens SET last_used_at = ? WHERE id = ?;

-- name: insertAudit
INSERT INTO audit (at, actor, roles, namespace, origin, action, target, outcome, code, detail)
VALUES (@at, @actor, @roles, @namespace, @origin, @action, @target, @outcome, @code, @detail);

-- name: listAudit
SELECT * FROM audit
WHERE (@since IS NULL OR at >= @since)
  AND (@actor IS NULL OR actor = @actor)
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@action IS NULL OR action = @action)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;
