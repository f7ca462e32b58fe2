/**
 * Engine overhead per task: 10,000 noop tasks as a chain and as a wide fan-out on the
 * memory store, beside a bare ready-queue with per-task state (the floor: what any
 * scheduler must at least do), measured in the same process.
 */
import { runWorkflow } from '../src/engine/runner.js';
import { noop, workflow } from '../src/engine/test-dsl.js';
import type { TaskSpec } from '../src/spec/model.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';

export function chain(n: number): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => noop(`t${i}`, i > 0 ? { depends_on: [`t${i - 1}`] } : {}));
}

export function fanOut(n: number): TaskSpec[] {
  const tasks: TaskSpec[] = [noop('root')];
  for (let i = 0; i < n - 2; i++) tasks.push(noop(`t${i}`, { depends_on: ['root'] }));
  tasks.push(noop('join', { depends_on: tasks.slice(1).map((t) => t.id) }));
  return tasks;
}

export async function engineMicrosPerTask(tasks: TaskSpec[], concurrency: number): Promise<number> {
  const wf = workflow(tasks);
  const start = process.hrtime.bigint();
  const { state } = await runWorkflow({ store: createMemoryStore(), workflow: wf, concurrency });
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  if (state.status !== 'succeeded') throw new Error(`bench run ${state.status}`);
  return elapsed / tasks.length;
}

/** The floor: a ready queue, a dependants list and per-task state, with an await per task. */
export async function bareQueueMicrosPerTask(tasks: TaskSpec[]): Promise<number> {
  const start = process.hrtime.bigint();
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const state = new Map<string, { status: string; outputs: object }>();
  for (const t of tasks) {
    waiting.set(t.id, t.depends_on.length);
    state.set(t.id, { status: 'pending', outputs: {} });
    for (const d of t.depends_on) {
      const list = dependents.get(d) ?? [];
      list.push(t.id);
      dependents.set(d, list);
    }
  }
  const ready = tasks.filter((t) => t.depends_on.length === 0).map((t) => t.id);
  while (ready.length > 0) {
    const id = ready.shift()!;
    await Promise.resolve();
    state.get(id)!.status = 'succeeded';
    for (const d of dependents.get(id) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  return Number(process.hrtime.bigint() - start) / 1000 / tasks.length;
}
