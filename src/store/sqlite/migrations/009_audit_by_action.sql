-- `baton audit --action run.start` and GET /api/audit?action=...: a page of one action's
-- entries read through an index, not a walk of the whole trail.
CREATE INDEX audit_by_action ON audit (action, id);
