/**
 * The contract of counting runs and listing the runs that ended last (RunStore.countRuns,
 * listEnded): what `baton monitor`'s header and its recent runs are read from.
 */
import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import type { Store } from './store.js';

const created = (at: number, namespace?: string): TimedEvent => ({ ...ev.created(at), ...(namespace ? { namespace } : {}) }) as TimedEvent;

/** A run of `namespace` (default `default`) created at `at`, taken through `events`. */
async function runWith(store: Store, id: string, at: number, events: TimedEvent[], namespace?: string): Promise<void> {
  await store.runs.createRun({ id, workflow: 'deploy', created_at: at }, [created(at, namespace)]);
  if (events.length > 0) await store.runs.append(id, events);
}

export function countContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it('counts nothing in an empty store', async () => {
    expect(await store().runs.countRuns({ failedSince: [T0] })).toEqual({ pending: 0, running: 0, waiting: 0, queued: 0, failed: [0] });
    expect(await store().runs.countRuns()).toEqual({ pending: 0, running: 0, waiting: 0, queued: 0, failed: [] });
    expect(await store().runs.listEnded()).toEqual([]);
  });

  it('counts unfinished runs by status, and failed runs by when they ended, not when they started', async () => {
    const s = store();
    await runWith(s, 'P1', T0, []);
    await runWith(s, 'R1', T0, [ev.started(T0 + 1)]);
    await runWith(s, 'R2', T0, [ev.started(T0 + 1)]);
    await runWith(s, 'W1', T0, [ev.started(T0 + 1), { type: 'RunWaiting', waits: [], at: T0 + 2 }]);
    await runWith(s, 'Q1', T0, [{ type: 'RunQueued', priority: 0, reason: 'concurrency', at: T0 + 1 }]);
    // Started long before, failed late: counted by its end.
    await runWith(s, 'F1', T0, [ev.started(T0 + 1), ev.failed(T0 + 10_000)]);
    await runWith(s, 'F2', T0 + 5000, [ev.started(T0 + 5001), ev.failed(T0 + 5002)]);
    await runWith(s, 'S1', T0, [ev.started(T0 + 1), ev.succeeded(T0 + 20_000)]);
    await runWith(s, 'C1', T0, [ev.started(T0 + 1), ev.cancelled('stop', T0 + 20_000)]);
    const counts = await s.runs.countRuns({ failedSince: [T0 + 10_000, T0 + 5002, T0 + 10_001, T0] });
    expect(counts).toEqual({ pending: 1, running: 2, waiting: 1, queued: 1, failed: [1, 2, 0, 2] });
  });

  it("counts a run retried after it failed as running again, no longer as failed", async () => {
    const s = store();
    await runWith(s, 'F1', T0, [ev.started(T0 + 1), ev.failed(T0 + 2)]);
    expect((await s.runs.countRuns({ failedSince: [T0] })).failed).toEqual([1]);
    await s.runs.append('F1', [ev.reopened([], T0 + 3)]);
    expect(await s.runs.countRuns({ failedSince: [T0] })).toMatchObject({ running: 1, failed: [0] });
  });

  it("counts and lists only a namespace's runs when asked", async () => {
    const s = store();
    await runWith(s, 'A1', T0, [ev.started(T0 + 1)], 'team-a');
    await runWith(s, 'A2', T0, [ev.started(T0 + 1), ev.failed(T0 + 2)], 'team-a');
    await runWith(s, 'B1', T0, [ev.started(T0 + 1), ev.failed(T0 + 3)], 'team-b');
    await runWith(s, 'D1', T0, [ev.started(T0 + 1)]);
    expect(await s.runs.countRuns({ namespace: 'team-a', failedSince: [T0] })).toEqual({ pending: 0, running: 1, waiting: 0, queued: 0, failed: [1] });
    expect(await s.runs.countRuns({ failedSince: [T0] })).toMatchObject({ running: 2, failed: [2] });
    expect((await s.runs.listEnded({ namespace: 'team-a' })).map((r) => r.id)).toEqual(['A2']);
    expect((await s.runs.listEnded({ namespace: 'nobody' })).map((r) => r.id)).toEqual([]);
  });

  it('lists the runs that ended last, the latest end first, whenever they were created', async () => {
    const s = store();
    await runWith(s, 'OLD', T0, [ev.started(T0 + 1), ev.failed(T0 + 50_000)]);
    await runWith(s, 'MID', T0 + 100, [ev.started(T0 + 101), ev.succeeded(T0 + 200)]);
    await runWith(s, 'NEW', T0 + 300, [ev.started(T0 + 301), ev.cancelled('stop', T0 + 400)]);
    // Ends at the same time as MID: ties go by id, the greater first.
    await runWith(s, 'TIE', T0 + 150, [ev.started(T0 + 151), ev.succeeded(T0 + 200)]);
    await runWith(s, 'RUNNING', T0 + 500, [ev.started(T0 + 501)]);
    const ended = await s.runs.listEnded({ limit: 10 });
    expect(ended.map((r) => [r.id, r.status, r.ended_at])).toEqual([
      ['OLD', 'failed', T0 + 50_000],
      ['NEW', 'cancelled', T0 + 400],
      ['TIE', 'succeeded', T0 + 200],
      ['MID', 'succeeded', T0 + 200],
    ]);
    // The whole record, as getRun has it.
    expect(ended[0]).toEqual(await s.runs.getRun('OLD'));
    expect((await s.runs.listEnded({ limit: 2 })).map((r) => r.id)).toEqual(['OLD', 'NEW']);
    expect(await s.runs.listEnded({ limit: 0 })).toEqual([]);
  });
}
