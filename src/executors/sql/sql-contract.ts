/**
 * What a sql task does, the same on every database: run by sql-postgres.test.ts,
 * sql-mysql.test.ts and sql-sqlite.test.ts against a real server (or file) each. Where a
 * database differs (MySQL commits DDL at once), the test says which way and why.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { SqlTask } from '../../spec/model.js';
import { taskDefaults } from '../../spec/task-defaults.js';
import { ExecutorError } from '../errors.js';
import { testIO, type RecordingIO } from '../test-support.js';
import { runSql } from './run.js';
import type { TestDatabase } from './test-databases.js';

const never = new AbortController().signal;

/** `count` rows of about 1 KB each, from a recursive query every database here runs. */
const MANY_ROWS: Record<TestDatabase['dialect'], (count: number) => string> = {
  postgres: (n) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) SELECT i, repeat('x', 1000) AS pad FROM n`,
  // MariaDB stops a recursion at 1000 rows by default (max_recursive_iterations): 100 x 100 instead.
  mysql: (n) => `WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 99) SELECT a.i * 100 + b.i + 1 AS i, REPEAT('x', 1000) AS pad FROM d a, d b WHERE a.i * 100 + b.i < ${n}`,
  sqlite: (n) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) SELECT i, printf('%.1000c', 'x') AS pad FROM n`,
};

/** A sql task on `connection` with `fields`, the rest at their defaults. */
export function sqlTask(connection: string, fields: Partial<SqlTask>): SqlTask {
  return { id: 'q', explicit_id: true, type: 'sql', connection, rollback_on_failure: true, max_rows: 1000, ...taskDefaults(), ...fields };
}

/** What a run of the task threw (it must throw an ExecutorError). */
export async function sqlFailure(task: SqlTask, io: RecordingIO, signal = never): Promise<ExecutorError> {
  const err = await runSql(task, io, signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExecutorError);
  return err as ExecutorError;
}

/** Polls `check` every 50 ms until it holds; fails after 20 s (a bound, not a timing assertion). */
export async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function sqlContract(open: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  let io: RecordingIO;
  beforeEach(async () => {
    db = await open();
    io = testIO();
    await db.query('CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, team VARCHAR(20))');
    await db.query("INSERT INTO users VALUES (1, 'ada', 'ops'), (2, 'bob', 'ops'), (3, 'cy', 'dev')");
  });
  afterEach(async () => {
    await db.drop();
  });

  const run = (fields: Partial<SqlTask>) => runSql(sqlTask(db.connection, fields), io, never);
  const failure = (fields: Partial<SqlTask>) => sqlFailure(sqlTask(db.connection, fields), io);
  const names = async () => (await db.query('SELECT name FROM users ORDER BY id')).map((r) => r.name);

  test('a query with named params: rows, columns and counts as outputs', async () => {
    const { outputs } = await run({ query: 'SELECT id, name FROM users WHERE team = :team ORDER BY id', params: { team: 'ops' } });
    expect(outputs).toEqual({ rows: [{ id: 1, name: 'ada' }, { id: 2, name: 'bob' }], columns: ['id', 'name'], row_count: 2, truncated: false, affected: 0 });
    expect(io.out.join('')).toBe('{"id":1,"name":"ada"}\n{"id":2,"name":"bob"}\n');
  });

  test('an injection attempt in a param stays a value', async () => {
    const evil = "x'; DROP TABLE users; --";
    const { outputs } = await run({ query: 'INSERT INTO users (id, name) VALUES (:id, :name)', params: { id: 4, name: evil } });
    expect(outputs.affected).toBe(1);
    expect(await names()).toEqual(['ada', 'bob', 'cy', evil]);
  });

  test("positional params in the database's own form", async () => {
    const sql = db.dialect === 'postgres' ? 'UPDATE users SET team = $1 WHERE id = $2' : 'UPDATE users SET team = ? WHERE id = ?';
    const { outputs } = await run({ query: sql, params: ['sre', 3] });
    expect(outputs).toMatchObject({ affected: 1, row_count: 0, rows: [] });
    expect(await db.query("SELECT id FROM users WHERE team = 'sre'")).toEqual([{ id: 3 }]);
  });

  test('params that do not fit the placeholders fail before anything runs', async () => {
    const err = await failure({ file: 'q.sql', params: { id: 1 } });
    expect(err.code).toBe('SQL_FILE');
    writeFileSync(path.join(io.baseDir, 'q.sql'), 'DELETE FROM users WHERE id = :id OR name = :name');
    const mismatch = await failure({ file: 'q.sql', params: { id: 1 } });
    expect([mismatch.code, mismatch.message]).toEqual(['SQL_PARAMS', 'q.sql: params has no value for :name']);
    expect(await names()).toEqual(['ada', 'bob', 'cy']);
  });

  test('rows are bounded by max_rows, and by size; the rest are counted', async () => {
    const few = await run({ query: MANY_ROWS[db.dialect](30), max_rows: 10 });
    expect(few.outputs).toMatchObject({ row_count: 30, truncated: true, columns: ['i', 'pad'] });
    expect((few.outputs.rows as unknown[]).length).toBe(10);
    const big = await run({ query: MANY_ROWS[db.dialect](3000), max_rows: 5000 });
    const kept = (big.outputs.rows as Array<{ i: number }>).length;
    expect(big.outputs).toMatchObject({ row_count: 3000, truncated: true });
    expect(kept).toBeGreaterThan(900);
    expect(kept).toBeLessThan(1100);
    expect(JSON.stringify(big.outputs.rows).length).toBeLessThanOrEqual(1024 * 1024 + kept + 2);
  });

  test('a script runs all its statements or none; the error names its line', async () => {
    const err = await failure({ query: "INSERT INTO users VALUES (9, 'zed', 'ops');\nUPDATE users SET name = 'gone';\nINSERT INTO no_such_table VALUES (1);" });
    expect(err.code).toBe('SQL_QUERY');
    expect(err.message).toMatch(/no_such_table/);
    expect(err.message).toContain('at line 3 of the query');
    expect(await names()).toEqual(['ada', 'bob', 'cy']);
    const { outputs } = await run({ query: "UPDATE users SET team = 'x' WHERE id = 1;\nSELECT name FROM users WHERE team = 'x';\nUPDATE users SET team = 'y' WHERE id > 1;" });
    expect(outputs).toMatchObject({ rows: [{ name: 'ada' }], columns: ['name'], row_count: 1, affected: 3 });
  });

  test('a .sql file, relative to the workflow folder', async () => {
    mkdirSync(path.join(io.baseDir, 'sql'));
    writeFileSync(path.join(io.baseDir, 'sql', 'ops.sql'), "-- who is on call\nSELECT name\nFROM users\nWHERE team = 'ops'\nORDER BY name DESC;\n");
    const { outputs } = await run({ file: 'sql/ops.sql' });
    expect(outputs.rows).toEqual([{ name: 'bob' }, { name: 'ada' }]);
    writeFileSync(path.join(io.baseDir, 'sql', 'bad.sql'), 'SELECT 1;\n\nSELECT nope FROM users;\n');
    const err = await failure({ file: 'sql/bad.sql' });
    expect(err.message).toContain('at sql/bad.sql:3');
  });

  const migrations = (files: Record<string, string>): void => {
    const dir = path.join(io.baseDir, 'migrations');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  };
  const recorded = async () => (await db.query('SELECT name, run_id, task FROM baton_migrations ORDER BY name')).map((r) => r.name);

  test('migrations apply in number order, once; a second run applies only new ones', async () => {
    migrations({
      '10_add_index.sql': 'CREATE INDEX users_team ON users (team);',
      '2_add_email.sql': "ALTER TABLE users ADD COLUMN email VARCHAR(200);\nUPDATE users SET email = 'x@example.com';",
      '1_teams.sql': "CREATE TABLE teams (name VARCHAR(20) PRIMARY KEY);\nINSERT INTO teams VALUES ('ops'), ('dev');",
      '1_teams.down.sql': 'DROP TABLE teams;',
      'README.md': 'not a migration',
    });
    const first = await run({ migrations: 'migrations' });
    expect(first.outputs).toEqual({ applied: ['1_teams.sql', '2_add_email.sql', '10_add_index.sql'], already_applied: 0, transactional: db.dialect !== 'mysql', table: 'baton_migrations' });
    expect(await recorded()).toEqual(['10_add_index.sql', '1_teams.sql', '2_add_email.sql']);
    const teams = async () => Number((await db.query('SELECT count(*) AS n FROM teams'))[0].n);
    expect(await teams()).toBe(2);
    const again = await run({ migrations: 'migrations' });
    expect(again.outputs).toMatchObject({ applied: [], already_applied: 3 });
    migrations({ '11_more.sql': "INSERT INTO teams VALUES ('sre');" });
    const third = await run({ migrations: 'migrations' });
    expect(third.outputs).toMatchObject({ applied: ['11_more.sql'], already_applied: 3 });
    expect(await teams()).toBe(3);
    const [row] = await db.query("SELECT run_id, task FROM baton_migrations WHERE name = '11_more.sql'");
    expect(row).toEqual({ run_id: io.runId, task: io.taskKey });
  });

  test('two runs migrating at once: each migration is applied once', async () => {
    migrations({ '1_a.sql': 'CREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);', '2_b.sql': 'INSERT INTO a VALUES (2);' });
    const other = testIO({ baseDir: io.baseDir, runId: '01JOTHERRUN' });
    const [one, two] = await Promise.all([run({ migrations: 'migrations' }), runSql(sqlTask(db.connection, { migrations: 'migrations' }), other, never)]);
    expect([...(one.outputs.applied as string[]), ...(two.outputs.applied as string[])].sort()).toEqual(['1_a.sql', '2_b.sql']);
    expect(Number((await db.query('SELECT count(*) AS n FROM a'))[0].n)).toBe(2);
  });

  test('an applied migration edited since stops the task before anything runs', async () => {
    migrations({ '1_a.sql': "UPDATE users SET team = 'a';" });
    await run({ migrations: 'migrations' });
    migrations({ '1_a.sql': "UPDATE users SET team = 'b';", '2_b.sql': "UPDATE users SET name = 'changed';" });
    const err = await failure({ migrations: 'migrations' });
    expect(err.code).toBe('SQL_MIGRATION_CHANGED');
    expect(err.message).toMatch(/^migrations\/1_a\.sql was applied on .* by run 01JTESTRUN and has been edited since/);
    expect(await names()).toEqual(['ada', 'bob', 'cy']);
  });

  test('a migration that controls transactions itself is refused', async () => {
    migrations({ '1_a.sql': "UPDATE users SET team = 'a';\nCOMMIT;" });
    const err = await failure({ migrations: 'migrations' });
    expect([err.code, err.message]).toEqual(['SQL_MIGRATION', "migrations/1_a.sql:2 has COMMIT: baton applies each migration inside its own transaction, which the file must not begin or end; remove it"]);
  });

  test('a failed migration: the error names its file and line; what was undone and what stays', async () => {
    migrations({ '1_ok.sql': "UPDATE users SET team = 'one' WHERE id = 1;" });
    await run({ migrations: 'migrations' });
    migrations({
      '2_table.sql': "CREATE TABLE audit (id INT);\nUPDATE users SET team = 'two' WHERE id = 2;",
      '3_bad.sql': "UPDATE users SET name = 'lost';\nINSERT INTO no_such_table VALUES (1);",
    });
    const err = await failure({ migrations: 'migrations' });
    expect(err.code).toBe('SQL_MIGRATION');
    expect(err.message).toContain('migration 3_bad.sql failed: ');
    expect(err.message).toContain('at migrations/3_bad.sql:2');
    expect(await names()).toEqual(['ada', 'bob', 'cy']);
    const tables = db.dialect === 'postgres' ? "SELECT tablename AS name FROM pg_tables WHERE tablename = 'audit' AND schemaname = current_schema()" : db.dialect === 'mysql' ? "SELECT table_name AS name FROM information_schema.tables WHERE table_name = 'audit' AND table_schema = DATABASE()" : "SELECT name FROM sqlite_master WHERE name = 'audit'";
    if (db.dialect === 'mysql') {
      // MySQL commits DDL at once: each migration is committed as it ends, and says so.
      expect(err.message).toContain('MySQL commits CREATE, ALTER and DROP at once');
      expect(err.message).toContain('2_table.sql stay applied');
      expect(await recorded()).toEqual(['1_ok.sql', '2_table.sql']);
      expect(await db.query(tables)).toHaveLength(1);
    } else {
      expect(err.message).toContain('rolled back: the database is as it was before this attempt (2_table.sql undone too)');
      expect(await recorded()).toEqual(['1_ok.sql']);
      expect(await db.query(tables)).toEqual([]);
      expect(await db.query('SELECT team FROM users WHERE id = 2')).toEqual([{ team: 'ops' }]);
    }
  });

  test('rollback_on_failure: false keeps the migrations before the failing one', async () => {
    migrations({ '1_ok.sql': "UPDATE users SET team = 'one' WHERE id = 1;", '2_bad.sql': "UPDATE users SET team = 'two' WHERE id = 2;\nSELECT * FROM no_such_table;" });
    const err = await failure({ migrations: 'migrations', rollback_on_failure: false });
    expect(err.code).toBe('SQL_MIGRATION');
    expect(await recorded()).toEqual(['1_ok.sql']);
    expect(await db.query('SELECT id, team FROM users WHERE id < 3 ORDER BY id')).toEqual([{ id: 1, team: 'one' }, { id: 2, team: 'ops' }]);
  });
}
