/**
 * Workflow tasks when workers drive the run, on PostgreSQL, as real processes: the task is
 * routed to queue `tasks`, served by workers that do not drive runs, so it reaches a worker
 * as a work item; that worker drives the child run inside the attempt. kill -9 of that
 * worker while the child runs: the attempt runs again on another worker, which goes on
 * with the same child. (The worker driving the parent runs a child of a task of its own
 * queue the same way, as `baton run` does.)
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { batonAsync, tempDir } from './helpers.js';
import { loadPg } from '../src/store/postgres/driver.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { describePostgres, dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from '../src/store/postgres/test-postgres.js';

const LEASE_S = 2;

const CHILD = `name: child
inputs:
  who: {type: string}
outputs:
  greeting: "\${ tasks.greet.outputs.text }"
tasks:
  - id: greet
    command: |
      echo "$$" >> starts.txt
      while [ ! -f go ]; do sleep 0.05; done
      echo "text=hello $WHO" >> "$BATON_OUTPUT"
    environment: { WHO: "\${ inputs.who }" }
`;

const PARENT = `name: parent
tasks:
  - id: kid
    queue: tasks
    workflow: child.yaml
    inputs: { who: workers }
  - id: after
    depends_on: [kid]
    command: echo "got \${ tasks.kid.outputs.greeting }"
`;

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  done: Promise<{ status: number | null }>;
}

describePostgres('workflow tasks run by workers on PostgreSQL', () => {
  let schema: string;
  let url: string;
  let dir: string;
  let workers: WorkerProcess[];
  let db: InstanceType<ReturnType<typeof loadPg>['Client']>;

  const startWorker = (name: string, queues: string): WorkerProcess => {
    const started = batonAsync(['worker', '--store', url, '--name', name, '--lease', String(LEASE_S), '--queues', queues], { cwd: dir });
    const worker = { name, child: started.child, output: started.output, done: started.done };
    workers.push(worker);
    return worker;
  };
  const q = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => (await db.query(sql, params)).rows as R[];
  const waitFor = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => `--- ${w.name}\n${w.output()}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const runs = (workflow: string) => q<{ id: string; status: string; owner_pid: number | null }>(`SELECT id, status, owner_pid FROM "${schema}".runs WHERE workflow = $1`, [workflow]);
  const tasks = (runId: string) => q<{ key: string; status: string; attempt: number }>(`SELECT key, status, attempt FROM "${schema}".tasks WHERE run_id = $1`, [runId]);
  const starts = () => (existsSync(path.join(dir, 'starts.txt')) ? readFileSync(path.join(dir, 'starts.txt'), 'utf8').split('\n').filter(Boolean).length : 0);

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    dir = tempDir('baton-pg-workflow-task-');
    workers = [];
    writeFileSync(path.join(dir, 'child.yaml'), CHILD);
    writeFileSync(path.join(dir, 'parent.yaml'), PARENT);
    db = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await db.connect();
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
  });

  afterEach(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    await db.end();
    await dropSchema(schema);
  });

  it('a work item of a workflow task: the worker that took it drives the child; the outputs reach the parent', async () => {
    startWorker('driver', 'default');
    const taker = startWorker('w1', 'tasks');
    const run = batonAsync(['run', 'parent.yaml', '--store', url, '--json'], { cwd: dir });
    await waitFor(() => starts() === 1, "the child's task to start");
    // Driven by the worker of queue `tasks`, inside the attempt.
    expect((await runs('child'))[0].owner_pid).toBe(taker.child.pid);
    writeFileSync(path.join(dir, 'go'), '');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const summary = JSON.parse(result.stdout) as { run_id: string; tasks: Array<{ id: string; outputs?: Record<string, unknown> }> };
    expect(summary.tasks.find((t) => t.id === 'kid')?.outputs).toEqual({ greeting: 'hello workers' });
    expect((await runs('child')).map((r) => r.status)).toEqual(['succeeded']);
  });

  it('kill -9 of the worker driving the child: the task runs again on another worker, with the same child', async () => {
    startWorker('driver', 'default');
    const first = startWorker('w1', 'tasks');
    const run = batonAsync(['run', 'parent.yaml', '--store', url, '--json'], { cwd: dir });
    await waitFor(() => starts() === 1, "the child's task to start");
    const [child] = await runs('child');
    expect(child.owner_pid).toBe(first.child.pid);
    first.child.kill('SIGKILL');
    await first.done;
    writeFileSync(path.join(dir, 'go'), '');
    startWorker('w2', 'tasks');
    const result = await run.done;
    expect(result.status, run.output() + workers.map((w) => w.output()).join('\n')).toBe(0);
    const parent = JSON.parse(result.stdout) as { run_id: string };
    // One child run, resumed: its task ran twice, the parent's task twice (the first attempt lost with w1).
    expect((await runs('child')).map((r) => [r.id, r.status])).toEqual([[child.id, 'succeeded']]);
    expect((await tasks(child.id)).find((t) => t.key === 'greet')).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await tasks(parent.run_id)).find((t) => t.key === 'kid')).toMatchObject({ status: 'succeeded', attempt: 2 });
  }, 60_000);
});
