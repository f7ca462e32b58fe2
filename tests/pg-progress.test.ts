/**
 * Progress of work that workers run, on PostgreSQL with real `baton worker` processes: the
 * worker running an attempt records its progress on the work item (WorkQueue.progress, at
 * most about once a second), where the run's driver reads it at its next look and records
 * it as TaskProgress (engine/dispatch.ts, engine/steps/remote-steps.ts); the last report
 * comes back with the result and is recorded before the end. Tasks go to queue `tasks`,
 * served by a worker that does not drive runs, so they run from work items.
 */
import { expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync } from './helpers.js';
import { pgWorkers, type TableEvent } from './pg-harness.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';

type ProgressEvent = TableEvent & { percent?: number; done?: number; total?: number; message?: string };

describePostgres('progress of work run by workers on PostgreSQL', () => {
  const pg = pgWorkers('baton-pg-progress-', 5);
  const submit = (file: string) => batonAsync(['run', file, '--store', pg.url, '--json'], { cwd: pg.dir });
  const runIdOf = (stdout: string) => (JSON.parse(stdout) as { run_id: string }).run_id;
  const reportsOf = (log: TableEvent[], task: string) => log.filter((e) => e.type === 'TaskProgress' && e.task === task) as ProgressEvent[];
  const itemProgress = async (task: string) =>
    (await pg.q<{ progress: string | null }>(`SELECT progress FROM "${pg.schema}".work WHERE task = $1 AND state = 'claimed'`, [task]))[0]?.progress ?? null;

  it("a task's progress lines reach the run's events through its work item, the last one before its end", async () => {
    pg.startWorker('driver', { queues: 'default' });
    pg.startWorker('w1', { queues: 'tasks' });
    const file = path.join(pg.dir, 'flow.yaml');
    writeFileSync(file, `name: remote-copy
tasks:
  - id: copy
    queue: tasks
    command: |
      for i in 1 2 3 4 5 6 7 8; do echo "progress=$i/8" >> "$BATON_OUTPUT"; sleep 0.4; done
      echo "progress_message=copied" >> "$BATON_OUTPUT"
`);
    const run = submit(file);
    // While it runs, the worker keeps the latest report on the item.
    let seen: string | null = null;
    await pg.waitFor(async () => (seen = await itemProgress('copy')) !== null, 'the worker to record progress on the item', 20_000);
    expect(JSON.parse(seen!)).toMatchObject({ total: 8, percent: expect.any(Number) });
    const result = await run.done;
    expect(result.status, `${run.output()}\n${pg.workers.map((w) => w.output()).join('\n')}`).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    const reports = reportsOf(log, 'copy');
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(6);
    expect(reports.at(-1)).toMatchObject({ attempt: 1, percent: 100, done: 8, total: 8, message: 'copied' });
    const own = log.filter((e) => e.task === 'copy').map((e) => e.type);
    expect(own.indexOf('TaskSucceeded')).toBeGreaterThan(own.lastIndexOf('TaskProgress'));
    const [row] = await pg.q<{ progress: string }>(`SELECT progress FROM "${pg.schema}".tasks WHERE key = 'copy'`);
    expect(JSON.parse(row.progress)).toMatchObject({ percent: 100, done: 8, total: 8, message: 'copied' });
  });

  it("a remote step's ctx.progress reaches the run's events", async () => {
    pg.startWorker('driver', { queues: 'default' });
    pg.startWorker('gpu-1', { queues: 'gpu' });
    const file = path.join(pg.dir, 'flow.ts');
    writeFileSync(file, `import { workflow } from 'baton';

export default workflow({ name: 'remote-crunch' }, async (ctx) => {
  return ctx.step('crunch', { queue: 'gpu' }, async () => {
    for (let i = 1; i <= 3000; i++) {
      ctx.progress({ done: i, total: 3000 });
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 700));
    }
    return 'ok';
  });
});
`);
    const run = submit(file);
    const result = await run.done;
    expect(result.status, `${run.output()}\n${pg.workers.map((w) => w.output()).join('\n')}`).toBe(0);
    const reports = reportsOf(await pg.events(runIdOf(result.stdout)), 'crunch');
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(5);
    expect(reports.at(-1)).toMatchObject({ percent: 100, done: 3000, total: 3000 });
  });
});
