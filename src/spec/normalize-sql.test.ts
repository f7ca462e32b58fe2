import { describe, expect, test } from 'vitest';
import type { SqlTask } from './model.js';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('sql tasks', () => {
  test('a query with named params, its defaults filled in', () => {
    const workflow = valid(check(yaml`
      name: report
      secrets: [DATABASE_URL]
      inputs: { team: { type: string } }
      tasks:
        - id: count
          type: sql
          connection: "\${ secrets.DATABASE_URL }"
          query: SELECT count(*) AS n FROM users WHERE team = :team AND created::date > now() - interval '7 days'
          params: { team: "\${ inputs.team }" }
    `));
    expect(workflow.tasks[0]).toMatchObject({ type: 'sql', connection: '${ secrets.DATABASE_URL }', params: { team: '${ inputs.team }' }, rollback_on_failure: true, max_rows: 1000 });
  });

  test("seed 004's form: type database, the fields under config, migrations_path", () => {
    const workflow = valid(check(yaml`
      name: deploy
      tasks:
        - id: db-migration
          name: Run database migrations
          type: database
          config:
            connection: "\${ env.DATABASE_URL }"
            migrations_path: migrations/
            rollback_on_failure: true
    `));
    const task = workflow.tasks[0] as SqlTask;
    expect(task).toMatchObject({ type: 'sql', connection: '${ env.DATABASE_URL }', migrations: 'migrations/', rollback_on_failure: true });
    expect(task.query).toBeUndefined();
  });

  test('nothing to run, or two things', () => {
    expect(where(only(check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: sqlite:app.db
    `), 'SPEC_MISSING_FIELD'))).toBe('3:5 a sql task needs `query`');
    expect(where(only(check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: sqlite:app.db
          query: SELECT 1
          migrations: db/
    `), 'SPEC_CONFLICT'))).toBe('7:5 give one of `query`, `file` and `migrations`, not `query` and `migrations`');
  });

  test('a template in a query is refused at the ${, with how to bind it instead', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: sqlite:app.db
          query: "DELETE FROM users WHERE name = '\${ inputs.name }'"
    `), 'SPEC_SQL_TEMPLATE');
    expect(where(d)).toBe('6:45 a query is sent as written: `${ }` would put data into SQL, where it could become SQL');
    expect(d.hint).toContain('params');
  });

  test('named params and the query must match, both ways', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: postgres://db.internal/app
          query: SELECT * FROM users WHERE id = :id AND team = :team
          params: { id: 1, teem: ops }
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_SQL_PARAM').map(where)).toEqual(['6:58 params has no value for :team', "7:22 params has 'teem', which the query does not use"]);
  });

  test('placeholders without params', () => {
    expect(where(only(check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: mysql://db/app
          query: SELECT * FROM users WHERE id = ?
    `), 'SPEC_SQL_PARAM'))).toBe('6:43 the query has the placeholder ?, and the task has no `params`');
  });

  test('a literal connection must name a database; a password in it is a warning', () => {
    expect(where(only(check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: redis://cache:6379
          query: SELECT 1
    `), 'SPEC_INVALID_VALUE'))).toBe('5:17 cannot tell which database `connection` is for');
    const result = check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: postgres://app:hunter2@db/app
          query: SELECT 1
    `);
    expect(codes(result)).toEqual(['SPEC_SQL_PASSWORD']);
    expect(result.workflow).toBeDefined();
  });

  test('migrations take no params; rollback_on_failure is for migrations', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: m
          type: sql
          connection: sqlite:app.db
          migrations: db/migrations
          params: [1]
        - id: q
          type: sql
          connection: sqlite:app.db
          query: SELECT 1
          rollback_on_failure: false
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_CONFLICT').map(where)).toEqual(['7:5 migrations take no `params`: each file runs as written', '12:5 `rollback_on_failure` is for `migrations`']);
  });

  test('fields of other types, and sql fields on other types', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: q
          type: sql
          connection: sqlite:app.db
          query: SELECT 1
          expect_status: 200
        - id: s
          command: echo
          query: SELECT 1
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_FIELD_NOT_ALLOWED').map(where)).toEqual([
      "7:5 field 'expect_status' does not apply to a sql task (it is for http tasks)",
      "10:5 field 'query' does not apply to a shell task (it is for sql tasks)",
    ]);
  });
});
