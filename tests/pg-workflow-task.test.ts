/**
 * Workflow tasks when workers drive the run, on PostgreSQL, as real processes: the task is
 * routed to queue `tasks`, served by workers that do not drive runs, so it reaches a worker
 * as a work item; that worker drives the child run inside the attempt. kill -9 of that
 * worker while the child runs: the attempt runs again on another worker, which goes on
 * with the same child. (The worker driving the parent runs a child of a task of its own
 * queue the same way, as `baton run` does.)
 */
import { beforeEach, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync } from './helpers.js';
import { pgWorkers } from './pg-harness.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';

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

describePostgres('workflow tasks run by workers on PostgreSQL', () => {
  const pg = pgWorkers('baton-pg-workflow-task-', LEASE_S);
  const { q, waitFor } = pg;
  const startWorker = (name: string, queues: string) => pg.startWorker(name, { queues });
  const runs = (workflow: string) => q<{ id: string; status: string; owner_pid: number | null }>(`SELECT id, status, owner_pid FROM "${pg.schema}".runs WHERE workflow = $1`, [workflow]);
  const tasks = (runId: string) => q<{ key: string; status: string; attempt: number }>(`SELECT key, status, attempt FROM "${pg.schema}".tasks WHERE run_id = $1`, [runId]);
  const starts = () => (existsSync(path.join(pg.dir, 'starts.txt')) ? readFileSync(path.join(pg.dir, 'starts.txt'), 'utf8').split('\n').filter(Boolean).length : 0);

  beforeEach(() => {
    writeFileSync(path.join(pg.dir, 'child.yaml'), CHILD);
    writeFileSync(path.join(pg.dir, 'parent.yaml'), PARENT);
  });

  it('a work item of a workflow task: the worker that took it drives the child; the outputs reach the parent', async () => {
    startWorker('driver', 'default');
    const taker = startWorker('w1', 'tasks');
    const run = batonAsync(['run', 'parent.yaml', '--store', pg.url, '--json'], { cwd: pg.dir });
    await waitFor(() => starts() === 1, "the child's task to start");
    // Driven by the worker of queue `tasks`, inside the attempt.
    expect((await runs('child'))[0].owner_pid).toBe(taker.child.pid);
    writeFileSync(path.join(pg.dir, 'go'), '');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const summary = JSON.parse(result.stdout) as { run_id: string; tasks: Array<{ id: string; outputs?: Record<string, unknown> }> };
    expect(summary.tasks.find((t) => t.id === 'kid')?.outputs).toEqual({ greeting: 'hello workers' });
    expect((await runs('child')).map((r) => r.status)).toEqual(['succeeded']);
  });

  it('kill -9 of the worker driving the child: the task runs again on another worker, with the same child', async () => {
    startWorker('driver', 'default');
    const first = startWorker('w1', 'tasks');
    const run = batonAsync(['run', 'parent.yaml', '--store', pg.url, '--json'], { cwd: pg.dir });
    await waitFor(() => starts() === 1, "the child's task to start");
    const [child] = await runs('child');
    expect(child.owner_pid).toBe(first.child.pid);
    first.child.kill('SIGKILL');
    await first.done;
    writeFileSync(path.join(pg.dir, 'go'), '');
    startWorker('w2', 'tasks');
    const result = await run.done;
    expect(result.status, run.output() + pg.workers.map((w) => w.output()).join('\n')).toBe(0);
    const parent = JSON.parse(result.stdout) as { run_id: string };
    // One child run, resumed: its task ran twice, the parent's task twice (the first attempt lost with w1).
    expect((await runs('child')).map((r) => [r.id, r.status])).toEqual([[child.id, 'succeeded']]);
    expect((await tasks(child.id)).find((t) => t.key === 'greet')).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await tasks(parent.run_id)).find((t) => t.key === 'kid')).toMatchObject({ status: 'succeeded', attempt: 2 });
  }, 60_000);
});
