export { openPostgresStore, type PgStoreOptions } from './pg-store.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, migratePg } from './migrate.js';
