import { createMemoryStore } from './memory/memory-store.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

/** A PostgreSQL store's location: `postgres://` or `postgresql://`. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the store a location names: `memory`, a PostgreSQL URL (the connection and the
 * schema's migration happen at first use), or the path of a SQLite file (`sqlite:` in
 * front is allowed), created with its folder if needed.
 */
export function openStore(location: string): Store {
  if (location === 'memory') return createMemoryStore();
  if (isPostgresUrl(location)) return openPostgresStore(location);
  return openSqliteStore(location.replace(/^sqlite:(\/\/)?/i, ''));
}
