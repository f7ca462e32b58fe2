/**
 * Workers on PostgreSQL, as real processes (docs/postgres.md): four `baton worker`s on one
 * database, runs submitted with `baton run`, workers killed (-9), stopped past their lease
 * (SIGSTOP, then SIGCONT) and stopped gracefully (SIGTERM). What is checked comes from the
 * run's events in the database: every task succeeded exactly once, an attempt lost with
 * its worker is recorded as interrupted and ran again elsewhere, and a late result of a
 * worker that lost its lease was refused.
 *
 * A worker runs an attempt of the runs it drives itself while it has a free slot and
 * serves the task's queue (engine/dispatch.ts): no work item. The tests of work items
 * therefore route tasks to queue `tasks`, served by workers that do not drive runs, with
 * one worker (`driver`) on `default` driving them.
 */
import { expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, batonAsync } from './helpers.js';
import { pgWorkers, type TableEvent, type WorkerProcess } from './pg-harness.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';

/** Short leases, so that a lost worker's work moves on within seconds. */
const LEASE_S = 2;

describePostgres('baton worker on PostgreSQL: faults', () => {
  const pg = pgWorkers('baton-workers-', LEASE_S);
  const { q, events, waitFor, holderOf } = pg;
  const startWorker = (name: string, concurrency = 4, queues = 'default') => pg.startWorker(name, { concurrency, queues });
  const workflow = (text: string) => {
    const file = path.join(pg.dir, 'flow.yaml');
    writeFileSync(file, text);
    return file;
  };
  const submit = (file: string) => batonAsync(['run', file, '--store', pg.url, '--json'], { cwd: pg.dir });
  /** Every task succeeded exactly once; an attempt is started only after the one before it ended. */
  const checkLog = (log: TableEvent[], tasks: string[]) => {
    for (const task of tasks) {
      const own = log.filter((e) => e.task === task && e.type.startsWith('Task') && e.type !== 'TaskReady');
      expect(own.filter((e) => e.type === 'TaskSucceeded'), `${task} succeeded once`).toHaveLength(1);
      let open: number | undefined;
      for (const e of own) {
        if (e.type === 'TaskStarted') {
          expect(open, `${task} attempt ${e.attempt} started while ${open} ran`).toBeUndefined();
          open = e.attempt;
        } else if (e.type === 'TaskSucceeded' || e.type === 'TaskInterrupted' || e.type === 'TaskFailed') {
          expect(e.attempt).toBe(open);
          open = undefined;
        }
      }
    }
  };

  it('kill -9 of the worker running a task: the task finishes on another worker as a new attempt, and the run succeeds', async () => {
    startWorker('driver');
    for (const name of ['w1', 'w2', 'w3', 'w4']) startWorker(name, 4, 'tasks');
    const file = workflow(`name: slow\nconcurrency: 8\ntasks:\n  - id: slow\n    queue: tasks\n    command: sleep 1.5; echo slow done\n  - id: after\n    depends_on: [slow]\n    queue: tasks\n    command: echo after\n`);
    const run = submit(file);
    const victim = await holderOf('slow');
    victim.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const summary = JSON.parse(result.stdout) as { run_id: string; status: string };
    expect(summary.status).toBe('succeeded');
    const log = await events(summary.run_id);
    checkLog(log, ['slow', 'after']);
    expect(log.filter((e) => e.task === 'slow').map((e) => `${e.type}${e.attempt ?? ''}`)).toEqual(['TaskReady', 'TaskStarted1', 'TaskInterrupted1', 'TaskStarted2', 'TaskSucceeded2']);
    // The killed worker's claim ran out by the database's clock; it ran nothing more.
    expect(await q(`SELECT * FROM "${pg.schema}".work`)).toEqual([]);
  });

  it('SIGSTOP past the lease, then SIGCONT: the stopped worker’s late result is refused, it notices and moves on', async () => {
    startWorker('driver');
    for (const name of ['w1', 'w2', 'w3', 'w4']) startWorker(name, 4, 'tasks');
    const file = workflow(`name: stopped\ntasks:\n  - id: slow\n    queue: tasks\n    command: sleep 1; echo slow done\n`);
    const run = submit(file);
    const victim = await holderOf('slow');
    victim.child.kill('SIGSTOP');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;
    victim.child.kill('SIGCONT');
    // Back, it finds its claim gone: its result is dropped (or its task stopped), nothing recorded.
    await waitFor(async () => /dropped 1 result|no longer held/.test(victim.output()), 'the stopped worker to notice', 15_000);
    const log = await events(runId);
    checkLog(log, ['slow']);
    expect(log.filter((e) => e.type === 'TaskInterrupted').length).toBeGreaterThanOrEqual(1);
    // And it goes on working.
    const next = submit(workflow(`name: again\ntasks:\n${Array.from({ length: 12 }, (_, i) => `  - id: t${i}\n    queue: tasks\n    command: echo ${i}\n`).join('')}`));
    expect((await next.done).status, next.output()).toBe(0);
  });

  it('SIGTERM gives back what the worker holds at once: another worker runs it, and the stopped one exits 0', async () => {
    startWorker('driver');
    const first = startWorker('w1', 2, 'tasks');
    const file = workflow(`name: handed\ntasks:\n  - id: slow\n    queue: tasks\n    command: sleep 1; echo slow done\n`);
    const run = submit(file);
    await holderOf('slow');
    first.child.kill('SIGTERM');
    expect((await first.done).status, first.output()).toBe(0);
    // No lease had to run out: the item and the run went back to the queue.
    const began = Date.now();
    startWorker('w2', 2, 'tasks');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    expect(Date.now() - began).toBeLessThan(LEASE_S * 1000 + 5_000);
    checkLog(await events((JSON.parse(result.stdout) as { run_id: string }).run_id), ['slow']);
  });

  it('a task of a queue the driving worker serves runs in that worker, without a work item; kill -9 of it: the run goes on elsewhere and the task runs again', async () => {
    for (const name of ['w1', 'w2', 'w3', 'w4']) startWorker(name);
    const file = workflow(`name: eager\ntasks:\n  - id: slow\n    command: sleep 1.5; echo slow done\n  - id: after\n    depends_on: [slow]\n    command: echo after\n`);
    const run = submit(file);
    let driver: WorkerProcess | undefined;
    await waitFor(async () => {
      const [row] = await q<{ owner_pid: number | null }>(`SELECT r.owner_pid FROM "${pg.schema}".runs r JOIN "${pg.schema}".tasks t ON t.run_id = r.id WHERE t.key = 'slow' AND t.status = 'running'`);
      driver = pg.workers.find((w) => w.child.pid === row?.owner_pid);
      return driver !== undefined;
    }, 'a worker to drive the run and start slow');
    // It runs in the driving worker: nothing went through the work queue.
    expect(await q(`SELECT * FROM "${pg.schema}".work`)).toEqual([]);
    driver!.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const log = await events((JSON.parse(result.stdout) as { run_id: string }).run_id);
    checkLog(log, ['slow', 'after']);
    expect(log.filter((e) => e.task === 'slow').map((e) => `${e.type}${e.attempt ?? ''}`)).toEqual(['TaskReady', 'TaskStarted1', 'TaskInterrupted1', 'TaskStarted2', 'TaskSucceeded2']);
  });

  it('baton workers lists the live workers and the queue; a worker refuses a memory store; --local drives a run here', async () => {
    startWorker('w1');
    startWorker('w2', 8);
    await waitFor(async () => (await q(`SELECT name FROM "${pg.schema}".workers`)).length === 2, 'two workers to report');
    const listed = baton(['workers', '--store', pg.url, '--json'], { cwd: pg.dir });
    expect(listed.status, listed.stderr).toBe(0);
    const view = JSON.parse(listed.stdout) as { workers: Array<{ name: string; concurrency: number; queues: string[] }>; queues: unknown[] };
    expect(view.workers.map((w) => [w.name, w.concurrency, w.queues])).toEqual([
      ['w1', 4, ['default']],
      ['w2', 8, ['default']],
    ]);
    expect(baton(['workers', '--store', pg.url], { cwd: pg.dir }).stdout).toMatch(/^WORKER +HOST +PID +QUEUES +TASKS +RUNS +SEEN +RUNNING\nw1 /);
    const memory = baton(['worker', '--store', 'memory'], { cwd: pg.dir });
    expect(memory.status).toBe(2);
    expect(memory.stderr).toContain('WORKER_MEMORY_STORE');
    const local = baton(['run', workflow('name: here\ntasks:\n  - id: a\n    command: echo here\n'), '--store', pg.url, '--local', '--json'], { cwd: pg.dir });
    expect(local.status, local.stderr).toBe(0);
    const runId = (JSON.parse(local.stdout) as { run_id: string }).run_id;
    expect((await q<{ queue: string | null }>(`SELECT queue FROM "${pg.schema}".runs WHERE id = $1`, [runId]))[0].queue).toBeNull();
  });

  it('300 tasks over four workers, two of them killed on the way and one started again: every task recorded exactly once', async () => {
    for (const name of ['w1', 'w2', 'w3', 'w4']) startWorker(name, 8);
    const tasks = Array.from({ length: 300 }, (_, i) => `t${i}`);
    const file = workflow(`name: many\nconcurrency: 64\ntasks:\n${tasks.map((t, i) => `  - id: ${t}\n    command: sleep 0.0${i % 5}\n`).join('')}`);
    const run = submit(file);
    await waitFor(async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM "${pg.schema}".events WHERE type = 'TaskSucceeded'`))[0].n) >= 50, '50 tasks done');
    pg.workers[0].child.kill('SIGKILL');
    await waitFor(async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM "${pg.schema}".events WHERE type = 'TaskSucceeded'`))[0].n) >= 150, '150 tasks done');
    pg.workers[1].child.kill('SIGKILL');
    startWorker('w5', 8);
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;
    checkLog(await events(runId), tasks);
  });
});
