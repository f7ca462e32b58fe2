/**
 * A sql task's session on MySQL or MariaDB, through mysql2 (loaded here on first use).
 * Values with params go as a prepared statement (`execute`: bound by the server, never
 * escaped into the text); a script without params as one multi-statement query. Rows are
 * streamed: without a callback mysql2 hands each row over and keeps none.
 *
 * MySQL commits CREATE, ALTER, DROP and the like at once, inside a transaction or not:
 * `transactionalDdl` is false, and migrations say so in their result.
 */
import { createRequire } from 'node:module';
import type * as MySql from 'mysql2';
import { statementStarts } from '../../spec/sql-text.js';
import { DriverMissing } from './driver.js';
import { bindableValue } from './rows.js';
import type { RowCollector } from './rows.js';
import { StatementError, type SessionOptions, type SqlSession, type StatementOutcome } from './session.js';

type MySqlModule = typeof MySql;
let driver: MySqlModule | undefined;

function loadMysql(): MySqlModule {
  try {
    driver ??= createRequire(import.meta.url)('mysql2') as MySqlModule;
  } catch (err) {
    throw new DriverMissing('mysql2', 'MySQL and MariaDB', err);
  }
  return driver;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** How long a migration waits for another run's migrations to finish, in seconds. */
const LOCK_WAIT_S = 600;

export async function openMysql(options: SessionOptions): Promise<SqlSession> {
  const mysql = loadMysql();
  const config: MySql.ConnectionOptions = {
    uri: options.connection.replace(/^mariadb:/i, 'mysql:'),
    multipleStatements: true,
    // DATETIME and friends as the server writes them: a Date would move them to this machine's zone.
    dateStrings: true,
    // BIGINT as a number while exact, else a string; DECIMAL stays a string (exact).
    supportBigNumbers: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
  const connect = (): Promise<MySql.Connection> =>
    new Promise((resolve, reject) => {
      const connection = mysql.createConnection(config);
      connection.connect((err) => (err ? reject(err) : resolve(connection)));
    });
  const connection = await connect();
  // A connection that drops while idle emits 'error'; the next statement fails and says so.
  connection.on('error', () => undefined);

  const stream = (command: MySql.Query, text: string, rows: RowCollector): Promise<StatementOutcome> =>
    new Promise((resolve, reject) => {
      let begun = 0;
      let affected = 0;
      let columns: string[] = [];
      let returnsRows = false;
      command.on('fields', (fields: MySql.FieldPacket[] | undefined) => {
        begun++;
        if (fields === undefined) return;
        columns = fields.map((f) => f.name);
        returnsRows = true;
        rows.reset(columns);
      });
      command.on('result', (row: Record<string, unknown>) => {
        if (isHeader(row)) affected += Number(row.affectedRows) || 0;
        else rows.add(row);
      });
      command.on('error', (err: Error) => reject(new StatementError(err, errorOffset(err, text, begun))));
      command.on('end', () => resolve({ affected, columns, returnsRows }));
    });
  const exec = (text: string, values?: unknown[]): Promise<unknown[]> =>
    new Promise((resolve, reject) => {
      const done = (err: MySql.QueryError | null, result: unknown) => (err ? reject(err) : resolve(Array.isArray(result) ? result : [result]));
      if (values === undefined) connection.query(text, done);
      else connection.query({ sql: text, values }, done);
    });

  return {
    dialect: 'mysql',
    transactionalDdl: false,
    statement: (text, values, rows) => stream(connection.execute(text, values.map((v) => bindableValue(v, false)) as MySql.ExecuteValues), text, rows),
    script: (text, rows) => stream(connection.query(text), text, rows),
    begin: () => exec('START TRANSACTION').then(() => undefined),
    commit: () => exec('COMMIT').then(() => undefined),
    rollback: () => exec('ROLLBACK').then(() => undefined),
    async lockMigrations() {
      const [row] = (await exec(`SELECT GET_LOCK(CONCAT('baton_migrations:', COALESCE(DATABASE(), '')), ${LOCK_WAIT_S}) AS got`)) as Array<{ got: number | null }>;
      if (row?.got !== 1) throw new Error(`another run held the migrations lock for ${LOCK_WAIT_S} s: its migrations are still running, or it is stuck (SELECT * FROM information_schema.METADATA_LOCK_INFO)`);
    },
    unlockMigrations: () => exec("SELECT RELEASE_LOCK(CONCAT('baton_migrations:', COALESCE(DATABASE(), '')))").then(() => undefined),
    async cancel() {
      // KILL QUERY from a second connection stops the statement on the server; closing ours alone would not.
      const other = await connect();
      try {
        await new Promise<void>((resolve) => other.query(`KILL QUERY ${Number(connection.threadId)}`, () => resolve()));
      } finally {
        other.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        connection.end(() => {
          connection.destroy();
          resolve();
        });
      }),
  };
}

function isHeader(row: object): row is { affectedRows: number } {
  return row.constructor?.name === 'ResultSetHeader' || ('affectedRows' in row && 'fieldCount' in row && 'serverStatus' in row);
}

/**
 * Where the failing statement is: the server numbers lines within a statement ("... at
 * line 3"), so that line counted from the statement's start; without a line, the start.
 */
function errorOffset(err: Error, text: string, begun: number): number | undefined {
  const starts = statementStarts(text, 'mysql');
  // The failing statement is the one after those that began and ended; one that failed at once began no result.
  const start = starts[Math.min(begun, starts.length - 1)];
  if (start === undefined) return undefined;
  const line = Number(/ at line (\d+)\s*$/.exec(err.message)?.[1]);
  if (!Number.isInteger(line) || line <= 1) return start;
  let at = start;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', at);
    if (next === -1) return at;
    at = next + 1;
  }
  return at;
}
