-- Leases (docs/decisions/0019-postgres.md): a run's owner holds it until lease_until unless
-- its heartbeat renews it, and writes with the fence its claim was given; a claim by a new
-- owner raises the fence, and an append naming an older one is refused. A run owned when
-- this migration runs keeps its owner, with the lease its last heartbeat would have given.
ALTER TABLE runs ADD COLUMN lease_until INTEGER;
ALTER TABLE runs ADD COLUMN fence INTEGER;
UPDATE runs SET lease_until = coalesce(heartbeat_at, created_at) + 30000, fence = 1 WHERE owner_host IS NOT NULL;
