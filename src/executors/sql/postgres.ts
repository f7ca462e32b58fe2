/**
 * A sql task's session on PostgreSQL, through node-postgres (`pg`, loaded here on first
 * use). Rows are streamed (a `row` listener on the query keeps pg from collecting them);
 * values with params go by the extended protocol, bound by the server; a script without
 * params by the simple protocol, which runs its statements in one implicit transaction.
 * Dates and times come back as PostgreSQL writes them, not converted to the local zone.
 */
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import { statementStarts } from '../../spec/sql-text.js';
import type { RowCollector } from './rows.js';
import { DriverMissing } from './driver.js';
import { StatementError, type SessionOptions, type SqlSession, type StatementOutcome } from './session.js';

type PgModule = typeof Pg;
let driver: PgModule | undefined;

function loadPg(): PgModule {
  try {
    driver ??= createRequire(import.meta.url)('pg') as PgModule;
  } catch (err) {
    throw new DriverMissing('pg', 'PostgreSQL', err);
  }
  return driver;
}

/** date, time, timestamp, timestamptz, timetz: kept as text (a Date would move them to this machine's zone). */
const AS_TEXT = [1082, 1083, 1114, 1184, 1266];
const INT8 = 20;
/** The commands whose row count is rows changed. */
const CHANGES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);
const CONNECT_TIMEOUT_MS = 10_000;

export async function openPostgres(options: SessionOptions): Promise<SqlSession> {
  const pg = loadPg();
  const config: Pg.ClientConfig = { connectionString: options.connection, application_name: options.label.slice(0, 63), connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
  const client = new pg.Client(config);
  for (const oid of AS_TEXT) client.setTypeParser(oid, 'text', (text: string) => text);
  client.setTypeParser(INT8, 'text', (text: string) => (Number.isSafeInteger(Number(text)) ? Number(text) : text));
  // An idle connection that drops emits 'error'; the next statement fails and says so.
  client.on('error', () => undefined);
  await client.connect();

  const run = (text: string, values: unknown[] | undefined, rows: RowCollector): Promise<StatementOutcome> =>
    new Promise((resolve, reject) => {
      const query = new pg.Query(values === undefined ? { text } : { text, values });
      // Counts the statements a script completed, to tell which one failed when the server gives no position.
      let completed = 0;
      const counted = query as unknown as { handleCommandComplete?: (...args: unknown[]) => unknown };
      const complete = counted.handleCommandComplete;
      if (typeof complete === 'function') {
        counted.handleCommandComplete = (...args: unknown[]) => {
          completed++;
          return complete.apply(query, args);
        };
      }
      let current: unknown;
      query.on('row', (row: Record<string, unknown>, result?: Pg.ResultBuilder) => {
        if (result !== current && result !== undefined) {
          current = result;
          rows.reset(result.fields.map((f) => f.name));
        }
        rows.add(row);
      });
      query.on('error', (err: Error) => reject(new StatementError(err, errorOffset(err, text, completed))));
      query.on('end', (ended: Pg.QueryResult | Pg.QueryResult[]) => {
        const results = Array.isArray(ended) ? ended : [ended];
        const affected = results.reduce((sum, r) => sum + (CHANGES.has(r.command) ? (r.rowCount ?? 0) : 0), 0);
        const last = results.findLast((r) => r.fields.length > 0);
        // A last result set with no rows never reached the row listener: it is what is returned.
        if (last !== undefined && last !== current) rows.reset(last.fields.map((f) => f.name));
        resolve({ affected, columns: last?.fields.map((f) => f.name) ?? [], returnsRows: last !== undefined });
      });
      client.query(query);
    });
  const exec = async (text: string): Promise<void> => {
    await client.query(text);
  };

  return {
    dialect: 'postgres',
    transactionalDdl: true,
    statement: (text, values, rows) => run(text, values, rows),
    script: (text, rows) => run(text, undefined, rows),
    begin: () => exec('BEGIN'),
    commit: () => exec('COMMIT'),
    rollback: () => exec('ROLLBACK'),
    // Held by the session, not a transaction: it spans the per-migration transactions of rollback_on_failure: false.
    lockMigrations: () => exec("SELECT pg_advisory_lock(hashtext('baton_migrations'))"),
    unlockMigrations: () => exec("SELECT pg_advisory_unlock(hashtext('baton_migrations'))"),
    async cancel() {
      // A cancel request from a second connection stops the statement on the server; closing ours alone would not.
      const other = new pg.Client(config);
      other.on('error', () => undefined);
      try {
        await other.connect();
        await other.query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID]);
      } finally {
        await other.end().catch(() => undefined);
      }
    },
    close: () => client.end(),
  };
}

/** The server's position (1-based) when it gives one, else the start of the statement that failed. */
function errorOffset(err: unknown, text: string, completed: number): number | undefined {
  const position = Number((err as { position?: unknown }).position);
  if (Number.isInteger(position) && position > 0) return position - 1;
  return statementStarts(text, 'postgres')[completed];
}
