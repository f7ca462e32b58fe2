/**
 * Remote steps of TypeScript workflows on PostgreSQL (docs/postgres.md), with real
 * `baton worker` processes: the run's code is driven by a worker on `default`; a step with
 * `{ queue: 'gpu' }` runs on a worker serving `gpu`, which runs the code again up to that
 * step (engine/steps/replay-host.ts). Workers say where they are through WHERE in their
 * environment, which the steps read. What is checked comes from the run's events.
 */
import { expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync } from './helpers.js';
import { pgWorkers, type TableEvent } from './pg-harness.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';

describePostgres('remote steps of code runs on PostgreSQL', () => {
  const pg = pgWorkers('baton-remote-steps-', 2);
  /** Workers say where they are (WHERE), which the steps read. */
  const startWorker = (name: string, queues: string) => pg.startWorker(name, { queues, env: { WHERE: name } });
  const code = (body: string) => {
    const file = path.join(pg.dir, 'flow.ts');
    writeFileSync(file, `import { workflow } from 'baton';\n\nexport default workflow({ name: 'remote' }, async (ctx) => {\n${body}\n});\n`);
    return file;
  };
  const submit = (file: string) => batonAsync(['run', file, '--store', pg.url, '--json'], { cwd: pg.dir });
  const runIdOf = (stdout: string) => (JSON.parse(stdout) as { run_id: string }).run_id;
  const attemptsOf = (log: TableEvent[], task: string) => log.filter((e) => e.task === task && e.type !== 'TaskReady').map((e) => `${e.type}${e.attempt ?? ''}`);

  it('a step with a queue runs on a worker serving it, a map of them too; the others run in the driving worker', async () => {
    startWorker('driver', 'default');
    startWorker('gpu-1', 'gpu');
    const file = code(`  const here = await ctx.step('here', () => process.env.WHERE);
  const there = await ctx.step('there', { queue: 'gpu' }, (step) => ({ where: process.env.WHERE, key: step.idempotencyKey.split('/')[1] }));
  const doubled = await ctx.map('double', [1, 2, 3], { queue: 'gpu' }, (n) => ({ n: n * 2, where: process.env.WHERE }));
  const after = await ctx.step('after', () => process.env.WHERE);
  return { here, there, doubled, after };`);
    const run = submit(file);
    const result = await run.done;
    expect(result.status, `${run.output()}\n${pg.workers.map((w) => w.output()).join('\n')}`).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    const end = log.find((e) => e.type === 'RunSucceeded')!;
    expect(end.result).toEqual({
      here: 'driver',
      there: { where: 'gpu-1', key: 'there' },
      doubled: [
        { n: 2, where: 'gpu-1' },
        { n: 4, where: 'gpu-1' },
        { n: 6, where: 'gpu-1' },
      ],
      after: 'driver',
    });
    expect(attemptsOf(log, 'there')).toEqual(['TaskStarted1', 'TaskSucceeded1']);
    // Every item was taken out of the queue with the result it brought.
    expect(await pg.q(`SELECT * FROM "${pg.schema}".work`)).toEqual([]);
  });

  it('a script’s `baton step --queue gpu` runs its command on the gpu worker', async () => {
    startWorker('driver', 'default');
    startWorker('gpu-1', 'gpu');
    const file = path.join(pg.dir, 'flow.sh');
    writeFileSync(file, `#!/bin/sh\nset -e\nhere=$(baton step here -- sh -c 'echo "$WHERE"')\nthere=$(baton step there --queue gpu -- sh -c 'echo "$WHERE"')\necho "ran $here then $there"\n`, { mode: 0o755 });
    const run = submit(file);
    const result = await run.done;
    expect(result.status, `${run.output()}\n${pg.workers.map((w) => w.output()).join('\n')}`).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    const stdoutOf = (task: string) => (log.find((e) => e.type === 'TaskSucceeded' && e.task === task)!.outputs!.value as { stdout: string }).stdout;
    expect(stdoutOf('here')).toBe('driver\n');
    expect(stdoutOf('there')).toBe('gpu-1\n');
    expect(attemptsOf(log, 'there')).toEqual(['TaskStarted1', 'TaskSucceeded1']);
  });

  it('a failing remote step is retried as its policy says, each attempt on the gpu worker', async () => {
    startWorker('driver', 'default');
    startWorker('gpu-1', 'gpu');
    const file = code(`  return await ctx.step('flaky', { queue: 'gpu', retry: { attempts: 3, delay: 10 } }, (step) => {
    if (step.attempt < 3) throw new Error('not yet on ' + process.env.WHERE);
    return process.env.WHERE;
  });`);
    const run = submit(file);
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    expect(attemptsOf(log, 'flaky').filter((t) => !t.startsWith('TaskRetry'))).toEqual(['TaskStarted1', 'TaskFailed1', 'TaskStarted2', 'TaskFailed2', 'TaskStarted3', 'TaskSucceeded3']);
    expect(log.find((e) => e.type === 'TaskFailed')!.error!.message).toContain('not yet on gpu-1');
    expect(log.find((e) => e.type === 'RunSucceeded')!.result).toBe('gpu-1');
  });

  it('kill -9 of the gpu worker running a remote step: the step runs again on another gpu worker as a new attempt', async () => {
    startWorker('driver', 'default');
    startWorker('gpu-1', 'gpu');
    startWorker('gpu-2', 'gpu');
    const file = code(`  return await ctx.step('train', { queue: 'gpu' }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return process.env.WHERE;
  });`);
    const run = submit(file);
    const victim = await pg.holderOf('train');
    victim.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    expect(attemptsOf(log, 'train')).toEqual(['TaskStarted1', 'TaskInterrupted1', 'TaskStarted2', 'TaskSucceeded2']);
    const survivor = victim.name === 'gpu-1' ? 'gpu-2' : 'gpu-1';
    expect(log.find((e) => e.type === 'RunSucceeded')!.result).toBe(survivor);
  });

  it('kill -9 of the driving worker while a remote step runs: the next driver awaits that same attempt rather than running it again', async () => {
    const first = startWorker('driver-1', 'default');
    startWorker('gpu-1', 'gpu');
    const file = code(`  const before = await ctx.step('before', () => process.env.WHERE);
  const trained = await ctx.step('train', { queue: 'gpu' }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return process.env.WHERE;
  });
  return { before, trained, after: await ctx.step('after', () => process.env.WHERE) };`);
    const run = submit(file);
    await pg.holderOf('train');
    first.child.kill('SIGKILL');
    startWorker('driver-2', 'default');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const log = await pg.events(runIdOf(result.stdout));
    expect(attemptsOf(log, 'train')).toEqual(['TaskStarted1', 'TaskSucceeded1']);
    expect(log.find((e) => e.type === 'RunSucceeded')!.result).toEqual({ before: 'driver-1', trained: 'gpu-1', after: 'driver-2' });
  });
});
