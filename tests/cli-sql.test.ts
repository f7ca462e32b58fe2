/**
 * sql tasks through the built CLI: the example on a SQLite file (migrations once, then
 * only new ones; a query's rows read by a later task), the same kind of workflow on the
 * machine's PostgreSQL and MariaDB with a password that never reaches the output, a time
 * limit that stops the statement on the server, and load-time errors with file:line:col.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../src/executors/sql/sql-contract.js';
import { describeMariaDb, freshMariaDb, freshPostgres, type TestDatabase } from '../src/executors/sql/test-databases.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';
import { baton, ROOT, tempDir } from './helpers.js';

interface Summary {
  run_id: string;
  status: string;
  tasks: Array<{ id: string; status: string; outputs?: Record<string, unknown>; error?: { code: string; message: string } }>;
}

const task = (summary: Summary, id: string) => summary.tasks.find((t) => t.id === id)!;

describe('sql tasks in baton run', () => {
  it('the example: migrations once, then none; the rows of a query in a later task', () => {
    const dir = tempDir('baton-sql-');
    cpSync(path.join(ROOT, 'examples'), dir, { recursive: true });
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'inventory.db')}` };
    const first = baton(['run', path.join(dir, 'sql-inventory.yaml'), '--json'], { env });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as Summary;
    expect(task(summary, 'migrate').outputs).toMatchObject({ applied: ['0001_services.sql', '0002_seed.sql'], already_applied: 0 });
    expect(task(summary, 'services').outputs).toMatchObject({ rows: [{ name: 'dns', tier: 0 }, { name: 'api', tier: 1 }], row_count: 2 });
    expect(task(summary, 'report').outputs?.stdout).toBe('ops: 2 services, most critical dns; migrations applied now: 0001_services.sql, 0002_seed.sql');

    writeFileSync(path.join(dir, 'sql', 'migrations', '0003_more.sql'), "INSERT INTO services (name, team, tier) VALUES ('ntp', 'ops', 0);\n");
    const again = JSON.parse(baton(['run', path.join(dir, 'sql-inventory.yaml'), '--json', '--input', 'team=ops'], { env }).stdout) as Summary;
    expect(task(again, 'report').outputs?.stdout).toBe('ops: 3 services, most critical dns; migrations applied now: 0003_more.sql');
  });

  it('a query holding ${ } is refused by baton validate and baton run, at its line and column', () => {
    const dir = tempDir('baton-sql-');
    const file = path.join(dir, 'flow.yaml');
    writeFileSync(file, 'name: bad\ntasks:\n  - id: q\n    type: sql\n    connection: sqlite:app.db\n    query: "DELETE FROM users WHERE name = \'${ inputs.who }\'"\n');
    for (const command of ['validate', 'run']) {
      const r = baton([command, file]);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`${file}:6:45: error SPEC_SQL_TEMPLATE: a query is sent as written`);
    }
  });
});

/** A workflow on `connection` (a secret): a migration, a query with params, a task reading its rows. */
function project(): string {
  const dir = tempDir('baton-sql-');
  mkdirSync(path.join(dir, 'migrations'));
  writeFileSync(path.join(dir, 'migrations', '001_hosts.sql'), 'CREATE TABLE hosts (name VARCHAR(50) PRIMARY KEY, env VARCHAR(20) NOT NULL);\n');
  writeFileSync(path.join(dir, 'migrations', '002_seed.sql'), "INSERT INTO hosts VALUES ('web1', 'prod');\nINSERT INTO hosts VALUES ('web2', 'prod');\nINSERT INTO hosts VALUES ('qa1', 'qa');\n");
  writeFileSync(
    path.join(dir, 'flow.yaml'),
    `name: hosts
secrets: [DATABASE_URL]
inputs: { env: { type: string, default: prod } }
tasks:
  - id: migrate
    type: sql
    connection: "\${ secrets.DATABASE_URL }"
    migrations: migrations
  - id: hosts
    type: sql
    depends_on: [migrate]
    connection: "\${ secrets.DATABASE_URL }"
    query: SELECT name FROM hosts WHERE env = :env ORDER BY name
    params: { env: "\${ inputs.env }" }
  - id: restart
    type: loop
    depends_on: [hosts]
    items: "\${ tasks.hosts.outputs.rows }"
    task:
      command: echo restart \${ item.name }
`,
  );
  return dir;
}

function runsOn(open: () => Promise<TestDatabase>, withPassword: (url: string) => string) {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('migrations, a query with params, its rows looped over by a later task; the password never shows', async () => {
    db = await open();
    const dir = project();
    const env = { DATABASE_URL: withPassword(db.connection) };
    const r = baton(['run', path.join(dir, 'flow.yaml'), '--json', '--input', "env=prod' OR '1'='1"], { env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const injected = JSON.parse(r.stdout) as Summary;
    expect(task(injected, 'hosts').outputs).toMatchObject({ rows: [], row_count: 0 });

    const run = baton(['run', path.join(dir, 'flow.yaml'), '--json'], { env });
    const summary = JSON.parse(run.stdout) as Summary;
    expect(task(summary, 'migrate').outputs).toMatchObject({ applied: [], already_applied: 2 });
    expect(task(summary, 'hosts').outputs).toMatchObject({ rows: [{ name: 'web1' }, { name: 'web2' }], row_count: 2 });
    expect(summary.tasks.filter((t) => t.id.startsWith('restart[')).map((t) => t.outputs?.stdout)).toEqual(['restart web1', 'restart web2']);
    const logs = baton(['logs', summary.run_id, 'hosts']);
    expect(logs.stdout).toContain('{"name":"web1"}');
    expect(r.stdout + r.stderr + run.stdout + run.stderr + logs.stdout + logs.stderr).not.toContain('pa55-word');
  });
}

describePostgres('sql tasks in baton run on PostgreSQL', () => {
  // The machine's server trusts local logins: a password is sent only if asked for, and must still never show.
  runsOn(freshPostgres, (url) => url.replace('://root@', '://root:pa55-word@'));

  it('a time limit stops the statement on the server', async () => {
    const db = await freshPostgres();
    try {
      const dir = tempDir('baton-sql-');
      const marker = `baton_timeout_${path.basename(dir).replace(/[^a-z0-9]/gi, '')}`;
      writeFileSync(path.join(dir, 'flow.yaml'), `name: slow\ntasks:\n  - id: slow\n    type: sql\n    timeout: 1s\n    connection: "\${ env.DATABASE_URL }"\n    query: SELECT pg_sleep(60) AS ${marker}\n`);
      const r = baton(['run', path.join(dir, 'flow.yaml'), '--json'], { env: { DATABASE_URL: db.connection } });
      expect(r.status).toBe(1);
      expect(task(JSON.parse(r.stdout) as Summary, 'slow').error?.code).toBe('EXEC_TIMEOUT');
      const running = async () => Number((await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%${marker}%' AND pid <> pg_backend_pid()`))[0].n);
      await eventually(async () => (await running()) === 0);
    } finally {
      await db.drop();
    }
  });
});

describeMariaDb('sql tasks in baton run on MariaDB', () => {
  runsOn(freshMariaDb, (url) => url);

  it('a refused login says so without the password', () => {
    const dir = project();
    const r = baton(['run', path.join(dir, 'flow.yaml'), '--json'], { env: { DATABASE_URL: 'mysql://baton_nobody:pa55-word@127.0.0.1:3306/none' } });
    expect(r.status).toBe(1);
    const migrate = task(JSON.parse(r.stdout) as Summary, 'migrate');
    expect(migrate.error?.code).toBe('SQL_CONNECT');
    expect(migrate.error?.message).toContain('refused the login');
    expect(r.stdout + r.stderr).not.toContain('pa55-word');
  });
});
