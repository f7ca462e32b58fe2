/**
 * `type: sql` (alias `database`, seed 004's name). What is checked here, before anything
 * runs: that the task says what to run (one of query, file, migrations), that a literal
 * connection names a database baton speaks to, that `query` holds no `${ }` (values are
 * bound as params, never written into SQL), and that named params and the query's
 * `:name`s match. What needs the files or the database is checked when the task runs.
 */
import type { Reporter } from './diagnostics.js';
import type { SqlTask, TaskBase } from './model.js';
import { missing, type LeafContext } from './normalize-leaf.js';
import { bool, has, isMap, num, str } from './raw.js';
import type { RawMap } from './raw.js';
import { namedPlaceholders, scanSql, sqlDialectOf, type SqlDialect } from './sql-text.js';

/** Rows kept in a sql task's outputs when it does not say. */
export const DEFAULT_MAX_ROWS = 1000;

const CONNECTION_FORMS = 'postgres://user@host:5432/db, mysql://user@host:3306/db (or mariadb://), sqlite:path/to/file.db, or a file path ending .db, .sqlite or .sqlite3';

export function sqlTask(base: TaskBase, raw: RawMap, ctx: LeafContext): SqlTask {
  const { rep } = ctx;
  const connection = str(raw, 'connection');
  if (!has(raw, 'connection')) missing(rep, raw, 'a sql task', 'connection', `e.g. connection: "\${ secrets.DATABASE_URL }"; forms: ${CONNECTION_FORMS}`);
  ctx.exprs.template(raw, 'connection');
  const dialect = connection === undefined || connection.includes('${') ? undefined : literalConnection(rep, raw, connection);

  if (has(raw, 'migrations') && has(raw, 'migrations_path')) rep.error('SPEC_CONFLICT', 'give either `migrations` or `migrations_path` (its alias), not both', rep.key(raw, 'migrations_path'));
  const migrationsKey = has(raw, 'migrations') ? 'migrations' : has(raw, 'migrations_path') ? 'migrations_path' : undefined;
  const given = ['query', 'file', migrationsKey].filter((key): key is string => key !== undefined && has(raw, key));
  if (given.length === 0) missing(rep, raw, 'a sql task', 'query', 'give `query:` (SQL), `file:` (a .sql file) or `migrations:` (a folder of numbered .sql files)');
  if (given.length > 1) rep.error('SPEC_CONFLICT', `give one of \`query\`, \`file\` and \`migrations\`, not ${given.map((k) => `\`${k}\``).join(' and ')}`, rep.key(raw, given[1]), 'a task runs one of them: make another task for the other');

  const task: SqlTask = { ...base, type: 'sql', connection: connection ?? '', rollback_on_failure: bool(raw, 'rollback_on_failure') ?? true, max_rows: num(raw, 'max_rows') ?? DEFAULT_MAX_ROWS };
  const query = str(raw, 'query');
  if (query !== undefined) {
    task.query = query;
    checkQuery(rep, raw, query);
  }
  for (const key of ['file', migrationsKey] as const) {
    if (key === undefined) continue;
    const value = str(raw, key);
    if (value === undefined) continue;
    if (value.trim() === '') rep.error('SPEC_INVALID_VALUE', `\`${key}\` is empty`, rep.value(raw, key), key === 'file' ? 'name a .sql file, relative to the workflow file' : 'name a folder of .sql files, relative to the workflow file');
    ctx.exprs.template(raw, key);
    if (key === 'file') task.file = value;
    else task.migrations = value;
  }

  const params = raw.params;
  if (Array.isArray(params) || isMap(params)) {
    task.params = params;
    ctx.exprs.deep(raw, 'params');
    if (migrationsKey !== undefined) rep.error('SPEC_CONFLICT', 'migrations take no `params`: each file runs as written', rep.key(raw, 'params'));
    if (query !== undefined && !query.includes('${')) checkParams(rep, raw, query, params, dialect ?? 'postgres');
  } else if (query !== undefined && !query.includes('${')) {
    const mark = scanSql(query, dialect ?? 'postgres').find((m) => m.kind !== 'semicolon');
    if (mark !== undefined) {
      const hint = mark.kind === 'named' ? `add params: {${mark.name}: value}` : 'add params: [value, ...], one per placeholder';
      rep.error('SPEC_SQL_PARAM', `the query has the placeholder ${query.slice(mark.start, mark.end)}, and the task has no \`params\``, rep.index.charLoc(raw, 'query', mark.start), hint);
    }
  }
  if (has(raw, 'rollback_on_failure') && migrationsKey === undefined) {
    rep.error('SPEC_CONFLICT', '`rollback_on_failure` is for `migrations`', rep.key(raw, 'rollback_on_failure'), 'a query or a file of several statements always runs in one transaction, rolled back when a statement fails');
  }
  const maxRows = num(raw, 'max_rows');
  if (maxRows !== undefined && (!Number.isInteger(maxRows) || maxRows < 0)) rep.error('SPEC_INVALID_VALUE', '`max_rows` is a whole number, 0 or more', rep.value(raw, 'max_rows'));
  return task;
}

/** A connection written in the file: a database baton knows, and no password in clear. */
function literalConnection(rep: Reporter, raw: RawMap, connection: string): SqlDialect | undefined {
  const dialect = sqlDialectOf(connection);
  if (dialect === undefined) {
    rep.error('SPEC_INVALID_VALUE', 'cannot tell which database `connection` is for', rep.value(raw, 'connection'), `write one of: ${CONNECTION_FORMS}`);
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@?#]*:[^@/?#]+@/.test(connection) || /[?&](password|pass|pwd)=[^&#]/i.test(connection)) {
    rep.warning('SPEC_SQL_PASSWORD', 'the connection holds a password written in the file', rep.value(raw, 'connection'), 'keep it out of the file: connection: "${ secrets.DATABASE_URL }" with DATABASE_URL in `secrets:` (masked in logs)');
  }
  return dialect;
}

/** `${ }` in SQL would write data into it: values go through params. */
function checkQuery(rep: Reporter, raw: RawMap, query: string): void {
  if (query.trim() === '') rep.error('SPEC_INVALID_VALUE', 'the query is empty', rep.value(raw, 'query'));
  const at = query.indexOf('${');
  if (at !== -1) {
    rep.error('SPEC_SQL_TEMPLATE', 'a query is sent as written: `${ }` would put data into SQL, where it could become SQL', rep.index.charLoc(raw, 'query', at), 'bind the value instead: `... WHERE id = :id` with `params: {id: "${ inputs.id }"}`');
  }
}

/** Named params and the query's `:name`s, both ways; a list against `:name`s. */
function checkParams(rep: Reporter, raw: RawMap, query: string, params: unknown[] | RawMap, dialect: SqlDialect): void {
  const named = namedPlaceholders(query, dialect);
  if (Array.isArray(params)) {
    if (named.length > 0) rep.error('SPEC_SQL_PARAM', `the query uses :${named[0].name}, a named placeholder, and params is a list`, rep.index.charLoc(raw, 'query', named[0].start), `give params as a mapping: {${named[0].name}: value}`);
    return;
  }
  const positional = scanSql(query, dialect).find((m) => m.kind === 'dollar' || m.kind === 'question');
  if (positional !== undefined && named.length === 0) {
    rep.error('SPEC_SQL_PARAM', `the query uses ${query.slice(positional.start, positional.end)}, a positional placeholder, and params is a mapping`, rep.index.charLoc(raw, 'query', positional.start), 'write :name placeholders, or give params as a list');
    return;
  }
  const used = new Set<string>();
  for (const mark of named) {
    used.add(mark.name!);
    if (!Object.hasOwn(params, mark.name!)) {
      rep.error('SPEC_SQL_PARAM', `params has no value for :${mark.name}`, rep.index.charLoc(raw, 'query', mark.start), `add it: params: {${mark.name}: ...}${Object.keys(params).length > 0 ? ` (params has ${Object.keys(params).join(', ')})` : ''}`);
    }
  }
  for (const name of Object.keys(params)) {
    if (!used.has(name)) rep.error('SPEC_SQL_PARAM', `params has '${name}', which the query does not use`, rep.key(params, name), used.size > 0 ? `the query uses ${[...used].map((n) => `:${n}`).join(', ')}` : 'write :name in the query where the value goes');
  }
}
