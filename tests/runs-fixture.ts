/**
 * Runs recorded straight through the engine into a real SQLite store, for the tests of
 * the commands that read runs (history, status, logs, export, import): they need runs to
 * exist, not `baton run`.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { runWorkflow } from '../src/engine/runner.js';
import { parseWorkflow } from '../src/spec/index.js';
import type { Workflow } from '../src/spec/model.js';
import type { StoredEvent, TimedEvent } from '../src/store/events.js';
import { newRunId } from '../src/store/ids.js';
import { openStore } from '../src/store/open.js';
import type { RunOwner, Store } from '../src/store/store.js';
import { tempDir } from './helpers.js';

export function workflowOf(yaml: string): Workflow {
  const loaded = parseWorkflow(yaml, 'flow.yaml');
  if (!loaded.workflow) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.workflow;
}

/** Opens the store in `db`, gives it to `use`, and closes it whatever happens. */
export async function withStore<T>(db: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(db);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Runs a workflow to its end, recorded in the store in `db`; returns the run id. */
export async function recordRun(db: string, yaml: string, options: { owner?: RunOwner; inputs?: Record<string, unknown> } = {}): Promise<string> {
  return withStore(db, async (store) => {
    const result = await runWorkflow({ store, workflow: workflowOf(yaml), scratchRoot: tempDir(), owner: options.owner, inputs: options.inputs });
    return result.runId;
  });
}

/** A pid no process has any more: a child that has exited (and been reaped). */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/**
 * A run left as a crash leaves it: started, one task running, its owner a process that is
 * gone. `baton status` shows it as interrupted.
 */
export async function recordInterruptedRun(db: string, name = 'nightly'): Promise<string> {
  const wf = workflowOf(`name: ${name}\ntasks:\n  - id: sync\n    command: echo syncing\n`);
  const at = Date.now();
  const id = newRunId(at);
  const owner: RunOwner = { host: hostname(), pid: deadPid(), started_at: at - 1000 };
  const events: TimedEvent[] = [
    { type: 'RunCreated', workflow: wf, inputs: {}, env: {}, at },
    { type: 'RunStarted', at },
    { type: 'TaskReady', task: 'sync', at },
    { type: 'TaskStarted', task: 'sync', attempt: 1, at },
  ];
  await withStore(db, (store) => store.runs.createRun({ id, workflow: name, created_at: at, owner }, events));
  return id;
}

/** A finished run created `daysAgo` days ago (for --since). */
export async function recordOldRun(db: string, daysAgo: number, name = 'archive'): Promise<string> {
  const wf = workflowOf(`name: ${name}\ntasks:\n  - id: noop\n    type: noop\n`);
  const at = Date.now() - daysAgo * 86_400_000;
  const id = newRunId(at);
  const events: TimedEvent[] = [
    { type: 'RunCreated', workflow: wf, inputs: {}, env: {}, at },
    { type: 'RunStarted', at },
    { type: 'TaskReady', task: 'noop', at },
    { type: 'TaskStarted', task: 'noop', attempt: 1, at },
    { type: 'TaskSucceeded', task: 'noop', attempt: 1, outputs: {}, at: at + 5 },
    { type: 'RunSucceeded', at: at + 6 },
  ];
  await withStore(db, (store) => store.runs.createRun({ id, workflow: name, created_at: at }, events));
  return id;
}

export async function eventsOf(db: string, runId: string): Promise<StoredEvent[]> {
  return withStore(db, (store) => store.runs.readEvents(runId));
}

export function dbIn(dir: string, name = 'runs.db'): string {
  return path.join(dir, name);
}
