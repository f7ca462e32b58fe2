/**
 * The contract of a task's reported progress (TaskProgress, TaskRecord.progress): every
 * store keeps the latest report of the attempt running on its task row, the same live as
 * rebuilt from the log.
 */
import { expect, it } from 'vitest';
import { ev, expectedTasks, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';

const run = (id: string) => ({ id, workflow: 'deploy', created_at: T0 });

const progress = (task: string, attempt: number, at: number, report: { percent?: number; done?: number; total?: number; message?: string }): TimedEvent => ({
  type: 'TaskProgress',
  task,
  attempt,
  ...report,
  at,
});

export function progressContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it("keeps the latest progress of a task's running attempt on its row, and keeps it once the attempt ends", async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(), ev.started(), ev.ready('copy'), ev.start('copy', 1, T0 + 1)]);
    await runs.append('R1', [progress('copy', 1, T0 + 2, { percent: 10 })]);
    expect((await runs.listTasks('R1'))[0]).toMatchObject({ status: 'running', progress: { percent: 10, at: T0 + 2 } });
    await runs.append('R1', [progress('copy', 1, T0 + 3, { done: 37, total: 120, message: 'copying b.tar' })]);
    // A report replaces the one before whole: its fields, not a merge.
    expect((await runs.listTasks('R1'))[0].progress).toEqual({ done: 37, total: 120, message: 'copying b.tar', at: T0 + 3 });
    await runs.append('R1', [progress('copy', 1, T0 + 4, { percent: 100, done: 120, total: 120 }), ev.ok('copy', 1, T0 + 5)]);
    expect((await runs.listTasks('R1'))[0]).toMatchObject({ status: 'succeeded', progress: { percent: 100, done: 120, total: 120, at: T0 + 4 } });
  });

  it('starts a new attempt without progress, and ignores reports of an attempt that is not the one running', async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(), ev.started(), ev.ready('copy'), ev.start('copy', 1, T0 + 1), progress('copy', 1, T0 + 2, { percent: 40 })]);
    await runs.append('R1', [ev.fail('copy', 1, T0 + 3), ev.retry('copy', 2, T0 + 10, T0 + 3)]);
    // The failed attempt shows how far it got until the next one starts.
    expect((await runs.listTasks('R1'))[0]).toMatchObject({ status: 'retrying', progress: { percent: 40 } });
    await runs.append('R1', [ev.ready('copy', T0 + 10), ev.start('copy', 2, T0 + 11)]);
    expect((await runs.listTasks('R1'))[0].progress).toBeUndefined();
    // A late report of attempt 1 changes nothing.
    await runs.append('R1', [progress('copy', 1, T0 + 12, { percent: 90 })]);
    expect((await runs.listTasks('R1'))[0].progress).toBeUndefined();
    await runs.append('R1', [progress('copy', 2, T0 + 13, { percent: 5 })]);
    expect((await runs.listTasks('R1'))[0].progress).toEqual({ percent: 5, at: T0 + 13 });
    // Nor does one after the attempt ended.
    await runs.append('R1', [ev.ok('copy', 2, T0 + 14), progress('copy', 2, T0 + 15, { percent: 99 })]);
    expect((await runs.listTasks('R1'))[0].progress).toEqual({ percent: 5, at: T0 + 13 });
  });

  it('clears the progress of the tasks `baton retry` reopens, and rebuilds the rows from the log alike', async () => {
    const runs = store().runs;
    const batches: TimedEvent[][] = [
      [ev.created(), ev.started(), ev.ready('a'), ev.ready('b'), ev.start('a', 1, T0 + 1), ev.start('b', 1, T0 + 1)],
      [progress('a', 1, T0 + 2, { done: 3, total: 4 }), progress('b', 1, T0 + 2, { percent: 62.5, message: 'half way' })],
      [ev.ok('a', 1, T0 + 3), ev.fail('b', 1, T0 + 4), ev.failed(T0 + 4)],
      [ev.reopened(['b'], T0 + 10)],
    ];
    await runs.createRun(run('R1'), batches[0]);
    for (const batch of batches.slice(1)) await runs.append('R1', batch);
    const expected = expectedTasks(batches.flat());
    expect(expected.map((t) => t.progress)).toEqual([{ done: 3, total: 4, at: T0 + 2 }, undefined]);
    expect(await runs.listTasks('R1')).toEqual(expected);
    await runs.rebuildProjection('R1');
    expect(await runs.listTasks('R1')).toEqual(expected);
    // Appending after the rebuild goes on from the rebuilt rows.
    await runs.append('R1', [ev.ready('b', T0 + 11), ev.start('b', 2, T0 + 12), progress('b', 2, T0 + 13, { percent: 1 })]);
    expect((await runs.listTasks('R1'))[1]).toMatchObject({ attempt: 2, progress: { percent: 1, at: T0 + 13 } });
  });
}
