/**
 * better-sqlite3, loaded on first use (it is native code, and commands that never open a
 * store should not pay for it). The CLI bundle keeps it external, so it is required from
 * node_modules at run time.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../errors.js';

export type Database = BetterSqlite3.Database;
type Driver = typeof BetterSqlite3;

let driver: Driver | undefined;

export function loadDriver(): Driver {
  if (driver) return driver;
  let loaded: Driver;
  try {
    loaded = createRequire(import.meta.url)('better-sqlite3') as Driver;
  } catch (err) {
    throw new StoreError('STORE_DRIVER', 'cannot load better-sqlite3, which SQLite stores need: reinstall baton (`npm install`) or use --store memory', {
      cause: err,
    });
  }
  // URI file names let a store in a read-only folder be opened `immutable`. The native
  // addon reads this variable once, when the first database opens.
  const before = process.env.SQLITE_USE_URI;
  process.env.SQLITE_USE_URI = '1';
  try {
    new loaded(':memory:').close();
  } finally {
    if (before === undefined) delete process.env.SQLITE_USE_URI;
    else process.env.SQLITE_USE_URI = before;
  }
  driver = loaded;
  return loaded;
}
