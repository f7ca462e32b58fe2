/**
 * `queue:` in a workflow file on PostgreSQL, as real processes: `baton run` without
 * `--queue` submits the run to the workflow's queue, and its tasks wait in theirs. The
 * only worker is subscribed to those queues and not to `default`, so the run ends only
 * if neither the run nor a task went to `default`.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempDir } from './helpers.js';
import { loadPg } from '../src/store/postgres/driver.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { describePostgres, dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from '../src/store/postgres/test-postgres.js';

describePostgres('queue: on PostgreSQL', () => {
  let schema: string;
  let url: string;
  let dir: string;
  /** The worker and `baton run`, stopped after each test even when it failed half way. */
  let started: Array<ReturnType<typeof batonAsync>>;
  const start = (args: string[]) => {
    const child = batonAsync(args, { cwd: dir });
    started.push(child);
    return child;
  };
  let db: InstanceType<ReturnType<typeof loadPg>['Client']>;

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    dir = tempDir('baton-queue-');
    started = [];
    db = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await db.connect();
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
  });

  afterEach(async () => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(started.map((s) => s.done));
    await db.end();
    await dropSchema(schema);
  });

  it("a run goes to the workflow's queue, and each task to its own or the workflow's", async () => {
    const worker = start(['worker', '--store', url, '--name', 'w1', '--queues', 'gpu,cuda']);
    const file = path.join(dir, 'flow.yaml');
    writeFileSync(file, 'name: train\nqueue: gpu\ntasks:\n  - id: fetch\n    command: echo fetch\n  - id: fit\n    queue: cuda\n    depends_on: fetch\n    command: echo fit\n');
    const run = start(['run', file, '--store', url, '--json']);
    const result = await run.done;
    expect(result.status, `${run.output()}\n--- worker\n${worker.output()}`).toBe(0);
    const summary = JSON.parse(result.stdout) as { run_id: string; status: string };
    expect(summary.status).toBe('succeeded');
    const rows = (await db.query(`SELECT queue FROM "${schema}".runs WHERE id = $1`, [summary.run_id])).rows as Array<{ queue: string }>;
    expect(rows).toEqual([{ queue: 'gpu' }]);
  });
});
