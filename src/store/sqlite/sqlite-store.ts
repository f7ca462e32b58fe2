/**
 * The embedded store: runs in one SQLite file (WAL, so readers such as `baton status` never
 * block the process driving a run), task output as files next to it.
 *
 * Opening checks before it changes anything: a file that is not a database, or whose schema
 * is newer than this baton knows, is reported and left exactly as it was.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StoreError, fileError, readOnly } from '../errors.js';
import { FileLogStore } from '../logs/file-log-store.js';
import type { Store } from '../store.js';
import { loadDriver, type Database } from './driver.js';
import { migrate, SCHEMA_VERSION, schemaVersion } from './migrate.js';
import { schemaTooNew, sqliteError } from './sqlite-errors.js';
import { SqliteRunStore } from './sqlite-run-store.js';
import { SqlitePoolStore } from './sqlite-pool-store.js';
import { SqliteTriggerStore } from './sqlite-trigger-store.js';
import { SqliteAccessStore } from './sqlite-access-store.js';
import { SqliteCircuitStore } from './sqlite-circuit-store.js';
import { SqliteRunFeed } from './sqlite-run-feed.js';

export interface SqliteStoreOptions {
  /** Where task output is kept; default `<folder of the file>/logs`. */
  logsDir?: string;
  /** Only read: nothing is created, migrated or written (writes fail with STORE_READONLY); default false. */
  readonly?: boolean;
}

/** How long a statement waits for another process's write lock before STORE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** Pages in the write-ahead log before it is copied back into the database file. */
const CHECKPOINT_PAGES = 10_000;

/** Opens (creating it and its folder if needed) the SQLite store in `file`. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const location = path.resolve(file);
  const logsDir = path.resolve(options.logsDir ?? path.join(path.dirname(location), 'logs'));
  const db = openDatabase(location, options.readonly === true);
  let runs: SqliteRunStore;
  try {
    runs = new SqliteRunStore(db, location);
  } catch (err) {
    db.close();
    throw sqliteError(err, location);
  }
  const logs = new FileLogStore(logsDir, { readonly: db.readonly });
  return {
    location,
    runs,
    logs,
    pools: new SqlitePoolStore(db, location),
    triggers: new SqliteTriggerStore(db, location),
    timers: runs.timers,
    work: runs.work,
    outbox: runs.outbox,
    feed: new SqliteRunFeed(db, location),
    access: new SqliteAccessStore(db, location),
    circuits: new SqliteCircuitStore(db, location),
    async close() {
      try {
        await logs.close();
      } finally {
        await runs.close();
      }
    },
  };
}

/** Opens the database, checks what it is and brings its schema up to date. */
function openDatabase(file: string, readonly: boolean): Database {
  const Driver = loadDriver();
  if (readonly && !existsSync(file)) {
    throw new StoreError('STORE_NOT_FOUND', `no baton store at ${file}: run a workflow first, or point --store / BATON_STORE at one`, {
      details: { file },
    });
  }
  if (!readonly) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      throw fileError(err, path.dirname(file));
    }
  }
  let db: Database | undefined;
  try {
    db = new Driver(file, { readonly, timeout: BUSY_TIMEOUT_MS });
    let version: number;
    try {
      version = schemaVersion(db);
    } catch (err) {
      // A WAL database in a folder this process cannot write (its -shm file cannot be
      // created) opens only as immutable: readable, never written.
      const code = (err as { code?: string }).code ?? '';
      const fallback = code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') ? openImmutable(Driver, file) : undefined;
      if (!fallback) throw err;
      db.close();
      db = fallback;
      version = schemaVersion(db);
    }
    if (version > SCHEMA_VERSION) throw schemaTooNew(file, version, SCHEMA_VERSION);
    if (!db.readonly) {
      useWal(db);
      // Commits write the log without syncing it; checkpoints sync. SQLite's default
      // checkpoint every 1,000 pages made those syncs a third of the cost of a
      // one-completion append; every 10,000 (a write-ahead log of up to ~40 MB) they are noise.
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${CHECKPOINT_PAGES * 4096 * 2}`);
    }
    if (version < SCHEMA_VERSION) {
      if (db.readonly) throw readOnly(file);
      migrate(db);
    }
    return db;
  } catch (err) {
    db?.close();
    throw sqliteError(err, file);
  }
}

/**
 * The file opened read-only and immutable, when that shows everything recorded: there is
 * no write-ahead log beside it holding commits not yet in the file.
 */
function openImmutable(Driver: ReturnType<typeof loadDriver>, file: string): Database | undefined {
  if (!existsSync(file) || walSize(file) > 0) return undefined;
  try {
    return new Driver(`${pathToFileURL(file).href}?immutable=1`, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
}

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Puts the file in WAL mode (a setting kept in the file). Switching takes the file's
 * exclusive lock, and SQLite answers SQLITE_BUSY at once rather than waiting when another
 * process holds it: so when several processes open a new file together (two `baton run`
 * in a fresh project) the switch is tried again until one of them has made it.
 */
function useWal(db: Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) === 'wal') return;
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(PAUSE, 0, 0, 10);
    }
  }
}

/** Something to wait on synchronously (a store opens synchronously). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
