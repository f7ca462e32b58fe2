import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { PG_TEST_URL, describePostgres } from '../../store/postgres/test-postgres.js';
import { testIO, type RecordingIO } from '../test-support.js';
import { runSql } from './run.js';
import { eventually, sqlContract, sqlFailure, sqlTask } from './sql-contract.js';
import { freshPostgres, type TestDatabase } from './test-databases.js';

describePostgres('sql task on PostgreSQL', () => {
  sqlContract(freshPostgres);
});

describePostgres('sql task on PostgreSQL: its own ways', () => {
  let db: TestDatabase;
  let io: RecordingIO;
  beforeEach(async () => {
    db = await freshPostgres();
    io = testIO();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('values as JSON: exact bigints as numbers, others as text; dates as written; json parsed; bytea as base64', async () => {
    const query = "SELECT 9007199254740993::bigint AS big, 42::bigint AS small, '2024-01-02 03:04:05'::timestamp AS ts, '2024-01-02'::date AS day, '{\"a\": [1, 2]}'::jsonb AS doc, '\\xdead'::bytea AS bin, 1.50::numeric AS price, NULL AS nothing";
    const { outputs } = await runSql(sqlTask(db.connection, { query }), io, new AbortController().signal);
    expect(outputs.rows).toEqual([{ big: '9007199254740993', small: 42, ts: '2024-01-02 03:04:05', day: '2024-01-02', doc: { a: [1, 2] }, bin: '3q0=', price: '1.50', nothing: null }]);
  });

  test('a cancel stops the statement on the server, not only here', async () => {
    const marker = `baton_cancel_${randomBytes(4).toString('hex')}`;
    const running = async () => Number((await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%${marker}%' AND pid <> pg_backend_pid() AND state = 'active'`))[0].n);
    const controller = new AbortController();
    const failed = sqlFailure(sqlTask(db.connection, { query: `SELECT pg_sleep(60) AS ${marker}` }), io, controller.signal);
    await eventually(async () => (await running()) === 1);
    controller.abort('cancel');
    const err = await failed;
    expect(err.code).toBe('EXEC_ABORTED');
    await eventually(async () => (await running()) === 0);
  });

  test('a server that is not there: SQL_CONNECT, retryable', async () => {
    const url = new URL(PG_TEST_URL);
    url.port = '1';
    const err = await sqlFailure(sqlTask(url.toString(), { query: 'SELECT 1' }), io);
    expect([err.code, err.retryable]).toEqual(['SQL_CONNECT', true]);
    expect(err.message).toMatch(/^cannot connect to PostgreSQL at postgres:\/\/.*:1\/.*ECONNREFUSED.*check that the server is running/);
  });

  test('no such database: SQL_CONNECT, not retryable; the password never shows', async () => {
    const url = new URL(PG_TEST_URL);
    url.pathname = '/baton_no_such_database';
    url.password = 'pa55-word';
    const err = await sqlFailure(sqlTask(url.toString(), { query: 'SELECT 1' }), io);
    expect([err.code, err.retryable]).toEqual(['SQL_CONNECT', false]);
    expect(err.message).toContain(':***@');
    expect(err.message).toContain('has no such database');
    expect(JSON.stringify({ message: err.message, details: err.details }) + io.err.join('')).not.toContain('pa55-word');
  });
});
