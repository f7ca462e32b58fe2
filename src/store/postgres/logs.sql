-- The PostgreSQL log store's statements (pg-log-store.ts, pg-log-writer.ts,
-- pg-log-reader.ts), each under a `-- name:` line, with its parameters named in its
-- header. Tables in migrations/005_logs.sql.

-- name: appendLines
-- A batch of lines of any attempts and runs, in one statement: $1 run_id, $2 task,
-- $3 attempt, $4 back, $5 stream (text[]), $6 at (bigint[]), $7 text (bytea[]), one
-- element per line. back counts the attempt's lines after this one in the batch (0 for its
-- last): the line's n is the attempt's new total less back. The total moves first, under
-- the attempt's row lock, so two writers of one attempt never take the same numbers. Every
-- run written to is notified on baton_logs when the statement commits. Returns how many.
WITH line AS (
  SELECT *
  FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[], $5::text[], $6::bigint[], $7::bytea[])
    AS l (run_id, task, attempt, back, stream, at, text)
), counted AS (
  INSERT INTO log_attempts AS a (run_id, task, attempt, lines)
  SELECT run_id, task, attempt, count(*) FROM line GROUP BY run_id, task, attempt ORDER BY run_id, task, attempt
  ON CONFLICT (run_id, task, attempt) DO UPDATE SET lines = a.lines + excluded.lines
  RETURNING run_id, task, attempt, lines
), added AS (
  INSERT INTO log_lines (run_id, task, attempt, n, stream, at, text)
  SELECT line.run_id, line.task, line.attempt, counted.lines - line.back, line.stream, line.at, line.text
  FROM line JOIN counted USING (run_id, task, attempt)
), woken AS (
  SELECT pg_notify('baton_logs', run_id) FROM (SELECT DISTINCT run_id FROM line) AS runs
)
-- A plain SELECT in WITH runs only if read: this reads it.
SELECT count(*) AS runs FROM woken;

-- name: attemptsOfRun
-- $1 run_id, $2 task (NULL: every task), $3 cursor keys (text[]), $4 their positions
-- (bigint[]: the n of the last line read), $5 since (0: from the first line). Each
-- attempt of the run: its last line, where the cursor left it, and its first line at or
-- after `since` (NULL when there is none). A cursor names an attempt by the store's
-- cursorKey, task || '#' || attempt: unambiguous, as the attempt after the last '#' is digits.
SELECT a.task, a.attempt, a.lines, coalesce(c.after, 0) AS after,
  (SELECT l.n FROM log_lines l
   WHERE l.run_id = a.run_id AND l.task = a.task AND l.attempt = a.attempt AND l.at >= $5
   ORDER BY l.at, l.n LIMIT 1) AS first
FROM log_attempts a
LEFT JOIN unnest($3::text[], $4::bigint[]) AS c (key, after) ON c.key = a.task || '#' || a.attempt
WHERE a.run_id = $1 AND ($2::text IS NULL OR a.task = $2)
ORDER BY a.task, a.attempt;

-- name: linesOfAttempts
-- $1 run_id; $2 task, $3 attempt, $4 from, $5 to (arrays): of each attempt, the lines
-- numbered from+1..to (a bounded range: no plan reads more); $6 since (0: all). By
-- attempt as given, then line. ORDER BY in the LATERAL keeps it a lookup per attempt.
SELECT r.task, r.attempt, l.n, l.stream, l.at, l.text
FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS r (task, attempt, lo, hi, i)
CROSS JOIN LATERAL (
  SELECT n, stream, at, text FROM log_lines
  WHERE run_id = $1 AND task = r.task AND attempt = r.attempt AND n > r.lo AND n <= r.hi AND at >= $6
  ORDER BY n
) AS l
ORDER BY r.i, l.n;
