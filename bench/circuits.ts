/**
 * The cost per task of the resilience patterns a task may name when nothing fails: a
 * closed circuit breaker (docs/decisions/0025-circuit-breakers.md), and a `compensate:`
 * (docs/decisions/0023-compensation.md: what it costs is keeping the order of successes; a
 * compensation plan is recorded only when a run fails). The 10,000-noop chain of
 * engine-overhead.ts, once as it is and once with every task naming the pattern, on the
 * memory store and on a fresh SQLite file. Runs of the two kinds alternate and the best of
 * each is kept, so the machine's drift hits both alike.
 */
import path from 'node:path';
import { runWorkflow } from '../src/engine/runner.js';
import { workflow } from '../src/engine/test-dsl.js';
import type { TaskSpec } from '../src/spec/model.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import type { Store } from '../src/store/store.js';
import { chain } from './engine-overhead.js';
import { inTempDir } from './sqlite-overhead.js';

const CIRCUITS = { 'payments-api': { failures: 3, window: 60_000, open_for: 30_000, probes: 1 } };

export interface CircuitFigures {
  /** µs per task without the pattern, and with every task naming it. */
  plainUs: number;
  circuitUs: number;
}

/** What every task of the chain names: a closed circuit, or a compensation. */
export type Pattern = 'circuit' | 'compensate';

const UNDO: TaskSpec = { id: 'undo', explicit_id: false, type: 'noop', depends_on: [], on_success: [], on_failure: [], outputs: {}, live_output: false, continue_on_error: false, environment: {} };

async function microsPerTask(store: Store, tasks: TaskSpec[], pattern: Pattern | undefined): Promise<number> {
  const specs = pattern === 'circuit' ? tasks.map((task) => ({ ...task, circuit: 'payments-api' })) : pattern === 'compensate' ? tasks.map((task) => ({ ...task, compensate: { ...UNDO, id: `${task.id}.compensate` } as never })) : tasks;
  const wf = workflow(specs, pattern === 'circuit' ? { circuits: CIRCUITS } : {});
  const start = process.hrtime.bigint();
  const { state } = await runWorkflow({ store, owner: currentOwner(), workflow: wf, concurrency: 16 });
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  if (state.status !== 'succeeded') throw new Error(`circuit bench run ${state.status}`);
  return elapsed / tasks.length;
}

/** The best of `times` alternating runs of each kind, on stores `open` makes (one per run). */
async function compare(n: number, times: number, open: () => Promise<{ store: Store; done: () => Promise<void> }>, pattern: Pattern): Promise<CircuitFigures> {
  let plainUs = Infinity;
  let circuitUs = Infinity;
  for (let i = 0; i < times; i++) {
    for (const withCircuit of i % 2 === 0 ? [false, true] : [true, false]) {
      const { store, done } = await open();
      try {
        const us = await microsPerTask(store, chain(n), withCircuit ? pattern : undefined);
        if (withCircuit) circuitUs = Math.min(circuitUs, us);
        else plainUs = Math.min(plainUs, us);
      } finally {
        await done();
      }
    }
  }
  return { plainUs, circuitUs };
}

export function memoryCircuitFigures(n: number, times: number, pattern: Pattern = 'circuit'): Promise<CircuitFigures> {
  return compare(
    n,
    times,
    async () => {
      const store = createMemoryStore();
      return { store, done: () => store.close() };
    },
    pattern,
  );
}

export function sqliteCircuitFigures(n: number, times: number, pattern: Pattern = 'circuit'): Promise<CircuitFigures> {
  return inTempDir('baton-bench-circuits-', (dir) => {
    let count = 0;
    return compare(
      n,
      times,
      async () => {
        const store = openStore(path.join(dir, `bench-${count++}.db`));
        return { store, done: () => store.close() };
      },
      pattern,
    );
  });
}
