/**
 * A sql task's session on a SQLite file, through better-sqlite3 (loaded on first use).
 * SQLite runs inside baton's process and its calls do not return until done, so a script
 * is run a statement at a time and rows are read in batches, giving the event loop (and
 * a timeout or cancel) a turn between them; one long statement still runs to its end.
 *
 * better-sqlite3 prepares one statement at a time, so a script is split here: at each `;`
 * outside strings and comments (sql-text.ts), taking the shortest piece SQLite accepts
 * as one statement, which keeps a trigger's `BEGIN ... ; ... END` whole.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { firstCode, scanSql } from '../../spec/sql-text.js';
import { DriverMissing } from './driver.js';
import { bindableValue, type RowCollector } from './rows.js';
import { StatementError, type SessionOptions, type SqlSession, type StatementOutcome } from './session.js';

type Driver = typeof BetterSqlite3;
let driver: Driver | undefined;

function loadSqlite(): Driver {
  try {
    driver ??= createRequire(import.meta.url)('better-sqlite3') as Driver;
  } catch (err) {
    throw new DriverMissing('better-sqlite3', 'SQLite', err);
  }
  return driver;
}

/** Rows read between two turns of the event loop. */
const BATCH = 500;
/** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/** The file a SQLite connection string names: `sqlite:PATH`, `sqlite://PATH`, or a bare path; relative to `baseDir`. */
export function sqliteFile(connection: string, baseDir: string): string {
  const bare = connection.trim().replace(/^sqlite3?:(\/\/)?/i, '').replace(/\?.*$/, '');
  return bare === ':memory:' ? bare : path.resolve(baseDir, bare);
}

/**
 * Sessions of this process on each file, one at a time. SQLite waits for another
 * connection's lock by sleeping inside the call, which here would stop the event loop, and
 * with it the session holding the lock (it yields between statements): two tasks of a run
 * on one file would wait on each other until the busy timeout. So they queue here instead;
 * other processes still meet the busy timeout.
 */
const fileQueues = new Map<string, Promise<void>>();

async function takeFile(file: string): Promise<() => void> {
  const before = fileQueues.get(file) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => mine);
  fileQueues.set(file, tail);
  await before;
  return () => {
    release();
    if (fileQueues.get(file) === tail) fileQueues.delete(file);
  };
}

export async function openSqlite(options: SessionOptions): Promise<SqlSession> {
  const Database = loadSqlite();
  const file = sqliteFile(options.connection, options.baseDir);
  const release = file === ':memory:' ? () => undefined : await takeFile(file);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    release();
    throw err;
  }
  let cancelled = false;
  const stopIfCancelled = () => {
    if (cancelled) throw new Error('the statement was cancelled');
  };

  /** `bound`: the values as better-sqlite3 takes them (bindableValue already applied). */
  const runOne = async (statement: BetterSqlite3.Statement, bound: unknown[], rows: RowCollector): Promise<StatementOutcome> => {
    if (!statement.reader) return { affected: statement.run(...bound).changes, columns: [], returnsRows: false };
    const columns = statement.columns().map((c) => c.name);
    rows.reset(columns);
    statement.safeIntegers(true);
    let n = 0;
    for (const row of statement.iterate(...bound) as IterableIterator<Record<string, unknown>>) {
      rows.add(row);
      if (++n % BATCH === 0) {
        await yieldToLoop();
        stopIfCancelled();
      }
    }
    return { affected: 0, columns, returnsRows: true };
  };

  const script = async (text: string, rows: RowCollector): Promise<StatementOutcome> => {
    const ends = [...scanSql(text, 'sqlite').filter((m) => m.kind === 'semicolon').map((m) => m.end), text.length];
    const outcome: StatementOutcome = { affected: 0, columns: [], returnsRows: false };
    rows.reset([]);
    let from = 0;
    for (;;) {
      const start = firstCode(text, from, text.length, 'sqlite');
      if (start === undefined) return outcome;
      const { statement, end } = prepareNext(text, start, ends);
      const done = await runOne(statement, [], rows).catch((err: unknown) => {
        throw new StatementError(err, start);
      });
      outcome.affected += done.affected;
      if (done.returnsRows) {
        outcome.columns = done.columns;
        outcome.returnsRows = true;
      }
      from = end;
      await yieldToLoop();
      stopIfCancelled();
    }
  };

  /** The shortest piece from `start` to one of `ends` that SQLite takes as a whole statement. */
  const prepareNext = (text: string, start: number, ends: number[]): { statement: BetterSqlite3.Statement; end: number } => {
    let first: unknown;
    for (const end of ends) {
      if (end <= start) continue;
      try {
        return { statement: db.prepare(text.slice(start, end)), end };
      } catch (err) {
        first ??= err;
        // A trigger's body holds `;`s: its first pieces are "incomplete input"; anything else is the statement's own error.
        if (!/incomplete input/i.test((err as Error).message)) throw new StatementError(err, start);
      }
    }
    throw new StatementError(first, start);
  };

  const exec = (text: string): Promise<void> => {
    db.exec(text);
    return Promise.resolve();
  };

  return {
    dialect: 'sqlite',
    transactionalDdl: true,
    async statement(text, values, rows) {
      try {
        // better-sqlite3 binds ?NNN by name ("1", "2"...), not by position.
        const numbered = scanSql(text, 'sqlite').some((m) => m.kind === 'question' && m.number !== undefined);
        const converted = values.map((v) => bindableValue(v, true));
        return await runOne(db.prepare(text), numbered ? [Object.fromEntries(converted.map((v, i) => [String(i + 1), v]))] : converted, rows);
      } catch (err) {
        throw err instanceof StatementError ? err : new StatementError(err, 0);
      }
    },
    script,
    // IMMEDIATE takes the write lock now, so two runs migrating one file queue here rather than fail at the first write.
    begin: () => exec('BEGIN IMMEDIATE'),
    commit: () => exec('COMMIT'),
    rollback: () => (db.inTransaction ? exec('ROLLBACK') : Promise.resolve()),
    // The write lock of BEGIN IMMEDIATE is the migrations' lock.
    lockMigrations: () => Promise.resolve(),
    unlockMigrations: () => Promise.resolve(),
    cancel() {
      cancelled = true;
      return Promise.resolve();
    },
    close() {
      try {
        db.close();
      } finally {
        release();
      }
      return Promise.resolve();
    },
  };
}
