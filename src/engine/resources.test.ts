import { describe, expect, it } from 'vitest';
import type { Executor } from '../executors/types.js';
import { ExecutorError } from '../executors/errors.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { StoredEvent } from '../store/events.js';
import type { Store } from '../store/store.js';
import type { Workflow } from '../spec/model.js';
import { runWorkflow } from './runner.js';
import { noop, parallel, workflow } from './test-dsl.js';

/**
 * A stand-in executor (named as such) that keeps, for every attempt, when it ran and which
 * pools its task holds, so a test can check no pool was ever over its capacity.
 */
function recorder(plan: Record<string, { ms?: number; fail?: number }> = {}) {
  const spans: Array<{ task: string; from: number; to: number; pools: Record<string, number> }> = [];
  const executor: Executor = {
    async run(task, io, signal) {
      const from = performance.now();
      const cue = plan[io.taskKey] ?? {};
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, cue.ms ?? 20);
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(new ExecutorError('EXEC_ABORTED', 'stopped', { retryable: false }))), { once: true });
      });
      spans.push({ task: io.taskKey, from, to: performance.now(), pools: task.resources ?? {} });
      if (cue.fail !== undefined && io.attempt <= cue.fail) throw new ExecutorError('EXEC_EXIT_CODE', `${io.taskKey} failed on cue`, { retryable: true, exit_code: 1 });
      return { outputs: {}, exit_code: 0 };
    },
  };
  /** The most of `pool` held at any moment. */
  const peak = (pool: string) => {
    let most = 0;
    for (const at of spans.map((s) => s.from)) {
      const held = spans.filter((s) => s.from <= at && at < s.to).reduce((sum, s) => sum + (s.pools[pool] ?? 0), 0);
      most = Math.max(most, held);
    }
    return most;
  };
  return { executor, spans, peak };
}

function drive(store: Store, wf: Workflow, executor: Executor, resources: Record<string, number>, extra: { signal?: AbortSignal } = {}) {
  const events: StoredEvent[] = [];
  const done = runWorkflow({ store, workflow: wf, executors: () => executor, resources, onEvent: (e) => events.push(e), random: () => 0.5, ...extra });
  return { done, events };
}

const withPools = (id: string, resources: Record<string, number>) => noop(id, { resources });

describe('resource pools in a run', () => {
  it('two runs needing pools a and b in opposite order both finish, and no pool is ever over its capacity', async () => {
    const store = createMemoryStore();
    const { executor, peak } = recorder();
    const flow = (name: string, first: string, second: string) =>
      workflow([parallel('all', [0, 1, 2, 3].map((i) => withPools(`${name}${i}`, i % 2 === 0 ? { [first]: 1, [second]: 1 } : { [first]: 1 })))], { name });
    const one = drive(store, flow('x', 'a', 'b'), executor, { a: 1, b: 1 });
    const two = drive(store, flow('y', 'b', 'a'), executor, { a: 1, b: 1 });
    const [x, y] = await Promise.all([one.done, two.done]);
    expect(x.state.status).toBe('succeeded');
    expect(y.state.status).toBe('succeeded');
    expect(peak('a')).toBe(1);
    expect(peak('b')).toBe(1);
    expect(await store.pools.holds()).toEqual([]);
  });

  it('runs at most a capacity of tasks at once, and records who a waiting task waits for', async () => {
    const store = createMemoryStore();
    const { executor, peak } = recorder();
    const wf = workflow([parallel('p', [1, 2, 3, 4, 5].map((i) => withPools(`gpu${i}`, { gpu: 1 })))]);
    const { done, events } = drive(store, wf, executor, { gpu: 2 });
    const { state } = await done;
    expect(state.status).toBe('succeeded');
    expect(peak('gpu')).toBe(2);
    const waits = events.filter((e) => e.type === 'TaskAwaitingResources');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    const first = waits[0] as Extract<StoredEvent, { type: 'TaskAwaitingResources' }>;
    expect(first.pools).toEqual([{ pool: 'gpu', wants: 1, capacity: 2, in_use: 2, held_by: [expect.objectContaining({ run: state.runId }), expect.objectContaining({ run: state.runId })] }]);
    // Each waiting task's wait is recorded before it starts, and once.
    for (const wait of waits) {
      const key = (wait as { task: string }).task;
      const started = events.findIndex((e) => e.type === 'TaskStarted' && e.task === key);
      expect(events.indexOf(wait)).toBeLessThan(started);
      expect(waits.filter((w) => (w as { task: string }).task === key)).toHaveLength(1);
    }
  });

  it('frees a pool when an attempt fails, and takes it again for the retry', async () => {
    const store = createMemoryStore();
    const { executor, spans, peak } = recorder({ flaky: { fail: 1 } });
    const wf = workflow([
      noop('flaky', { resources: { db: 1 }, retry: { attempts: 2, delay: 200, backoff: 'fixed', factor: 2, jitter: 0 } }),
      withPools('other', { db: 1 }),
    ]);
    const { state } = await drive(store, wf, executor, { db: 1 }).done;
    expect(state.status).toBe('succeeded');
    expect(peak('db')).toBe(1);
    // `other` ran in the retry's wait, between flaky's two attempts.
    expect(spans.map((s) => s.task)).toEqual(['flaky', 'other', 'flaky']);
  });

  it('fails a task that asks for a pool the configuration lacks, or for more than it has', async () => {
    const store = createMemoryStore();
    const { executor } = recorder();
    const wf = workflow([withPools('typo', { gpus: 1 }), withPools('greedy', { gpu: 3 }), noop('fine')]);
    const { state } = await drive(store, wf, executor, { gpu: 2 }).done;
    expect(state.status).toBe('failed');
    expect(state.task('typo').error).toMatchObject({ code: 'RESOURCE_UNKNOWN', message: expect.stringContaining("(did you mean 'gpu'?)") });
    expect(state.task('greedy').error).toMatchObject({ code: 'RESOURCE_OVER_CAPACITY' });
    expect(state.task('fine').status).toBe('succeeded');
  });

  it('cancels a task that waits for a pool without it ever holding one, and frees what the run held', async () => {
    const store = createMemoryStore();
    const { executor } = recorder({ long: { ms: 60_000 } });
    const stop = new AbortController();
    const wf = workflow([withPools('long', { db: 1 }), withPools('waits', { db: 1 })]);
    const { done, events } = drive(store, wf, executor, { db: 1 }, { signal: stop.signal });
    while (!events.some((e) => e.type === 'TaskAwaitingResources')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await store.pools.holds()).map((h) => h.task)).toEqual(['long']);
    stop.abort();
    const { state } = await done;
    expect(state.status).toBe('cancelled');
    expect(state.task('waits').status).toBe('cancelled');
    expect(events.some((e) => e.type === 'TaskStarted' && e.task === 'waits')).toBe(false);
    expect(await store.pools.holds()).toEqual([]);
  });
});
