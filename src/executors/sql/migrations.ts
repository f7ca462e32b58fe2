/**
 * A folder of migrations: `.sql` files applied in name order (numbers compared as numbers:
 * 2_x before 10_x), each once. Applied ones are recorded in the table baton_migrations
 * (name, checksum, when, by which run and task), so a second run applies only new files.
 *
 * With rollback_on_failure (the default), every migration of the attempt runs in one
 * transaction: one that fails undoes them all, and the database is as it was. Without it,
 * each runs in its own transaction: those before the failing one stay applied. MySQL
 * commits DDL at once whatever baton asks, so there each migration is committed as it
 * ends, and a failed one may leave its DDL behind: the result and the error say so.
 *
 * A session-wide lock (PostgreSQL's advisory lock, MySQL's GET_LOCK, SQLite's write lock)
 * keeps two runs from applying the same migration; the applied list is read again inside
 * each transaction, so what another run applied meanwhile is skipped, not applied twice.
 * An applied migration whose file has changed since stops everything before it starts.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { lineAt, transactionControl, type SqlDialect } from '../../spec/sql-text.js';
import { ExecutorError } from '../errors.js';
import type { TaskIO } from '../types.js';
import { statementFailure, type Hide } from './errors.js';
import { RowCollector, type Row } from './rows.js';
import { StatementError, type SqlSession } from './session.js';

export const MIGRATIONS_TABLE = 'baton_migrations';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  name VARCHAR(255) NOT NULL PRIMARY KEY,
  checksum VARCHAR(64) NOT NULL,
  applied_at VARCHAR(32) NOT NULL,
  run_id VARCHAR(64),
  task VARCHAR(255)
)`;

const PLACEHOLDERS: Record<SqlDialect, (n: number) => string> = { postgres: (n) => `$${n}`, mysql: () => '?', sqlite: (n) => `?${n}` };

export interface Migration {
  name: string;
  /** As the task wrote it, joined with the name: what messages show (`migrations/0002_users.sql`). */
  shown: string;
  text: string;
  /** SHA-256 of the text with line ends made \n, so a checkout with CRLF line ends is the same migration. */
  checksum: string;
}

/** The folder's migrations in order; `*.down.sql` files are not migrations baton applies. */
export async function readMigrations(folder: string, written: string): Promise<Migration[]> {
  let names: string[];
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && e.name.endsWith('.sql') && !e.name.endsWith('.down.sql') && !e.name.startsWith('.')).map((e) => e.name);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not a folder' : (err as Error).message;
    throw new ExecutorError('SQL_FILE', `cannot read the migrations folder ${written} (${folder}): ${why}`, { retryable: false, cause: err });
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return Promise.all(
    names.map(async (name) => {
      const shown = path.posix.join(written.replaceAll('\\', '/'), name);
      let text: string;
      try {
        text = await readFile(path.join(folder, name), 'utf8');
      } catch (err) {
        throw new ExecutorError('SQL_FILE', `cannot read the migration ${shown}: ${(err as Error).message}`, { retryable: false, cause: err });
      }
      return { name, shown, text, checksum: createHash('sha256').update(text.replaceAll('\r\n', '\n')).digest('hex') };
    }),
  );
}

export interface MigrationContext {
  session: SqlSession;
  io: Pick<TaskIO, 'runId' | 'taskKey' | 'stderr'>;
  rollbackOnFailure: boolean;
  hide: Hide;
}

interface Applied {
  checksum: string;
  applied_at: string;
  run_id: string | null;
}

export async function applyMigrations(migrations: Migration[], ctx: MigrationContext): Promise<Record<string, unknown>> {
  const { session, io } = ctx;
  for (const migration of migrations) {
    const own = transactionControl(migration.text, session.dialect);
    if (own !== undefined) {
      throw new ExecutorError('SQL_MIGRATION', `${migration.shown}:${lineAt(migration.text, own.offset)} has ${own.keyword}: baton applies each migration inside its own transaction, which the file must not begin or end; remove it`, { retryable: false });
    }
  }
  // Migrations all in one transaction only where the database can roll DDL back.
  const together = ctx.rollbackOnFailure && session.transactionalDdl;
  const applied: string[] = [];
  let before = 0;
  await session.lockMigrations();
  try {
    await session.script(CREATE_TABLE, new RowCollector(0));
    if (together) await session.begin();
    try {
      const recorded = await readApplied(session);
      checkUnchanged(migrations, recorded);
      before = migrations.filter((m) => recorded.has(m.name)).length;
      for (const migration of migrations) {
        if (recorded.has(migration.name)) continue;
        if (!together && !(await applyAlone(migration, ctx))) continue;
        if (together) await applyOne(migration, ctx);
        applied.push(migration.name);
      }
      if (together) await session.commit();
    } catch (err) {
      if (together) await session.rollback().catch(() => undefined);
      if (err instanceof MigrationFailed) throw failure(err, together ? [] : applied, together ? applied : [], ctx);
      throw err;
    }
  } finally {
    await session.unlockMigrations().catch(() => undefined);
  }
  io.stderr(applied.length === 0 ? `nothing to apply: ${before} migration${before === 1 ? '' : 's'} applied before\n` : `applied ${applied.length} migration${applied.length === 1 ? '' : 's'}; ${before} applied before\n`);
  return { applied, already_applied: before, transactional: session.transactionalDdl, table: MIGRATIONS_TABLE };
}

class MigrationFailed extends Error {
  constructor(
    readonly migration: Migration,
    readonly statement: StatementError,
  ) {
    super(statement.message, { cause: statement });
  }
}

/** Runs a migration and records it; inside the caller's transaction. */
async function applyOne(migration: Migration, ctx: MigrationContext): Promise<void> {
  const started = performance.now();
  try {
    await ctx.session.script(migration.text, new RowCollector(0));
  } catch (err) {
    if (err instanceof StatementError) throw new MigrationFailed(migration, err);
    throw err;
  }
  await record(migration, ctx);
  ctx.io.stderr(`applied ${migration.shown} (${Math.round(performance.now() - started)} ms)\n`);
}

/** A migration in a transaction of its own; false when another run applied it meanwhile. */
async function applyAlone(migration: Migration, ctx: MigrationContext): Promise<boolean> {
  const { session } = ctx;
  await session.begin();
  try {
    if ((await readApplied(session)).has(migration.name)) {
      await session.commit();
      return false;
    }
    await applyOne(migration, ctx);
    await session.commit();
    return true;
  } catch (err) {
    await session.rollback().catch(() => undefined);
    throw err;
  }
}

async function record(migration: Migration, ctx: MigrationContext): Promise<void> {
  const p = PLACEHOLDERS[ctx.session.dialect];
  const sql = `INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, applied_at, run_id, task) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})`;
  await ctx.session.statement(sql, [migration.name, migration.checksum, new Date().toISOString(), ctx.io.runId, ctx.io.taskKey], new RowCollector(0));
}

async function readApplied(session: SqlSession): Promise<Map<string, Applied>> {
  const rows = new RowCollector(Number.MAX_SAFE_INTEGER, undefined, Number.MAX_SAFE_INTEGER);
  await session.statement(`SELECT name, checksum, applied_at, run_id FROM ${MIGRATIONS_TABLE}`, [], rows);
  return new Map(rows.rows.map((row: Row) => [String(row.name), { checksum: String(row.checksum), applied_at: String(row.applied_at), run_id: row.run_id === null ? null : String(row.run_id) }]));
}

function checkUnchanged(migrations: Migration[], recorded: Map<string, Applied>): void {
  for (const migration of migrations) {
    const applied = recorded.get(migration.name);
    if (applied === undefined || applied.checksum === migration.checksum) continue;
    throw new ExecutorError(
      'SQL_MIGRATION_CHANGED',
      `${migration.shown} was applied on ${applied.applied_at}${applied.run_id ? ` by run ${applied.run_id}` : ''} and has been edited since: a migration is not changed once applied. Undo the edit and put the change in a new migration; or, if the database already matches the file, record it: UPDATE ${MIGRATIONS_TABLE} SET checksum = '${migration.checksum}' WHERE name = '${migration.name}'`,
      { retryable: false, details: { migration: migration.shown, recorded: applied.checksum, file: migration.checksum } },
    );
  }
}

/** The error of a failed migration: where, the database's words, and what was undone and what stays. */
function failure(err: MigrationFailed, stays: string[], undone: string[], ctx: MigrationContext): ExecutorError {
  const { migration, statement } = err;
  const place = statement.offset === undefined ? migration.shown : `${migration.shown}:${lineAt(migration.text, statement.offset)}`;
  const said = statementFailure(statement.cause, place, ctx.hide);
  const list = (names: string[]) => names.join(', ');
  let after: string;
  if (!ctx.session.transactionalDdl) {
    after = `MySQL commits CREATE, ALTER and DROP at once, so any of them in ${migration.name} before the failure took effect and stay; its other changes were rolled back${stays.length > 0 ? `; ${list(stays)} stay applied` : ''}`;
  } else if (undone.length > 0 || ctx.rollbackOnFailure) {
    after = `rolled back: the database is as it was before this attempt${undone.length > 0 ? ` (${list(undone)} undone too)` : ''}`;
  } else {
    after = `${migration.name} was rolled back${stays.length > 0 ? `; ${list(stays)} stay applied` : ''}`;
  }
  return new ExecutorError('SQL_MIGRATION', `migration ${migration.name} failed: ${said.message}; ${after}`, {
    retryable: false,
    cause: statement.cause,
    details: { migration: migration.shown, applied: stays, code: said.dbCode },
  });
}
