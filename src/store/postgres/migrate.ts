/**
 * The PostgreSQL schema's migrations: numbered .sql files applied in order, the versions
 * applied kept in `baton_schema`. Several processes may open a new database at once (four
 * workers started together): the whole migration runs in one transaction under an advisory
 * lock keyed by the schema, so one process migrates and the others, once it commits, find
 * the work done. DDL is transactional in PostgreSQL: a migration that fails leaves nothing
 * half-made. Files are append-only: a shipped migration is never edited, a change is a new file.
 */
import { StoreError } from '../errors.js';
import { quoteIdent, type PgDatabase, type Queryable } from './driver.js';
import runs from './migrations/001_runs.sql';
import pools from './migrations/002_pools.sql';
import triggers from './migrations/003_triggers.sql';
import access from './migrations/004_access.sql';
import logs from './migrations/005_logs.sql';
import work from './migrations/006_work.sql';
import idempotency from './migrations/007_idempotency.sql';
import circuits from './migrations/008_circuits.sql';
import cancelCompensate from './migrations/009_cancel_compensate.sql';
import progress from './migrations/010_progress.sql';
import outbox from './migrations/011_outbox.sql';
import metrics from './migrations/012_metrics.sql';
import eventFeed from './migrations/013_event_feed.sql';
import runTrigger from './migrations/014_run_trigger.sql';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: '001_runs', sql: runs },
  { version: 2, name: '002_pools', sql: pools },
  { version: 3, name: '003_triggers', sql: triggers },
  { version: 4, name: '004_access', sql: access },
  { version: 5, name: '005_logs', sql: logs },
  { version: 6, name: '006_work', sql: work },
  { version: 7, name: '007_idempotency', sql: idempotency },
  { version: 8, name: '008_circuits', sql: circuits },
  { version: 9, name: '009_cancel_compensate', sql: cancelCompensate },
  { version: 10, name: '010_progress', sql: progress },
  { version: 11, name: '011_outbox', sql: outbox },
  { version: 12, name: '012_metrics', sql: metrics },
  { version: 13, name: '013_event_feed', sql: eventFeed },
  { version: 14, name: '014_run_trigger', sql: runTrigger },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;

/** Brings the store's schema (created if missing) up to the newest version. */
export async function migratePg(db: PgDatabase): Promise<void> {
  // Fast path: a migrated schema is one query away from being known as such.
  if ((await currentVersion(db)) === PG_SCHEMA_VERSION) return;
  await db.rawTx(async (tx) => {
    // The lock is the schema's: two stores in two schemas of one database migrate side by side.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.migrate.${db.schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db.schema)}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS baton_schema (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const version = await versionIn(tx);
    if (version > PG_SCHEMA_VERSION) throw schemaTooNew(db, version);
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= version) continue;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO baton_schema (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
  });
}

/** The schema's version; 0 before the first migration. */
async function currentVersion(db: PgDatabase): Promise<number> {
  try {
    const version = await versionIn({ query: (sql, params) => db.pool.query(sql, params as unknown[]).then((r) => r.rows) });
    if (version > PG_SCHEMA_VERSION) throw schemaTooNew(db, version);
    return version;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    // No baton_schema yet (42P01), or no schema: the locked path creates them.
    if ((err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '3F000') return 0;
    throw err;
  }
}

async function versionIn(db: Queryable): Promise<number> {
  const rows = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM baton_schema');
  return rows[0]?.version ?? 0;
}

function schemaTooNew(db: PgDatabase, version: number): StoreError {
  return new StoreError(
    'STORE_SCHEMA_TOO_NEW',
    `${db.location} (schema ${db.schema}) was written by a newer baton (schema version ${version}, this one knows up to ${PG_SCHEMA_VERSION}): upgrade baton; nothing was changed`,
    { details: { location: db.location, version, known: PG_SCHEMA_VERSION } },
  );
}
