/**
 * A loop of 100,000 iterations beside 100,000 top-level tasks of the same shape, recorded
 * in a fresh SQLite file as a CLI run is: iterations one after another against a chain,
 * and iterations at once against independent tasks. A loop's bookkeeping (expanding it,
 * counting its iterations down, the task rows its expansion adds) must cost no more per
 * item than the plain graph does: the ratio is the figure to read.
 */
import path from 'node:path';
import { runWorkflow } from '../src/engine/runner.js';
import { loop, noop, workflow } from '../src/engine/test-dsl.js';
import type { TaskSpec } from '../src/spec/model.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import { inTempDir } from './sqlite-overhead.js';

export const LOOP_ITEMS = 100_000;

export interface LoopFigures {
  /** µs per item: the loop's iterations, and the same number of top-level tasks. */
  loopUs: number;
  tasksUs: number;
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `parallel`: iterations at once (against independent tasks); else one after another (against a chain). */
export function loopShapes(n: number, parallel: boolean): { loop: TaskSpec[]; tasks: TaskSpec[] } {
  return {
    loop: [loop('each', items(n), noop('each[item]'), { parallel })],
    tasks: Array.from({ length: n }, (_, i) => noop(`t${i}`, !parallel && i > 0 ? { depends_on: [`t${i - 1}`] } : {})),
  };
}

async function microsPerItem(tasks: TaskSpec[], n: number, dir: string): Promise<number> {
  const store = openStore(path.join(dir, `loop-${Date.now()}-${Math.random().toString(36).slice(2)}.db`));
  try {
    const start = process.hrtime.bigint();
    const { state } = await runWorkflow({ store, owner: currentOwner(), workflow: workflow(tasks), concurrency: 16 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (state.status !== 'succeeded') throw new Error(`loop bench run ${state.status}`);
    return elapsed / n;
  } finally {
    await store.close();
  }
}

/** Both shapes measured alternately in one process, best of `times` each. */
export async function loopAgainstTasks(n: number, parallel: boolean, times = 2): Promise<LoopFigures> {
  const shapes = loopShapes(n, parallel);
  return inTempDir('baton-bench-loop-', async (dir) => {
    let loopUs = Infinity;
    let tasksUs = Infinity;
    for (let i = 0; i < times; i++) {
      tasksUs = Math.min(tasksUs, await microsPerItem(shapes.tasks, n, dir));
      loopUs = Math.min(loopUs, await microsPerItem(shapes.loop, n, dir));
    }
    return { loopUs, tasksUs };
  });
}

// `node dist/bench/loop-100k.js`: this figure alone.
if (process.argv[1]?.endsWith('loop-100k.js')) {
  for (const parallel of [false, true]) {
    const { loopUs, tasksUs } = await loopAgainstTasks(LOOP_ITEMS, parallel);
    const what = parallel ? 'parallel loop vs independent tasks' : 'sequential loop vs chain';
    process.stdout.write(`${what}: ${loopUs.toFixed(1)} µs/item vs ${tasksUs.toFixed(1)} µs/task = ${(loopUs / tasksUs).toFixed(2)}x (target <= 1.2x)\n`);
  }
}
