/**
 * The work queue's contract (store/work.ts), and claiming runs for workers
 * (RunStore.claimNextRun): the same behaviour from memory, SQLite and PostgreSQL. Leases
 * are checked by the store's clock, so the tests that let one run out wait for it in real
 * time (a few tens of milliseconds).
 */
import { expect, it } from 'vitest';
import { errorCode } from '../observability/errors.js';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import type { RunOwner, Store } from './store.js';
import type { WorkItem, WorkResult } from './work.js';

const me: RunOwner = { host: 'here', pid: 1, started_at: T0 };
const other: RunOwner = { host: 'there', pid: 2, started_at: T0 };
const ok = (value: string): WorkResult => ({ ok: true, outputs: { value }, exit_code: 0 });
const item = (run: string, task: string, attempt = 1, queue = 'default', namespace = 'default'): WorkItem => ({ run_id: run, task, attempt, queue, namespace });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const claimOptions = { worker: 'w1', queues: ['default'], limit: 10, leaseMs: 60_000 };

/** A run that workers drive, started, with `tasks` started and enqueued. */
async function runWithWork(store: Store, id: string, tasks: string[], queue = 'default', namespace = 'default'): Promise<void> {
  const created = { ...ev.created(), workers: { queue }, ...(namespace === 'default' ? {} : { namespace }) } as TimedEvent;
  await store.runs.createRun({ id, workflow: 'deploy', created_at: T0 }, [created, ev.started()]);
  if (tasks.length === 0) return;
  await store.runs.append(
    id,
    tasks.flatMap((task) => [ev.ready(task), ev.start(task, 1)]),
    { enqueue: tasks.map((task) => item(id, task, 1, queue, namespace)) },
  );
}

export function workContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it('enqueues work with the events that start it, and hands it out oldest first, each item to one worker', async () => {
    await runWithWork(store(), 'R1', ['a', 'b', 'c']);
    await runWithWork(store(), 'R2', ['d']);
    const first = await store().work.claim({ ...claimOptions, limit: 2 });
    expect(first.map((w) => [w.run_id, w.task, w.attempt, w.state, w.fence, w.worker])).toEqual([
      ['R1', 'a', 1, 'claimed', 1, 'w1'],
      ['R1', 'b', 1, 'claimed', 1, 'w1'],
    ]);
    expect(first[0].lease_until).toBeGreaterThan(0);
    // Several workers at once: every item goes to exactly one of them.
    const claims = await Promise.all(['w2', 'w3', 'w4'].map((worker) => store().work.claim({ ...claimOptions, worker, limit: 1 })));
    const ids = claims.flat().map((w) => w.task).sort();
    expect(ids).toEqual(['c', 'd']);
    expect(await store().work.claim(claimOptions)).toEqual([]);
  });

  it('hands out only the queues and namespaces a worker asks for', async () => {
    await runWithWork(store(), 'R1', ['cpu'], 'default');
    await runWithWork(store(), 'R2', ['gpu'], 'gpu');
    await runWithWork(store(), 'R3', ['theirs'], 'gpu', 'team-b');
    expect((await store().work.claim({ ...claimOptions, queues: ['gpu'], namespaces: ['default'] })).map((w) => w.task)).toEqual(['gpu']);
    expect((await store().work.claim({ ...claimOptions, queues: ['gpu'] })).map((w) => w.task)).toEqual(['theirs']);
    expect((await store().work.claim({ ...claimOptions, queues: ['default', 'gpu'] })).map((w) => w.task)).toEqual(['cpu']);
    expect(await store().work.depth()).toEqual([
      { queue: 'default', ready: 0, claimed: 1 },
      { queue: 'gpu', ready: 0, claimed: 2 },
    ]);
    expect(await store().work.depth('team-b')).toEqual([{ queue: 'gpu', ready: 0, claimed: 1 }]);
    expect(await store().work.depth('nobody')).toEqual([]);
    expect((await store().work.claimed()).map((w) => [w.worker, w.task])).toEqual([
      ['w1', 'cpu'],
      ['w1', 'gpu'],
      ['w1', 'theirs'],
    ]);
  });

  it('records the result of a live claim, and refuses one whose claim was released and taken again', async () => {
    await runWithWork(store(), 'R1', ['a', 'b']);
    const [a, b] = await store().work.claim(claimOptions);
    const done = await store().work.complete('w1', [{ id: a.id, fence: a.fence, result: ok('A') }]);
    expect(done).toEqual({ accepted: [a.id], refused: [] });
    await store().work.release('w1', [{ id: b.id, fence: b.fence }]);
    const [again] = await store().work.claim({ ...claimOptions, worker: 'w2' });
    expect(again).toMatchObject({ id: b.id, fence: 2, worker: 'w2' });
    expect(await store().work.complete('w1', [{ id: b.id, fence: b.fence, result: ok('late') }])).toEqual({ accepted: [], refused: [b.id] });
    const rows = await store().work.ofRun('R1');
    expect(rows.map((w) => [w.task, w.state, w.lost])).toEqual([
      ['a', 'done', false],
      ['b', 'claimed', false],
    ]);
    expect(rows[0].result).toEqual(ok('A'));
    expect(rows[1].result).toBeUndefined();
    // Completing twice changes nothing.
    expect((await store().work.complete('w1', [{ id: a.id, fence: a.fence, result: ok('again') }])).refused).toEqual([a.id]);
    expect((await store().work.ofRun('R1'))[0].result).toEqual(ok('A'));
  });

  it("keeps the latest progress a worker reports of the items it holds, for the driver's look, and no one else's", async () => {
    await runWithWork(store(), 'R1', ['a', 'b']);
    const [a, b] = await store().work.claim(claimOptions);
    expect(await store().work.progress('w1', [{ id: a.id, fence: a.fence, progress: { percent: 10 } }])).toEqual([a.id]);
    expect(await store().work.progress('w1', [{ id: a.id, fence: a.fence, progress: { done: 3, total: 4, percent: 75, message: 'copying' } }])).toEqual([a.id]);
    // Another worker, or an old claim, records nothing.
    expect(await store().work.progress('w2', [{ id: b.id, fence: b.fence, progress: { percent: 50 } }])).toEqual([]);
    expect(await store().work.progress('w1', [{ id: b.id, fence: b.fence + 1, progress: { percent: 50 } }])).toEqual([]);
    const rows = await store().work.ofRun('R1');
    expect(rows.map((w) => [w.task, w.progress])).toEqual([
      ['a', { done: 3, total: 4, percent: 75, message: 'copying' }],
      ['b', undefined],
    ]);
    // Once done, the item keeps its last progress beside its result; no more is recorded.
    await store().work.complete('w1', [{ id: a.id, fence: a.fence, result: ok('A') }]);
    expect(await store().work.progress('w1', [{ id: a.id, fence: a.fence, progress: { percent: 99 } }])).toEqual([]);
    expect((await store().work.results('R1'))[0]).toMatchObject({ task: 'a', result: ok('A'), progress: { percent: 75 } });
  });

  it("refuses a result after the claim's lease ran out by the store's clock, and shows the item lost", async () => {
    await runWithWork(store(), 'R1', ['a', 'b']);
    const [a, b] = await store().work.claim({ ...claimOptions, leaseMs: 50 });
    expect(await store().work.extend('w1', [{ id: b.id, fence: b.fence }], 60_000)).toEqual([b.id]);
    await pause(120);
    expect(await store().work.extend('w1', [{ id: a.id, fence: a.fence }], 60_000)).toEqual([]);
    const results = await store().work.complete('w1', [
      { id: a.id, fence: a.fence, result: ok('late') },
      { id: b.id, fence: b.fence, result: ok('in time') },
    ]);
    expect(results).toEqual({ accepted: [b.id], refused: [a.id] });
    expect((await store().work.ofRun('R1')).map((w) => [w.task, w.state, w.lost])).toEqual([
      ['a', 'claimed', true],
      ['b', 'done', false],
    ]);
    // A lost item is not handed out again: its driver starts a new attempt instead.
    expect(await store().work.claim(claimOptions)).toEqual([]);
  });

  it('takes items out with the events that record them, only the run’s own', async () => {
    await runWithWork(store(), 'R1', ['a']);
    await runWithWork(store(), 'R2', ['b']);
    const [a, b] = await store().work.claim(claimOptions);
    await store().work.complete('w1', [{ id: a.id, fence: a.fence, result: ok('A') }]);
    await store().runs.append('R1', [ev.ok('a', 1)], { consume: [a.id, b.id] });
    expect(await store().work.ofRun('R1')).toEqual([]);
    expect((await store().work.ofRun('R2')).map((w) => w.task)).toEqual(['b']);
    expect((await store().runs.listTasks('R1'))[0]).toMatchObject({ key: 'a', status: 'succeeded' });
  });

  it('takes every item of a run out when the run finishes', async () => {
    await runWithWork(store(), 'R1', ['a', 'b']);
    await runWithWork(store(), 'R2', ['c']);
    await store().work.claim({ ...claimOptions, limit: 1 });
    await store().runs.append('R1', [ev.cancelled('enough')]);
    expect(await store().work.ofRun('R1')).toEqual([]);
    expect((await store().work.ofRun('R2')).map((w) => w.task)).toEqual(['c']);
  });

  it('enqueues nothing when the append is refused', async () => {
    await store().runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0, owner: me }, [{ ...ev.created(), workers: { queue: 'default' } } as TimedEvent, ev.started()]);
    await store().runs.claimRun('R1', other, T0 + 1, () => true);
    const refused = await store()
      .runs.append('R1', [ev.ready('a'), ev.start('a', 1)], { fence: 1, enqueue: [item('R1', 'a')] })
      .catch((err: unknown) => err);
    expect(errorCode(refused)).toBe('STORE_LEASE_LOST');
    expect(await store().work.ofRun('R1')).toEqual([]);
  });

  it('wakes a waiting worker when work is enqueued, and a waiting driver when a result is recorded', async () => {
    await runWithWork(store(), 'R1', []);
    const waitingWorker = store().work.waitForWork(['default'], { timeoutMs: 20_000 });
    await pause(20);
    await store().runs.append('R1', [ev.ready('a'), ev.start('a', 1)], { enqueue: [item('R1', 'a')] });
    await waitingWorker;
    const [a] = await store().work.claim(claimOptions);
    const waitingDriver = store().work.waitForResults('R1', { timeoutMs: 20_000 });
    await pause(20);
    await store().work.complete('w1', [{ id: a.id, fence: a.fence, result: { ok: false, error: { code: 'EXEC_EXIT_CODE', message: 'exit 1' }, retryable: true } }]);
    await waitingDriver;
    expect((await store().work.ofRun('R1'))[0].result).toEqual({ ok: false, error: { code: 'EXEC_EXIT_CODE', message: 'exit 1' }, retryable: true });
  });

  it('keeps the workers’ reports, and forgets one that retires', async () => {
    const info = { host: 'h1', pid: 10, queues: ['default', 'gpu'], concurrency: 8, started_at: T0, running: 2, driving: 1 };
    await store().work.beat({ name: 'w1', ...info });
    await store().work.beat({ name: 'w2', ...info, namespaces: ['team-a'], running: 0 });
    await store().work.beat({ name: 'w1', ...info, running: 5 });
    const workers = await store().work.workers(60_000);
    expect(workers.map((w) => [w.name, w.running, w.queues, w.namespaces])).toEqual([
      ['w1', 5, ['default', 'gpu'], undefined],
      ['w2', 0, ['default', 'gpu'], ['team-a']],
    ]);
    expect(workers[0].seen_at).toBeGreaterThan(0);
    await store().work.retire('w1');
    expect((await store().work.workers(60_000)).map((w) => w.name)).toEqual(['w2']);
    await pause(30);
    expect(await store().work.workers(10)).toEqual([]);
  });

  it('gives a worker one unowned run that workers drive, oldest first, each to one claimer', async () => {
    await runWithWork(store(), 'R1', []);
    await runWithWork(store(), 'R2', []);
    await runWithWork(store(), 'R3', [], 'gpu');
    await store().runs.createRun({ id: 'LOCAL', workflow: 'deploy', created_at: T0 }, [ev.created(), ev.started()]);
    expect((await store().runs.getRun('R3'))?.queue).toBe('gpu');
    expect((await store().runs.getRun('LOCAL'))?.queue).toBeUndefined();
    const options = { queues: ['default'], leaseMs: 60_000 };
    const claimed = await Promise.all([me, other, { ...me, pid: 3 }].map((owner) => store().runs.claimNextRun(owner, T0, options)));
    expect(claimed.map((r) => r?.id).sort()).toEqual(['R1', 'R2', undefined]);
    const r1 = claimed.find((r) => r?.id === 'R1')!;
    expect(r1.fence).toBe(1);
    expect(r1.lease_until).toBeGreaterThan(0);
    expect((await store().runs.claimNextRun(me, T0, { queues: ['gpu'], namespaces: ['team-b'], leaseMs: 60_000 }))).toBeUndefined();
    expect((await store().runs.claimNextRun(me, T0, { queues: ['gpu'], leaseMs: 60_000 }))?.id).toBe('R3');
  });

  it('gives a worker a waiting run only once one of its timers is due', async () => {
    await runWithWork(store(), 'R1', []);
    const at = Date.now();
    const waits = (until: number): TimedEvent => ({ type: 'RunWaiting', waits: [{ task: 'nap', kind: 'sleep', until }], at } as TimedEvent);
    await store().runs.append('R1', [waits(at + 60_000)]);
    expect(await store().runs.claimNextRun(me, at, { queues: ['default'], leaseMs: 60_000 })).toBeUndefined();
    await store().runs.append('R1', [waits(at - 1)]);
    expect((await store().runs.claimNextRun(me, at, { queues: ['default'], leaseMs: 60_000 }))?.id).toBe('R1');
  });

  it("gives a worker a run whose driver's lease ran out, with a higher fence, and never a finished one", async () => {
    await runWithWork(store(), 'R1', []);
    await runWithWork(store(), 'R2', []);
    await store().runs.append('R2', [ev.succeeded()]);
    expect((await store().runs.claimNextRun(me, T0, { queues: ['default'], leaseMs: 50 }))?.id).toBe('R1');
    expect(await store().runs.claimNextRun(other, T0, { queues: ['default'], leaseMs: 60_000 })).toBeUndefined();
    await pause(120);
    const taken = await store().runs.claimNextRun(other, T0 + 200, { queues: ['default'], leaseMs: 60_000 });
    expect(taken).toMatchObject({ id: 'R1', owner: other, fence: 2 });
    expect(await store().runs.claimNextRun(me, T0, { queues: ['default'], leaseMs: 60_000 })).toBeUndefined();
  });
}
