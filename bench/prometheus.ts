/**
 * What the /metrics collector alone costs a run (observability/prometheus/collector.ts): the
 * 10,000-noop chain of engine-overhead.ts, once plain and once with a collector following
 * the store's run feed in the same process as `baton serve` would (every 100 ms rather than
 * every second, so it reads throughout the run, and what it has not read when the run ends
 * is read before the clock stops), on the memory store and on a fresh SQLite file. Runs of
 * the two kinds alternate and the best of each is kept.
 */
import path from 'node:path';
import { runWorkflow } from '../src/engine/runner.js';
import { workflow } from '../src/engine/test-dsl.js';
import { MetricsCollector } from '../src/observability/prometheus/collector.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import type { Store } from '../src/store/store.js';
import { chain } from './engine-overhead.js';
import { inTempDir } from './sqlite-overhead.js';

export interface CollectorFigures {
  /** µs per task without a collector, and with one following the store. */
  plainUs: number;
  collectedUs: number;
  /** Events the collector read in its last run (4 per task and a few per run). */
  events: number;
}

async function oneRun(store: Store, n: number, collect: boolean): Promise<{ us: number; events: number }> {
  const start = process.hrtime.bigint();
  const collector = collect ? await MetricsCollector.start({ store, everyMs: 100 }) : undefined;
  try {
    const { state } = await runWorkflow({ store, owner: currentOwner(), workflow: workflow(chain(n)), concurrency: 16 });
    if (state.status !== 'succeeded') throw new Error(`collector bench run ${state.status}`);
    // What the collector has not read when the run ends is part of the cost; a scrape (every
    // 15 s or so, not once per run) is not.
    const events = collector ? await collector.catchUp() : 0;
    const us = Number(process.hrtime.bigint() - start) / 1000 / n;
    if (collector && !(await collector.render()).includes('baton_tasks_finished_total{namespace="default",workflow="test",task="t1",status="succeeded"} 1')) throw new Error('collector bench: the collector missed a task');
    return { us, events };
  } finally {
    collector?.stop();
  }
}

async function compare(n: number, times: number, open: () => Store): Promise<CollectorFigures> {
  const figures: CollectorFigures = { plainUs: Infinity, collectedUs: Infinity, events: 0 };
  for (let i = 0; i < times; i++) {
    for (const collect of i % 2 === 0 ? [false, true] : [true, false]) {
      const store = open();
      try {
        const { us, events } = await oneRun(store, n, collect);
        if (collect) {
          figures.collectedUs = Math.min(figures.collectedUs, us);
          figures.events = events;
        } else figures.plainUs = Math.min(figures.plainUs, us);
      } finally {
        await store.close();
      }
    }
  }
  return figures;
}

export function memoryCollectorFigures(n: number, times: number): Promise<CollectorFigures> {
  return compare(n, times, createMemoryStore);
}

export function sqliteCollectorFigures(n: number, times: number): Promise<CollectorFigures> {
  return inTempDir('baton-bench-collector-', (dir) => {
    let count = 0;
    return compare(n, times, () => openStore(path.join(dir, `bench-${count++}.db`)));
  });
}
