/**
 * `baton metrics --json` over a SQLite store of 10,000 runs (issue 14: "well under a second
 * or two"), the whole process timed as a person runs it. The store is filled by writing
 * each run's events as the engine records them (a six-task graph: build, then test and
 * lint, then a deploy, a smoke check and a report; some runs retry a test, some fail),
 * one createRun per run, spread over the last six days of two workflows.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { shell, workflow } from '../src/engine/test-dsl.js';
import type { TimedEvent } from '../src/store/events.js';
import { newRunId } from '../src/store/ids.js';
import { openStore } from '../src/store/open.js';
import { inTempDir } from './sqlite-overhead.js';

export interface MetricsFigures {
  runs: number;
  tasks: number;
  /** Filling the store (not a figure of metrics; said so the bench's time is explained). */
  seedMs: number;
  /** Best of a few `baton metrics --json` runs, every workflow, and one `--workflow`. */
  allMs: number;
  oneMs: number;
  /** Best of a few `baton history --limit 1 --json` on the same store: starting baton and opening the store. */
  baselineMs: number;
}

const TASKS = [
  shell('build', 'make'),
  shell('test', 'make test', { depends_on: ['build'] }),
  shell('lint', 'make lint', { depends_on: ['build'] }),
  shell('deploy', './deploy.sh', { depends_on: ['test', 'lint'] }),
  shell('smoke', './smoke.sh', { depends_on: ['deploy'] }),
  shell('report', './report.sh', { depends_on: ['smoke'] }),
];

/** A run's events: `i` picks its durations, whether its test retries (1 in 10) and whether its deploy fails (1 in 25). */
function runEvents(name: string, at: number, i: number): TimedEvent[] {
  const events: TimedEvent[] = [{ type: 'RunCreated', workflow: workflow(TASKS, { name }), inputs: {}, env: {}, at }, { type: 'RunStarted', at: at + 2 }];
  const ended = new Map<string, number>();
  let failed = false;
  for (const task of TASKS) {
    const ready = Math.max(at + 3, ...task.depends_on.map((dep) => ended.get(dep)!));
    if (failed) {
      events.push({ type: 'TaskSkipped', task: task.id, reason: 'deploy failed', at: ready });
      ended.set(task.id, ready);
      continue;
    }
    let start = ready + (i % 7);
    events.push({ type: 'TaskReady', task: task.id, at: ready }, { type: 'TaskStarted', task: task.id, attempt: 1, at: start });
    let attempt = 1;
    if (task.id === 'test' && i % 10 === 0) {
      events.push({ type: 'TaskFailed', task: task.id, attempt, error: { code: 'EXEC_EXIT_CODE', message: 'exit 1', exit_code: 1 }, retryable: true, at: start + 500 });
      events.push({ type: 'TaskRetryScheduled', task: task.id, attempt, at_due: start + 1500, at: start + 500 });
      start += 1500;
      attempt = 2;
      events.push({ type: 'TaskReady', task: task.id, at: start }, { type: 'TaskStarted', task: task.id, attempt, at: start });
    }
    const end = start + 100 + ((i * 37 + task.id.length * 101) % 2000);
    if (task.id === 'deploy' && i % 25 === 0) {
      events.push({ type: 'TaskFailed', task: task.id, attempt, error: { code: 'EXEC_EXIT_CODE', message: 'exit 2', exit_code: 2 }, retryable: false, at: end });
      failed = true;
    } else {
      events.push({ type: 'TaskSucceeded', task: task.id, attempt, outputs: {}, exit_code: 0, at: end });
    }
    ended.set(task.id, end);
  }
  const last = Math.max(...ended.values()) + 1;
  events.push(failed ? { type: 'RunFailed', error: { code: 'RUN_TASK_FAILED', message: 'task deploy failed' }, at: last } : { type: 'RunSucceeded', at: last });
  return events;
}

/** A SQLite store at `file` holding `runs` runs over the last six days. */
export async function seedMetricsStore(file: string, runs: number, now = Date.now()): Promise<number> {
  const store = openStore(file);
  const start = performance.now();
  try {
    const spacing = Math.floor((6 * 86_400_000) / runs);
    for (let i = 0; i < runs; i++) {
      const at = now - 6 * 86_400_000 + i * spacing;
      const name = i % 3 === 0 ? 'nightly-backup' : 'deploy';
      await store.runs.createRun({ id: newRunId(at), workflow: name, created_at: at }, runEvents(name, at, i));
    }
  } finally {
    await store.close();
  }
  return performance.now() - start;
}

/** The best time of `times` runs of `baton ARGS` (whole processes), each checked by `check`. */
function timeCli(baton: string, args: string[], times: number, check: (stdout: string) => boolean): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, [baton, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - start;
    if (result.status !== 0 || !check(result.stdout)) throw new Error(`baton ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout.slice(0, 500)}`);
    best = Math.min(best, ms);
  }
  return best;
}

const sawRuns = (stdout: string) => (JSON.parse(stdout) as { totals: { runs: number } }).totals.runs > 0;

export async function metricsFigures(baton: string, runs = 10_000): Promise<MetricsFigures> {
  return inTempDir('baton-metrics-bench-', async (dir) => {
    const file = path.join(dir, 'baton.db');
    const seedMs = await seedMetricsStore(file, runs);
    const store = ['--store', file];
    timeCli(baton, ['metrics', '--json', ...store], 1, sawRuns); // warm-up: the code cache, the file in the page cache
    return {
      runs,
      tasks: runs * TASKS.length,
      seedMs,
      allMs: timeCli(baton, ['metrics', '--json', ...store], 5, sawRuns),
      oneMs: timeCli(baton, ['metrics', '--json', '--workflow', 'deploy', ...store], 5, sawRuns),
      baselineMs: timeCli(baton, ['history', '--limit', '1', '--json', ...store], 5, (out) => (JSON.parse(out) as unknown[]).length === 1),
    };
  });
}
