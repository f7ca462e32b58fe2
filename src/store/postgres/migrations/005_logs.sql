-- Task output (LogStore, pg-log-store.ts): one row per line, since a run's tasks may run on
-- several machines and every one of them, and every reader, needs the same log.
--
-- n numbers an attempt's lines from 1 in the order they were written, both streams
-- together; a cursor holds, per attempt, the n of the last line read. log_attempts.lines
-- is the attempt's last n, moved in the statement that inserts its lines (logs.sql
-- appendLines), so numbering stays right whichever process writes next, and a read finds
-- each attempt's end without counting its lines.
--
-- The text is BYTEA, the line's UTF-8: TEXT cannot hold a NUL byte, and a task may print
-- one. Names compare byte by byte (COLLATE "C"), whatever the server's locale. at is
-- milliseconds since the epoch, never less than the attempt's line before (the writer
-- keeps it so): within an attempt, time order is line order.

CREATE TABLE log_lines (
  run_id  TEXT COLLATE "C" NOT NULL,
  task    TEXT COLLATE "C" NOT NULL,
  attempt INTEGER NOT NULL,
  n       INTEGER NOT NULL,
  stream  TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  at      BIGINT NOT NULL,
  text    BYTEA NOT NULL,
  PRIMARY KEY (run_id, task, attempt, n)
);

-- Reads go by attempt and line number (the primary key), a bounded range at a time, and
-- merge attempts by time in the reader. `since` finds each attempt's first line at or
-- after a time here.
CREATE INDEX log_lines_by_time ON log_lines (run_id, task, attempt, at, n);

CREATE TABLE log_attempts (
  run_id  TEXT COLLATE "C" NOT NULL,
  task    TEXT COLLATE "C" NOT NULL,
  attempt INTEGER NOT NULL,
  -- Lines written so far: the n of the last one.
  lines   INTEGER NOT NULL,
  PRIMARY KEY (run_id, task, attempt)
);
