-- Circuit breakers (store/circuits.ts): the state of each named circuit, shared by every
-- process on every machine using this schema. Not part of any run's event log: like
-- resource holds, it says what is true now of a dependency; the runs whose attempts
-- changed it record that in their own events (CircuitChanged). A circuit that never
-- failed, or was reset, has no row. Names compare byte by byte (COLLATE "C"), as in SQLite
-- and JavaScript: circuits are listed by namespace and name.
CREATE TABLE circuits (
  namespace    TEXT COLLATE "C" NOT NULL,
  name         TEXT COLLATE "C" NOT NULL,
  -- closed, open or half_open.
  state        TEXT NOT NULL,
  -- JSON: the times of the failures counted while closed, oldest first.
  failures     TEXT NOT NULL,
  opened_at    BIGINT,
  opened_after INTEGER,
  probe_at     BIGINT,
  -- JSON: the probes holding a slot while half-open.
  probes       TEXT NOT NULL,
  -- JSON: the limits it was last written with ({failures, window, open_for, probes}).
  limits       TEXT NOT NULL,
  updated_at   BIGINT NOT NULL,
  PRIMARY KEY (namespace, name)
);
