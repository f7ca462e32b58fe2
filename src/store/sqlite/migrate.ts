/**
 * Schema migrations: numbered .sql files, applied in order, each in its own transaction,
 * the file's version then kept in `PRAGMA user_version`. Safe when two processes open a
 * new file at once: a migration takes the write lock first (BEGIN IMMEDIATE) and looks at
 * the version again, so the second process finds it done. Files are append-only: a shipped
 * migration is never edited, a change is a new file.
 */
import type { Database } from './driver.js';
import init from './migrations/001_init.sql';
import activeTime from './migrations/002_active_time.sql';
import resources from './migrations/003_resources.sql';
import queues from './migrations/004_queues.sql';
import triggers from './migrations/005_triggers.sql';
import timers from './migrations/006_timers.sql';
import access from './migrations/007_access.sql';
import namespaces from './migrations/008_namespaces.sql';
import auditByAction from './migrations/009_audit_by_action.sql';
import leases from './migrations/010_leases.sql';
import work from './migrations/011_work.sql';
import idempotency from './migrations/012_idempotency.sql';
import circuits from './migrations/013_circuits.sql';
import cancelCompensate from './migrations/014_cancel_compensate.sql';
import progress from './migrations/015_progress.sql';
import outbox from './migrations/016_outbox.sql';
import metrics from './migrations/017_metrics.sql';
import runTrigger from './migrations/018_run_trigger.sql';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '001_init', sql: init },
  { version: 2, name: '002_active_time', sql: activeTime },
  { version: 3, name: '003_resources', sql: resources },
  { version: 4, name: '004_queues', sql: queues },
  { version: 5, name: '005_triggers', sql: triggers },
  { version: 6, name: '006_timers', sql: timers },
  { version: 7, name: '007_access', sql: access },
  { version: 8, name: '008_namespaces', sql: namespaces },
  { version: 9, name: '009_audit_by_action', sql: auditByAction },
  { version: 10, name: '010_leases', sql: leases },
  { version: 11, name: '011_work', sql: work },
  { version: 12, name: '012_idempotency', sql: idempotency },
  { version: 13, name: '013_circuits', sql: circuits },
  { version: 14, name: '014_cancel_compensate', sql: cancelCompensate },
  { version: 15, name: '015_progress', sql: progress },
  { version: 16, name: '016_outbox', sql: outbox },
  { version: 17, name: '017_metrics', sql: metrics },
  { version: 18, name: '018_run_trigger', sql: runTrigger },
];

/** The schema version this baton writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to `target` (default: the newest). */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    db.transaction(() => {
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
