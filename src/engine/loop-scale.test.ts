import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskSpec } from '../spec/model.js';
import { loop, noop, runTest, workflow, type Cue } from './test-dsl.js';
import { RunState } from './state.js';

/**
 * Loops stay linear: the engine's work per iteration must not grow with the number of
 * iterations. Counted, not timed: how often a task's state is looked up in a run of N
 * iterations and of 4N. Linear bookkeeping does about 4x the lookups; the quadratic kind
 * this guards against (each ending iteration scanning all the others) does about 16x.
 */
async function lookups(n: number, shape: (items: number[]) => TaskSpec, cues: (n: number) => Record<string, Cue[]> = () => ({})) {
  const items = Array.from({ length: n }, (_, i) => i);
  const spy = vi.spyOn(RunState.prototype, 'task');
  try {
    const run = await runTest(workflow([shape(items), noop('after', { depends_on: ['l'], condition: 'always()' })]), cues(n));
    return { count: spy.mock.calls.length, run };
  } finally {
    spy.mockRestore();
  }
}

async function growth(shape: (items: number[]) => TaskSpec, cues?: (n: number) => Record<string, Cue[]>) {
  const small = await lookups(500, shape, cues);
  const big = await lookups(2000, shape, cues);
  return { ratio: big.count / small.count, small: small.run, big: big.run };
}

describe('engine: large loops', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a sequential loop costs the same per iteration at 4x the size', async () => {
    const { ratio, big } = await growth((items) => loop('l', items, noop('l[item]')));
    expect(big.status('l')).toBe('succeeded');
    expect(big.state.loopChildren.get('l')).toHaveLength(2000);
    expect(ratio).toBeLessThan(6);
  });

  it('a parallel loop with max_concurrency costs the same per iteration at 4x the size', async () => {
    const { ratio, big } = await growth((items) => loop('l', items, noop('l[item]'), { parallel: true, max_concurrency: 8 }));
    expect(big.status('l')).toBe('succeeded');
    expect(big.peak).toBeLessThanOrEqual(8);
    expect(ratio).toBeLessThan(6);
  });

  it('a parallel loop whose iterations fail (stop_on_failure off) stays linear and fails once', async () => {
    const everyTenth = (n: number) => Object.fromEntries(Array.from({ length: n / 10 }, (_, i) => [`l[${i * 10}]`, ['fail-permanent' as const]]));
    const { ratio, big } = await growth((items) => loop('l', items, noop('l[item]'), { parallel: true, stop_on_failure: false }), everyTenth);
    expect(big.status('l')).toBe('failed');
    expect(big.events.filter((e) => e.type === 'TaskFailed' && e.task === 'l')).toHaveLength(1);
    expect(big.state.task('l').error?.message).toMatch(/^200 of 2000 iterations failed/);
    expect(ratio).toBeLessThan(6);
  });

  it('a sequential loop of 30,000 whose first iteration fails ends the rest without overflowing the stack', async () => {
    const items = Array.from({ length: 30_000 }, (_, i) => i);
    const run = await runTest(workflow([loop('l', items, noop('l[item]'))]), { 'l[0]': ['fail-permanent'] });
    expect(run.status('l')).toBe('failed');
    expect(run.status('l[29999]')).toBe('skipped');
    expect(run.state.status).toBe('failed');
  });

  it('a stopped loop (stop_on_failure, max_concurrency 1) ends once, with the rest cancelled', async () => {
    const run = await runTest(
      workflow([loop('l', [1, 2, 3, 4, 5], noop('l[item]'), { parallel: true, max_concurrency: 1 })]),
      { 'l[2]': ['fail-permanent'] },
    );
    expect(run.status('l')).toBe('failed');
    expect(run.events.filter((e) => (e.type === 'TaskFailed' || e.type === 'TaskSucceeded') && e.task === 'l')).toHaveLength(1);
    expect(['l[3]', 'l[4]', 'l[5]'].map((k) => run.status(k))).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });
});
