/**
 * What `baton monitor` costs its store per refresh (runs/overview.ts): a SQLite store of
 * 100,000 runs ended over two days (a tenth failed) and 20 running ones of 50 tasks each,
 * read as the monitor reads it twice a second. The baseline is what counting the last
 * day's failures would cost by reading the day's runs instead of counting them in the
 * store's indexes.
 */
import path from 'node:path';
import { OverviewReader } from '../src/runs/overview.js';
import type { TimedEvent } from '../src/store/events.js';
import { currentOwner } from '../src/store/ownership.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/store.js';
import { inTempDir } from './sqlite-overhead.js';

export interface MonitorFigures {
  runs: number;
  /** The first read (every unfinished run's events read whole), and the median of those after. */
  firstMs: number;
  medianMs: number;
  /** Reading the last day's runs to count their failures, as a naive dashboard would. */
  naiveMs: number;
}

const RUNNING = 20;
const TASKS = 50;

export async function monitorFigures(runs: number, reads: number): Promise<MonitorFigures> {
  return inTempDir('baton-bench-monitor-', async (dir) => {
    const store = openSqliteStore(path.join(dir, 'baton.db'));
    try {
      const now = Date.now();
      await fill(store, runs, now);
      const reader = new OverviewReader(store);
      let start = performance.now();
      const first = await reader.read();
      const firstMs = performance.now() - start;
      if (first.active.length !== RUNNING || first.counts.failed_24h === 0) throw new Error(`monitor bench: unexpected overview ${JSON.stringify(first.counts)}`);
      const times: number[] = [];
      for (let i = 0; i < reads; i++) {
        start = performance.now();
        await reader.read();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      start = performance.now();
      const day = await store.runs.listRuns({ since: now - 86_400_000, limit: runs });
      const failed = day.filter((run) => run.status === 'failed').length;
      const naiveMs = performance.now() - start;
      if (failed === 0) throw new Error('monitor bench: no failed runs read');
      return { runs, firstMs, medianMs: times[Math.floor(times.length / 2)], naiveMs };
    } finally {
      await store.close();
    }
  });
}

/** `runs` ended runs over the last two days, and RUNNING live ones with TASKS tasks each, half of them running with progress. */
export async function fill(store: Store, runs: number, now: number): Promise<void> {
  const created = (name: string, at: number, tasks: unknown[] = []): TimedEvent => ({ type: 'RunCreated', workflow: { name, tasks }, inputs: {}, env: {}, at }) as TimedEvent;
  for (let i = 0; i < runs; i++) {
    const at = now - 2 * 86_400_000 + Math.floor((i * 2 * 86_400_000) / runs);
    const end: TimedEvent = i % 10 === 0 ? { type: 'RunFailed', error: { code: 'RUN_TASK_FAILED', message: 'a task failed' }, at: at + 500 } : { type: 'RunSucceeded', at: at + 500 };
    await store.runs.createRun({ id: `E${String(i).padStart(9, '0')}`, workflow: `flow-${i % 20}`, created_at: at }, [created(`flow-${i % 20}`, at), { type: 'RunStarted', at: at + 1 }, end]);
  }
  const owner = currentOwner();
  for (let r = 0; r < RUNNING; r++) {
    const at = now - 60_000 + r;
    const keys = Array.from({ length: TASKS }, (_, t) => `task-${t}`);
    const specs = keys.map((id) => ({ id, type: 'shell', command: 'true' }));
    const id = `L${String(r).padStart(9, '0')}`;
    await store.runs.createRun({ id, workflow: 'live', created_at: at, owner }, [created('live', at, specs), { type: 'RunStarted', at: at + 1 }]);
    const events: TimedEvent[] = [];
    for (const [t, key] of keys.entries()) {
      events.push({ type: 'TaskReady', task: key, at: at + 2 }, { type: 'TaskStarted', task: key, attempt: 1, at: at + 3 });
      if (t % 2 === 0) events.push({ type: 'TaskSucceeded', task: key, attempt: 1, outputs: {}, exit_code: 0, at: at + 4 });
      else events.push({ type: 'TaskProgress', task: key, attempt: 1, percent: t, at: at + 5 });
    }
    await store.runs.append(id, events);
  }
}
