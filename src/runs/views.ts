/**
 * Reading runs as their views (run-view.ts) from the store: one run with its tasks (`baton
 * status`, MCP get_run), and runs matching a filter (`baton history`, MCP list_runs).
 */
import type { RunStatus } from '../store/events.js';
import { displayStatus, type DisplayStatus } from '../store/ownership.js';
import { runNotFound } from '../store/errors.js';
import type { RunRecord, Store } from '../store/store.js';
import { countTasks, RunDigest, runJson, taskJson, type RunJson, type StatusJson, type TaskJson } from './run-view.js';
import { WaitExplainer } from './why-waiting.js';
import { queuePlaces } from './queue-wait.js';
import { circuitNow } from './circuits.js';

/**
 * Reads the run as it is now, each call; events are read once each, across calls (for
 * `status --watch`).
 */
export function snapshotter(store: Store, runId: string): () => Promise<StatusJson> {
  const digest = new RunDigest();
  const waits = new WaitExplainer(runId);
  return async () => {
    const record = await store.runs.getRun(runId);
    if (record === undefined) throw runNotFound(runId);
    digest.apply(await store.runs.readEvents(runId, digest.seq));
    const now = Date.now();
    const tasks = taskJson(await store.runs.listTasks(runId), digest, now, runId);
    await waits.explain(store, record, tasks, now);
    await circuitsOf(store, record.namespace, tasks, now);
    const position = record.status === 'queued' ? (await queuePlaces(store)).get(runId) : undefined;
    return { ...runJson(record, countTasks(tasks), now, digest, position), tasks };
  };
}

/** The run and its tasks, as `baton status --json` prints it. */
export function statusView(store: Store, runId: string): Promise<StatusJson> {
  return snapshotter(store, runId)();
}

export interface RunQuery {
  /** Only this namespace's runs. */
  namespace?: string;
  workflow?: string;
  status?: DisplayStatus;
  /** Only runs created at or after this time (ms since epoch). */
  since?: number;
  /** Only runs fired by this kind of trigger; `manual`: started by hand. */
  trigger?: string;
  limit: number;
  /** Only runs older than this one (the last of the previous page). */
  before?: { created_at: number; id: string };
}

/** Unfinished runs are few, so telling live ones from interrupted ones after the query is cheap. */
const UNFINISHED_SCAN = 1000;

/** The most recent runs matching `filter`, first the newest, as `baton history --json` prints them. */
export async function runViews(store: Store, filter: RunQuery, now = Date.now()): Promise<RunJson[]> {
  const runs: RunJson[] = [];
  const found = await findRuns(store, filter, now);
  const places = found.some((record) => record.status === 'queued') ? await queuePlaces(store) : undefined;
  for (const record of found) runs.push(runJson(record, countTasks(await store.runs.listTasks(record.id)), now, undefined, places?.get(record.id)));
  return runs;
}

export async function findRuns(store: Store, filter: RunQuery, now: number): Promise<RunRecord[]> {
  const { status, ...rest } = filter;
  if (status === undefined || status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'waiting' || status === 'queued') {
    return store.runs.listRuns({ ...rest, status });
  }
  // running, pending and interrupted are display statuses: a stored running or pending run is
  // interrupted when its owner is gone, so ask for both stored statuses and sort them out here.
  const stored: RunStatus[] = ['running', 'pending'];
  const found: RunRecord[] = [];
  for (const s of stored) found.push(...(await store.runs.listRuns({ ...rest, status: s, limit: Math.max(UNFINISHED_SCAN, filter.limit) })));
  return found
    .filter((run) => displayStatus(run, now) === status)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, filter.limit);
}

/** The circuit, as it is now, of each task its circuit refused last (CIRCUIT_OPEN): open still, or since closed. */
async function circuitsOf(store: Store, namespace: string, tasks: TaskJson[], now: number): Promise<void> {
  for (const task of tasks) {
    const name = task.error?.code === 'CIRCUIT_OPEN' ? task.error.circuit : undefined;
    if (name === undefined) continue;
    task.circuit = (await circuitNow(store, { namespace, name }, undefined, now)) ?? { namespace, name, state: 'closed', failures: 0 };
  }
}
