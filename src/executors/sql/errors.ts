/**
 * What a sql task's failures say: which database (its connection with the password
 * hidden), what went wrong in the database's own words with its code, where in the SQL
 * (file:line) when that is known, and whether trying again could help. No message
 * carries the connection's password: the text of every driver error passes through
 * `hide` first.
 */
import type { SqlDialect } from '../../spec/sql-text.js';
import { ExecutorError } from '../errors.js';
import { DriverMissing } from './driver.js';

export type SqlErrorCode =
  /** The connection (after templates) names no database baton speaks to. Not retryable. */
  | 'SQL_CONNECTION'
  /** The database cannot be reached (retryable), refused the login or has no such database (not retryable), or the connection was lost (retryable). */
  | 'SQL_CONNECT'
  /** The database refused a statement. Retryable for a deadlock, a serialization failure or a lock timeout only. */
  | 'SQL_QUERY'
  /** params do not fit the SQL's placeholders. Not retryable. */
  | 'SQL_PARAMS'
  /** The .sql file or the migrations folder cannot be read. Not retryable. */
  | 'SQL_FILE'
  /** A migration failed (and what was rolled back says so). Not retryable. */
  | 'SQL_MIGRATION'
  /** A migration applied before has been edited since. Not retryable. */
  | 'SQL_MIGRATION_CHANGED'
  /** The database's driver package cannot be loaded. Not retryable. */
  | 'SQL_DRIVER';

export const DATABASE_NAMES: Record<SqlDialect, string> = { postgres: 'PostgreSQL', mysql: 'MySQL', sqlite: 'SQLite' };

/** Replaces each secret in a message by ***. */
export type Hide = (text: string) => string;

export function hider(secrets: string[]): Hide {
  const values = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => values.reduce((out, value) => out.split(value).join('***'), text);
}

/** The driver's code of an error: PostgreSQL's SQLSTATE, MySQL's name (ER_...), SQLite's (SQLITE_...), or a system one (ECONNREFUSED). */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // AggregateError (a host with several addresses) says nothing itself: its parts do.
  if (text === '' && err instanceof AggregateError) return err.errors.map(messageOf).join('; ');
  return text;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', '57P03', '53300']);
const LOGIN = new Set(['28P01', '28000', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE']);
const NO_DATABASE = new Set(['3D000', 'ER_BAD_DB_ERROR']);

/** Why connecting failed. `where` names the database: `PostgreSQL at postgres://app:***@db:5432/prod`. */
export function connectError(err: unknown, where: string, hide: Hide): ExecutorError {
  if (err instanceof DriverMissing) return new ExecutorError('SQL_DRIVER', err.message, { retryable: false, cause: err });
  const code = codeOf(err);
  const said = hide(messageOf(err)) || code || 'no reason given';
  const details = { where, code };
  if (code !== undefined && LOGIN.has(code)) {
    return new ExecutorError('SQL_CONNECT', `${where} refused the login: ${said}: check the user and password of the connection`, { retryable: false, cause: err, details });
  }
  if (code !== undefined && NO_DATABASE.has(code)) {
    return new ExecutorError('SQL_CONNECT', `${where} has no such database: ${said}: create it, or fix the database name in the connection`, { retryable: false, cause: err, details });
  }
  if (/directory does not exist|unable to open database|SQLITE_CANTOPEN|SQLITE_NOTADB|file is not a database/i.test(`${code ?? ''} ${said}`)) {
    return new ExecutorError('SQL_CONNECT', `cannot open ${where}: ${said}: check the path (relative to the workflow file's folder) and that its folder exists`, { retryable: false, cause: err, details });
  }
  const unreachable = code !== undefined ? UNREACHABLE.has(code) : /timeout|terminated|closed|refused/i.test(said);
  const hint = unreachable ? ': check that the server is running and the host and port are right' : '';
  return new ExecutorError('SQL_CONNECT', `cannot connect to ${where}: ${said}${hint}`, { retryable: unreachable, cause: err, details });
}

/** Whether a statement's failure could pass if tried again: deadlocks, serialization failures, locks, a lost connection. */
function transient(code: string | undefined, message: string): boolean {
  if (code === undefined) return /Connection terminated|connection lost/i.test(message);
  return ['40001', '40P01', '55P03', '57P01', '57P02', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'PROTOCOL_CONNECTION_LOST', 'ECONNRESET'].includes(code) || code.startsWith('08') || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

export interface StatementFailure {
  code: SqlErrorCode;
  message: string;
  retryable: boolean;
  /** The database's own code. */
  dbCode?: string;
}

/** A statement the database refused: `<message> (<code>) at <place>`, plus PostgreSQL's detail and hint. */
export function statementFailure(err: unknown, place: string | undefined, hide: Hide): StatementFailure {
  const code = codeOf(err);
  const said = hide(messageOf(err));
  const lost = code !== undefined && (UNREACHABLE.has(code) || code.startsWith('08')) || /Connection terminated/i.test(said);
  const extra = ['detail', 'hint', 'where']
    .map((key) => (err as Record<string, unknown> | null)?.[key])
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => hide(v.split('\n')[0]));
  const message = `${lost ? 'lost the connection: ' : ''}${said}${code !== undefined && !said.includes(code) ? ` (${code})` : ''}${place !== undefined ? ` at ${place}` : ''}${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`;
  const failure: StatementFailure = { code: lost ? 'SQL_CONNECT' : 'SQL_QUERY', message, retryable: transient(code, said) || lost };
  if (code !== undefined) failure.dbCode = code;
  return failure;
}
