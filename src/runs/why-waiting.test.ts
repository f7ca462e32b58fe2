import { describe, expect, it } from 'vitest';
import { noop, parallel, workflow } from '../engine/test-dsl.js';
import type { Workflow } from '../spec/model.js';
import type { RunEvent, TimedEvent } from '../store/events.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { currentOwner } from '../store/ownership.js';
import type { Store } from '../store/store.js';
import { statusView } from './views.js';

const T0 = Date.now();

/** A run driven by this process (alive), its events as given. */
async function recorded(store: Store, id: string, wf: Workflow, events: RunEvent[]): Promise<void> {
  const timed = (e: RunEvent, i: number) => ({ ...e, at: T0 + i }) as TimedEvent;
  await store.runs.createRun({ id, workflow: wf.name, created_at: T0, owner: currentOwner() }, [timed({ type: 'RunCreated', workflow: wf, inputs: {}, env: {} }, 0), timed({ type: 'RunStarted' }, 1)]);
  await store.runs.append(id, events.map((e, i) => timed(e, i + 2)));
}

async function waits(store: Store, id: string) {
  const view = await statusView(store, id);
  return Object.fromEntries(view.tasks.filter((t) => t.waiting_for).map((t) => [t.id, t.waiting_for]));
}

describe('why a task waits', () => {
  it('names unfinished dependencies, a composite not started, and a retry due', async () => {
    const store = createMemoryStore();
    const wf = workflow([
      noop('build'),
      noop('flaky'),
      noop('test', { depends_on: ['build', 'flaky'] }),
      parallel('deploy', [noop('web'), noop('db')], { depends_on: ['test'] }),
    ]);
    await recorded(store, 'R1', wf, [
      { type: 'TaskReady', task: 'build' },
      { type: 'TaskStarted', task: 'build', attempt: 1 },
      { type: 'TaskReady', task: 'flaky' },
      { type: 'TaskStarted', task: 'flaky', attempt: 1 },
      { type: 'TaskFailed', task: 'flaky', attempt: 1, error: { code: 'EXEC_EXIT_CODE', message: 'exit 1' }, retryable: true },
      { type: 'TaskRetryScheduled', task: 'flaky', attempt: 2, at_due: T0 + 60_000 },
    ]);
    const found = await waits(store, 'R1');
    expect(Object.keys(found)).toEqual(['flaky', 'test', 'deploy', 'web', 'db']);
    expect(found.flaky).toMatchObject({ kind: 'retry', until: new Date(T0 + 60_000).toISOString() });
    expect(found.test).toEqual({ kind: 'dependencies', message: 'waits for build, flaky to finish', tasks: ['build', 'flaky'] });
    expect(found.deploy).toMatchObject({ kind: 'dependencies', tasks: ['test'] });
    expect(found.web).toEqual({ kind: 'parent', message: 'waits for deploy to start', tasks: ['deploy'] });
  });

  it('names the pool a ready task waits for and the run and task that hold it now', async () => {
    const store = createMemoryStore();
    await recorded(store, 'HOLDER', workflow([noop('migrate', { resources: { db: 1 } })], { name: 'other' }), [
      { type: 'TaskReady', task: 'migrate' },
      { type: 'TaskStarted', task: 'migrate', attempt: 1 },
    ]);
    await store.pools.acquire({ run_id: 'HOLDER', task: 'migrate', attempt: 1, owner: currentOwner(), wants: { db: 1 }, capacities: { db: 1 }, at: T0 }, () => false);
    await recorded(store, 'R2', workflow([noop('seed', { resources: { db: 1 } })]), [
      { type: 'TaskReady', task: 'seed' },
      { type: 'TaskAwaitingResources', task: 'seed', attempt: 1, pools: [{ pool: 'db', wants: 1, capacity: 1, in_use: 1, held_by: [{ run: 'HOLDER', task: 'migrate', amount: 1 }] }] },
    ]);
    expect((await waits(store, 'R2')).seed).toEqual({
      kind: 'resource',
      message: 'waits for pool db (1/1: run HOLDER task migrate)',
      pools: [{ pool: 'db', wants: 1, capacity: 1, in_use: 1, held_by: [{ run: 'HOLDER', task: 'migrate', amount: 1 }] }],
    });
    // Once the holder lets go, the view says so (the engine takes it at its next look).
    await store.pools.release('HOLDER');
    expect((await waits(store, 'R2')).seed).toMatchObject({ kind: 'resource', message: 'waits for pool db (0/1, free now)' });
  });

  it("names a concurrency limit that is taken: the run's tasks, or a group's max_concurrency", async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a'), noop('b'), parallel('p', [noop('p1'), noop('p2')], { max_concurrency: 1 })], { concurrency: 2 });
    await recorded(store, 'R3', wf, [
      { type: 'TaskReady', task: 'a' },
      { type: 'TaskStarted', task: 'a', attempt: 1 },
      { type: 'TaskReady', task: 'p' },
      { type: 'TaskStarted', task: 'p', attempt: 1 },
      { type: 'TaskReady', task: 'p1' },
      { type: 'TaskStarted', task: 'p1', attempt: 1 },
      { type: 'TaskReady', task: 'p2' },
      { type: 'TaskReady', task: 'b' },
    ]);
    let found = await waits(store, 'R3');
    expect(found.p2).toEqual({ kind: 'concurrency', message: 'waits for a free slot in p (max_concurrency 1, all running)', limit: 1, group: 'p' });
    expect(found.b).toEqual({ kind: 'concurrency', message: 'waits for a free slot (the run runs 2 tasks at once, all running)', limit: 2 });
    await store.runs.append('R3', [{ type: 'TaskSucceeded', task: 'a', attempt: 1, outputs: {}, at: T0 + 20 }]);
    found = await waits(store, 'R3');
    expect(found.b).toBeUndefined();
  });

  it("names a code run's approval and event waits", async () => {
    const store = createMemoryStore();
    await recorded(store, 'R4', workflow([], { name: 'code' }), [
      { type: 'TaskStarted', task: 'ok-to-ship', attempt: 1, step: { kind: 'approval', prompt: 'Ship 1.4?', timeout_at: T0 + 3_600_000 } },
      { type: 'TaskStarted', task: 'built', attempt: 1, step: { kind: 'event', event: 'build-done' } },
    ]);
    const found = await waits(store, 'R4');
    expect(found['ok-to-ship']).toMatchObject({ kind: 'approval', prompt: 'Ship 1.4?', message: expect.stringMatching(/^waits for approval: Ship 1.4\? \(until /) });
    expect(found.built).toEqual({ kind: 'event', message: 'waits for event build-done', event: 'build-done' });
  });

  it('explains nothing once the run has ended', async () => {
    const store = createMemoryStore();
    await recorded(store, 'R5', workflow([noop('a'), noop('b', { depends_on: ['a'] })]), [{ type: 'RunCancelled', reason: 'stop' }]);
    expect(await waits(store, 'R5')).toEqual({});
  });
});
