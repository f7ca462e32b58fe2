import { StoreError } from './errors.js';
import { createMemoryStore } from './memory/memory-store.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

/**
 * Opens the store a location names: `memory`, a PostgreSQL URL (not built yet), or the
 * path of a SQLite file (`sqlite:` in front is allowed), created with its folder if needed.
 */
export function openStore(location: string): Store {
  if (location === 'memory') return createMemoryStore();
  if (/^postgres(ql)?:\/\//i.test(location)) {
    throw new StoreError(
      'STORE_UNSUPPORTED',
      'PostgreSQL stores are not built yet: use a SQLite file path (e.g. .baton/baton.db) or `memory`',
      { details: { location: location.replace(/\/\/[^@/]*@/, '//***@') } },
    );
  }
  return openSqliteStore(location.replace(/^sqlite:(\/\/)?/i, ''));
}
