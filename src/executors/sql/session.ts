/**
 * One connection to the database of a sql task, whichever it is: what run.ts and
 * migrations.ts need, and nothing more. Each database's driver is loaded the first time a
 * task needs it (postgres.ts, mysql.ts, sqlite.ts), so other tasks and commands never pay
 * for it.
 */
import type { SqlDialect } from '../../spec/sql-text.js';
import type { RowCollector } from './rows.js';

/** What one statement (or the last of a script) did. */
export interface StatementOutcome {
  /** Rows changed by INSERT, UPDATE, DELETE (summed over a script's statements). */
  affected: number;
  /** The columns of the statement's rows; empty when it returns none (an UPDATE). */
  columns: string[];
  /** Whether it returned a result set (a SELECT, ... RETURNING), even an empty one. */
  returnsRows: boolean;
}

/** A statement the database refused, with where in the text it stands when the database says. */
export class StatementError extends Error {
  constructor(
    cause: unknown,
    /** Offset in the text sent of what failed: the position the database gave, else the start of the failing statement; undefined when unknown. */
    readonly offset: number | undefined,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export interface SqlSession {
  readonly dialect: SqlDialect;
  /** Whether CREATE, ALTER and DROP roll back with a transaction (not on MySQL, which commits them at once). */
  readonly transactionalDdl: boolean;
  /** One statement with values bound by the driver; its rows go to `rows`. Rejects with StatementError. */
  statement(text: string, values: unknown[], rows: RowCollector): Promise<StatementOutcome>;
  /** Statements separated by `;`, no values; the last result set's rows go to `rows`. Rejects with StatementError. */
  script(text: string, rows: RowCollector): Promise<StatementOutcome>;
  /** BEGIN (on SQLite IMMEDIATE: it takes the write lock at once), COMMIT, ROLLBACK. */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Holds the database's lock for migrations (so two runs never apply the same one), until `unlock`. */
  lockMigrations(): Promise<void>;
  unlockMigrations(): Promise<void>;
  /** Stops the statement running now (a timeout or a cancel), on the server too. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The connection string, after templates; for SQLite, the file's path is resolved against baseDir. */
  connection: string;
  baseDir: string;
  /** Shown in the database's list of sessions (PostgreSQL's application_name). */
  label: string;
}

/** Connects, loading the database's driver on first use. Rejects with the driver's error. */
export async function openSession(dialect: SqlDialect, options: SessionOptions): Promise<SqlSession> {
  switch (dialect) {
    case 'postgres':
      return (await import('./postgres.js')).openPostgres(options);
    case 'mysql':
      return (await import('./mysql.js')).openMysql(options);
    case 'sqlite':
      return (await import('./sqlite.js')).openSqlite(options);
  }
}
