/**
 * The file fields of the sql task type (alias `database`), spread into the one task schema
 * of schema.ts. normalize-sql.ts checks what a schema cannot say (which fields go together,
 * a query's placeholders against its params).
 */
import { z } from 'zod';
import { bool, expected, str } from './schema-kit.js';

export const sqlFields = {
  connection: str('SQL: the database: postgres://user@host:5432/db, mysql:// or mariadb://user@host:3306/db, sqlite:path/file.db, or a file path ending .db/.sqlite/.sqlite3 (relative to the workflow file). Usually a template: "${ secrets.DATABASE_URL }". Its password is never shown.'),
  query: str('SQL: the SQL to run, sent as written (no ${ } templates: bind values with params). One statement with params; without params, several separated by ;, run in one transaction.'),
  file: str('SQL: a .sql file holding the SQL (as `query`), relative to the workflow file. May use ${ } templates.'),
  migrations: str('SQL: a folder of numbered .sql files (0001_init.sql, ...), relative to the workflow file, applied in name order; each applied once, recorded in the table baton_migrations. May use ${ } templates.'),
  migrations_path: str('SQL: alias of migrations (the seed\'s name).'),
  params: z
    .union([z.array(z.unknown()), z.record(z.string(), z.unknown())], expected('expected a list of values ($1 / ?) or a mapping of name: value (:name)'))
    .describe('SQL: values bound to the query\'s placeholders by the database driver, never written into the SQL: a list for $1, $2 (PostgreSQL) or ? (MySQL, SQLite), or name: value for :name. Strings may use ${ } templates.'),
  rollback_on_failure: bool('SQL migrations: when one fails, roll back every migration this attempt applied (true), or only the failing one (false). Default true. MySQL commits DDL (CREATE, ALTER, DROP) at once, whatever this says.'),
  max_rows: z.number(expected('expected a whole number')).int({ error: 'expected a whole number' }).min(0, { error: 'must be 0 or more' }).describe('SQL: rows kept in the outputs; the rest are counted (row_count) and `truncated` is true. Default 1000, and at most about 1 MB of rows.'),
};
