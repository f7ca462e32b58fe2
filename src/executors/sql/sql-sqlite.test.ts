import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { testIO } from '../test-support.js';
import { runSql } from './run.js';
import { sqlContract, sqlFailure, sqlTask } from './sql-contract.js';
import { freshSqlite } from './test-databases.js';

describe('sql task on a SQLite file', () => {
  sqlContract(freshSqlite);
});

describe('sql task on a SQLite file: its own ways', () => {
  const never = new AbortController().signal;

  test('a path relative to the workflow folder, in each form; values as JSON', async () => {
    const io = testIO();
    const query = "SELECT 9007199254740993 AS big, 42 AS small, x'dead' AS bin, 1.5 AS f, NULL AS missing";
    for (const connection of ['sqlite:app.db', 'sqlite://app.db', 'app.db', `sqlite://${path.join(io.baseDir, 'app.db')}`]) {
      const { outputs } = await runSql(sqlTask(connection, { query }), io, never);
      expect(outputs.rows).toEqual([{ big: '9007199254740993', small: 42, bin: '3q0=', f: 1.5, missing: null }]);
    }
    expect(io.err.join('')).toContain(`SQLite file ${path.join(io.baseDir, 'app.db')}: 1 row`);
  });

  test("a trigger's BEGIN ... END stays one statement; ?NNN params", async () => {
    const io = testIO();
    writeFileSync(
      path.join(io.baseDir, 'schema.sql'),
      `CREATE TABLE a (n INT);\nCREATE TABLE log (msg TEXT);\nCREATE TRIGGER a_log AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES ('one; two');\n  INSERT INTO log VALUES ('three');\nEND;\nINSERT INTO a VALUES (1);\n`,
    );
    await runSql(sqlTask('sqlite:t.db', { file: 'schema.sql' }), io, never);
    const { outputs } = await runSql(sqlTask('sqlite:t.db', { query: 'SELECT msg FROM log WHERE msg <> ?2 OR ?1 = 0 ORDER BY msg', params: [1, 'three'] }), io, never);
    expect(outputs.rows).toEqual([{ msg: 'one; two' }]);
  });

  test('a cancel stops a long read between batches of rows', async () => {
    const controller = new AbortController();
    const io = testIO({ stdout: () => controller.abort('cancel') });
    const query = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT i FROM n';
    const err = await sqlFailure(sqlTask('sqlite:long.db', { query }), io, controller.signal);
    expect(err.code).toBe('EXEC_ABORTED');
    // The file is free again: a write goes through at once.
    const { outputs } = await runSql(sqlTask('sqlite:long.db', { query: 'CREATE TABLE after_cancel (x INT)' }), io, never);
    expect(outputs.affected).toBe(0);
  });

  test('a folder that does not exist: SQL_CONNECT, saying where', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-sql-'));
    const err = await sqlFailure(sqlTask('sqlite:no/such/folder/app.db', { query: 'SELECT 1' }), testIO({ baseDir: dir }));
    expect([err.code, err.retryable]).toEqual(['SQL_CONNECT', false]);
    expect(err.message).toContain(`cannot open SQLite file ${path.join(dir, 'no/such/folder/app.db')}`);
  });

  test('a connection that names no database, once its template is resolved: SQL_CONNECTION', async () => {
    const err = await sqlFailure(sqlTask('redis://admin:hunter22@cache:6379', { query: 'SELECT 1' }), testIO());
    expect([err.code, err.message]).toEqual([
      'SQL_CONNECTION',
      'the connection "redis://admin:***@cache:6379" names no database baton knows: use postgres://, postgresql://, mysql://, mariadb://, sqlite:PATH or a PATH ending .db, .sqlite or .sqlite3',
    ]);
  });

  test('a missing .sql file or migrations folder fails before connecting', async () => {
    const io = testIO();
    const file = await sqlFailure(sqlTask('sqlite:app.db', { file: 'nope.sql' }), io);
    expect([file.code, file.message]).toEqual(['SQL_FILE', `cannot read the SQL file nope.sql (${path.join(io.baseDir, 'nope.sql')}): no such file`]);
    const folder = await sqlFailure(sqlTask('sqlite:app.db', { migrations: 'db/migrations' }), io);
    expect([folder.code, folder.message]).toEqual(['SQL_FILE', `cannot read the migrations folder db/migrations (${path.join(io.baseDir, 'db/migrations')}): no such folder`]);
  });
});
