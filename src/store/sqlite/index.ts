export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration } from './migrate.js';
