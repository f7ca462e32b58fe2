/**
 * sql: one query, a .sql file, or a folder of migrations, against PostgreSQL, MySQL/MariaDB
 * or SQLite. Loaded on the first sql task (executors/sql.ts), with the one driver it needs.
 *
 * The SQL is sent as written; values reach the database only as params, bound by its
 * driver. With params, the SQL is one statement; without, it may hold several, run in one
 * transaction (unless it begins or commits one itself), and the rows are those of the last
 * statement that returns rows.
 *
 * Outputs: `rows` (the first max_rows, within about 1 MB), `columns`, `row_count` (rows
 * returned, kept or not), `truncated`, `affected` (rows changed); for migrations,
 * `applied`, `already_applied`, `transactional`, `table`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SqlTask } from '../../spec/model.js';
import { bindParams, connectionSecrets, lineAt, redactConnection, sqlDialectOf, SqlParamsError, statementStarts, transactionControl, type SqlDialect } from '../../spec/sql-text.js';
import { abortedError, ExecutorError } from '../errors.js';
import type { ExecutorResult, TaskIO } from '../types.js';
import { connectError, DATABASE_NAMES, hider, statementFailure, type Hide } from './errors.js';
import { applyMigrations, readMigrations } from './migrations.js';
import { RowCollector } from './rows.js';
import { openSession, StatementError, type SqlSession } from './session.js';
import { sqliteFile } from './sqlite.js';

export async function runSql(task: SqlTask, io: TaskIO, signal: AbortSignal): Promise<ExecutorResult> {
  if (signal.aborted) throw abortedError(signal, 'the sql task');
  const connection = task.connection.trim();
  const hide = hider(connectionSecrets(connection));
  const dialect = sqlDialectOf(connection);
  if (dialect === undefined) {
    const shown = connection === '' ? 'is empty' : `"${hide(redactConnection(connection))}" names no database baton knows`;
    throw new ExecutorError('SQL_CONNECTION', `the connection ${shown}: use postgres://, postgresql://, mysql://, mariadb://, sqlite:PATH or a PATH ending .db, .sqlite or .sqlite3`, { retryable: false });
  }
  const baseDir = task.cwd ? path.resolve(io.baseDir, task.cwd) : io.baseDir;
  const where = dialect === 'sqlite' ? `SQLite file ${sqliteFile(connection, baseDir)}` : `${DATABASE_NAMES[dialect]} at ${hide(redactConnection(connection))}`;
  // Files are read before connecting: a missing one fails without touching the database.
  const migrations = task.migrations === undefined ? undefined : await readMigrations(path.resolve(baseDir, task.migrations), task.migrations);
  const sql = migrations === undefined ? await sqlOf(task, baseDir) : undefined;

  const session = await connect(dialect, connection, baseDir, io, signal, where, hide);
  const onAbort = () => void session.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let outputs: Record<string, unknown>;
    if (migrations !== undefined) {
      io.stderr(`${where}: ${migrations.length} migration${migrations.length === 1 ? '' : 's'} in ${task.migrations}\n`);
      outputs = await applyMigrations(migrations, { session, io, rollbackOnFailure: task.rollback_on_failure, hide });
    } else {
      outputs = await runStatements(session, task, sql!, io, where, hide);
    }
    // A statement the cancel interrupted may still end "successfully" (MySQL's SLEEP returns 1): it was stopped all the same.
    if (signal.aborted) throw abortedError(signal, `the SQL on ${where}`);
    return { outputs };
  } catch (err) {
    if (signal.aborted) throw abortedError(signal, `the SQL on ${where}`);
    if (err instanceof ExecutorError) throw err;
    // BEGIN, COMMIT, a lock or baton's own statements: the database's words, as for any statement.
    const cause = err instanceof StatementError ? err.cause : err;
    const failure = statementFailure(cause, undefined, hide);
    throw new ExecutorError(failure.code, `${where}: ${failure.message}`, { retryable: failure.retryable, cause, details: { code: failure.dbCode } });
  } finally {
    signal.removeEventListener('abort', onAbort);
    await session.close().catch(() => undefined);
  }
}

/** The SQL and where it came from (for messages): the query, or the file's text. */
async function sqlOf(task: SqlTask, baseDir: string): Promise<{ text: string; source?: string }> {
  if (task.file === undefined) return { text: task.query ?? '' };
  const file = path.resolve(baseDir, task.file);
  try {
    return { text: await readFile(file, 'utf8'), source: task.file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (err as Error).message;
    throw new ExecutorError('SQL_FILE', `cannot read the SQL file ${task.file} (${file}): ${why}`, { retryable: false, cause: err });
  }
}

/** Connects; a timeout or cancel while connecting ends the wait at once (the connection, if it comes, is closed). */
async function connect(dialect: SqlDialect, connection: string, baseDir: string, io: TaskIO, signal: AbortSignal, where: string, hide: Hide): Promise<SqlSession> {
  const opening = openSession(dialect, { connection, baseDir, label: `baton ${io.runId} ${io.taskKey}` });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedError(signal, `connecting to ${where}`));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([opening, aborted]);
  } catch (err) {
    if (signal.aborted) {
      void opening.then((session) => session.close()).catch(() => undefined);
      throw abortedError(signal, `connecting to ${where}`);
    }
    throw connectError(err, where, hide);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

async function runStatements(session: SqlSession, task: SqlTask, sql: { text: string; source?: string }, io: TaskIO, where: string, hide: Hide): Promise<Record<string, unknown>> {
  const rows = new RowCollector(task.max_rows, (json) => io.stdout(`${json}\n`));
  const started = performance.now();
  let outcome;
  try {
    if (task.params !== undefined) {
      let bound;
      try {
        bound = bindParams(sql.text, session.dialect, task.params);
      } catch (err) {
        if (err instanceof SqlParamsError) throw new ExecutorError('SQL_PARAMS', `${sql.source ?? 'the query'}: ${err.message}`, { retryable: false });
        throw err;
      }
      outcome = await session.statement(bound.text, bound.values, rows);
    } else if (statementStarts(sql.text, session.dialect).length > 1 && transactionControl(sql.text, session.dialect) === undefined) {
      // Several statements: all or none.
      await session.begin();
      try {
        outcome = await session.script(sql.text, rows);
        await session.commit();
      } catch (err) {
        await session.rollback().catch(() => undefined);
        throw err;
      }
    } else {
      outcome = await session.script(sql.text, rows);
    }
  } catch (err) {
    if (!(err instanceof StatementError)) throw err;
    const place = sql.source !== undefined ? `${sql.source}${err.offset === undefined ? '' : `:${lineAt(sql.text, err.offset)}`}` : err.offset === undefined || !sql.text.includes('\n') ? undefined : `line ${lineAt(sql.text, err.offset)} of the query`;
    const failure = statementFailure(err.cause, place, hide);
    throw new ExecutorError(failure.code, `${where}: ${failure.message}`, { retryable: failure.retryable, cause: err.cause, details: { code: failure.dbCode } });
  }
  const ms = Math.round(performance.now() - started);
  const counted = outcome.returnsRows ? `${rows.count} row${rows.count === 1 ? '' : 's'}${rows.truncated ? ` (${rows.rows.length} kept)` : ''}` : `${outcome.affected} row${outcome.affected === 1 ? '' : 's'} changed`;
  io.stderr(`${where}: ${counted} (${ms} ms)\n`);
  return { rows: rows.rows, columns: outcome.columns, row_count: rows.count, truncated: rows.truncated, affected: outcome.affected };
}
