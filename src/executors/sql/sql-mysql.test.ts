import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { testIO, type RecordingIO } from '../test-support.js';
import { runSql } from './run.js';
import { eventually, sqlContract, sqlFailure, sqlTask } from './sql-contract.js';
import { describeMariaDb, freshMariaDb, MARIADB_TEST_URL, type TestDatabase } from './test-databases.js';

describeMariaDb('sql task on MariaDB', () => {
  sqlContract(freshMariaDb);
});

describeMariaDb('sql task on MariaDB: its own ways', () => {
  let db: TestDatabase;
  let io: RecordingIO;
  beforeEach(async () => {
    db = await freshMariaDb();
    io = testIO();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('values as JSON: exact bigints as numbers, others as text; dates as written; binary as base64; mariadb:// too', async () => {
    const query = "SELECT CAST(9007199254740993 AS SIGNED) AS big, CAST(42 AS SIGNED) AS small, CAST('2024-01-02 03:04:05' AS DATETIME) AS ts, CAST(1.50 AS DECIMAL(5,2)) AS price, X'DEAD' AS bin, NULL AS nothing";
    const { outputs } = await runSql(sqlTask(db.connection.replace(/^mysql:/, 'mariadb:'), { query }), io, new AbortController().signal);
    expect(outputs.rows).toEqual([{ big: '9007199254740993', small: 42, ts: '2024-01-02 03:04:05', price: '1.50', bin: '3q0=', nothing: null }]);
  });

  test('a cancel stops the statement on the server (KILL QUERY), not only here', async () => {
    const marker = `baton_cancel_${randomBytes(4).toString('hex')}`;
    const running = async () => Number((await db.query(`SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${marker}%' AND ID <> CONNECTION_ID()`))[0].n);
    const controller = new AbortController();
    const failed = sqlFailure(sqlTask(db.connection, { query: `SELECT SLEEP(60) AS ${marker}` }), io, controller.signal);
    await eventually(async () => (await running()) === 1);
    controller.abort('timeout');
    const err = await failed;
    expect(err.code).toBe('EXEC_ABORTED');
    await eventually(async () => (await running()) === 0);
  });

  test('a refused login: SQL_CONNECT, not retryable, and the password never shows', async () => {
    const url = new URL(MARIADB_TEST_URL);
    url.username = 'baton_nobody';
    url.password = 'pa55-word';
    const err = await sqlFailure(sqlTask(url.toString(), { query: 'SELECT 1' }), io);
    expect([err.code, err.retryable]).toEqual(['SQL_CONNECT', false]);
    expect(err.message).toMatch(/^MySQL at mysql:\/\/baton_nobody:\*\*\*@.* refused the login: Access denied/);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('pa55-word');
  });

  test('a syntax error names the line within the file, counting the statements before it', async () => {
    const err = await sqlFailure(sqlTask(db.connection, { query: 'SELECT 1;\nSELECT 2;\n\nSELECT 3 FROM\n  dual WHERE x x;' }), io);
    expect(err.code).toBe('SQL_QUERY');
    expect(err.message).toContain('(ER_PARSE_ERROR) at line 5 of the query');
  });
});
