/**
 * Databases for the sql task's tests, each fresh and dropped afterwards: a schema of its
 * own on the PostgreSQL of BATON_TEST_POSTGRES (search_path set in the connection), a
 * database of its own on the MariaDB/MySQL of BATON_TEST_MARIADB (default the machine's
 * own, mysql://root@127.0.0.1:3306), a SQLite file in a temporary folder.
 *
 * `describeMariaDb` is describePostgres for MariaDB: where the server is not reachable the
 * tests are skipped and say so loudly, unless BATON_REQUIRE_POSTGRES (which CI sets) or
 * BATON_REQUIRE_MARIADB is set: there they fail instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as MySql from 'mysql2/promise';
import { describe, it } from 'vitest';
import type { SqlDialect } from '../../spec/sql-text.js';
import { dropSchema, freshSchema, PG_TEST_URL } from '../../store/postgres/test-postgres.js';
import { loadPg } from '../../store/postgres/driver.js';

export const MARIADB_TEST_URL = process.env.BATON_TEST_MARIADB ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  dialect: SqlDialect;
  /** The connection a task gives. */
  connection: string;
  /** Runs baton's own SQL there, to set up and look (not through the executor under test). */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  drop(): Promise<void>;
}

const mysql = () => createRequire(import.meta.url)('mysql2/promise') as typeof MySql;

export async function freshPostgres(): Promise<TestDatabase> {
  const schema = freshSchema();
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const client = new (loadPg().Client)({ connectionString: url.toString() });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  return {
    dialect: 'postgres',
    connection: url.toString(),
    query: async (sql) => (await client.query(sql)).rows,
    async drop() {
      await client.end();
      await dropSchema(schema);
    },
  };
}

export async function freshMariaDb(): Promise<TestDatabase> {
  const name = `baton_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql().createConnection({ uri: MARIADB_TEST_URL });
  await admin.query(`CREATE DATABASE ${name}`);
  const connection = `${MARIADB_TEST_URL.replace(/\/+$/, '')}/${name}`;
  const client = await mysql().createConnection({ uri: connection, multipleStatements: true, supportBigNumbers: true, dateStrings: true });
  return {
    dialect: 'mysql',
    connection,
    query: async (sql) => (await client.query(sql))[0] as Array<Record<string, unknown>>,
    async drop() {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}

export async function freshSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-sql-'));
  const file = path.join(dir, 'test.db');
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(file);
  return {
    dialect: 'sqlite',
    connection: `sqlite:${file}`,
    query(sql) {
      if (/^\s*(select|with)\b/i.test(sql)) return Promise.resolve(db.prepare(sql).all() as Array<Record<string, unknown>>);
      db.exec(sql);
      return Promise.resolve([]);
    },
    drop() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function mariaDbUnavailable(): Promise<string | undefined> {
  try {
    const connection = await mysql().createConnection({ uri: MARIADB_TEST_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return undefined;
  } catch (err) {
    return `MariaDB at ${MARIADB_TEST_URL} is not reachable (${(err as Error).message})`;
  }
}

const mariaDbSkip = await mariaDbUnavailable();

/** A describe() for tests that need MariaDB/MySQL: skipped loudly where there is none, failing where it is required. */
export function describeMariaDb(name: string, body: () => void): void {
  if (mariaDbSkip === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.BATON_REQUIRE_POSTGRES || process.env.BATON_REQUIRE_MARIADB) {
    describe(name, () => {
      it('needs MariaDB (BATON_REQUIRE_POSTGRES or BATON_REQUIRE_MARIADB is set)', () => {
        throw new Error(`${mariaDbSkip}: start it (service mariadb start) or set BATON_TEST_MARIADB`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED: ${name}: ${mariaDbSkip}. Set BATON_TEST_MARIADB to a server to run these tests. ***\n\n`);
  describe.skip(name, body);
}
