-- Circuit breakers (store/circuits.ts): the state of each named circuit, shared by every
-- process on this file. Not part of any run's event log: like resource holds, it says what
-- is true now of a dependency; the runs whose attempts changed it record that in their
-- own events (CircuitChanged). A circuit that never failed, or was reset, has no row.
CREATE TABLE circuits (
  namespace    TEXT NOT NULL,
  name         TEXT NOT NULL,
  -- closed, open or half_open.
  state        TEXT NOT NULL,
  -- JSON: the times of the failures counted while closed, oldest first.
  failures     TEXT NOT NULL,
  opened_at    INTEGER,
  opened_after INTEGER,
  probe_at     INTEGER,
  -- JSON: the probes holding a slot while half-open.
  probes       TEXT NOT NULL,
  -- JSON: the limits it was last written with ({failures, window, open_for, probes}).
  limits       TEXT NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
