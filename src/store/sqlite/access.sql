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

-- The trail newest first, one statement per filter that an index serves, so a page of a
-- 100,000-row trail reads about a page of rows: by actor (audit_by_actor), by namespace
-- (audit_by_namespace), by action (audit_by_action, migration 009), since a time
-- (audit_by_at; `+id` keeps SQLite from walking every row backwards by id instead), else
-- backwards by id from @before. The other filters apply
-- to the rows the index yields. sqlite-access-store.ts picks one in that order.

-- name: listAuditByActor
SELECT * FROM audit
WHERE actor = @actor
  AND (@since IS NULL OR at >= @since)
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@action IS NULL OR action = @action)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;

-- name: listAuditByNamespace
SELECT * FROM audit
WHERE namespace = @namespace
  AND (@since IS NULL OR at >= @since)
  AND (@actor IS NULL OR actor = @actor)
  AND (@action IS NULL OR action = @action)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;

-- name: listAuditByAction
SELECT * FROM audit
WHERE action = @action
  AND (@since IS NULL OR at >= @since)
  AND (@actor IS NULL OR actor = @actor)
  AND (@namespace IS NULL OR namespace = @namespace)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;

-- name: listAuditSince
SELECT * FROM audit
WHERE at >= @since
  AND (@actor IS NULL OR actor = @actor)
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@action IS NULL OR action = @action)
  AND +id < coalesce(@before, 9e18)
ORDER BY +id DESC
LIMIT @limit;

-- name: listAudit
SELECT * FROM audit
WHERE (@since IS NULL OR at >= @since)
  AND (@actor IS NULL OR actor = @actor)
  AND (@namespace IS NULL OR namespace = @namespace)
  AND (@action IS NULL OR action = @action)
  AND id < coalesce(@before, 9e18)
ORDER BY id DESC
LIMIT @limit;
