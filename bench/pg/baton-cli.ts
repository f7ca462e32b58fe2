/**
 * baton as a user runs it, for the PostgreSQL benchmark: `baton worker` processes and
 * `baton run` as whole processes on a store of its own, and what the run recorded, read
 * back from that store, so a run that skipped or lost its tasks cannot pass for a fast one.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadRun } from '../../src/engine/resume.js';
import type { RunState } from '../../src/engine/state.js';
import type { StoredEvent } from '../../src/store/events.js';
import { openStore } from '../../src/store/open.js';
import type { SpawnWorker } from './processes.js';

/** Attempts a baton worker runs at once in every figure (`baton worker --concurrency`). */
export const WORKER_CONCURRENCY = 64;

/** The environment of every baton process: a home of the benchmark's own, no colours. */
export function batonEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, BATON_HOME: path.join(dir, 'home'), NO_COLOR: '1' };
}

/** `baton worker` on `store`, as withWorkers starts it. */
export function batonWorker(baton: string, store: string, dir: string, label: string): SpawnWorker {
  return {
    label,
    args: [baton, 'worker', '--store', store, '--concurrency', String(WORKER_CONCURRENCY), '--name', label.replace(/\W+/g, '-')],
    ready: /worker .*: taking runs and tasks/,
    env: batonEnv(dir),
    cwd: dir,
  };
}

/**
 * Makes the store's schema before any worker starts, so no figure includes a migration
 * (and N workers do not all wait on the one that makes it).
 */
export async function migrateStore(store: string): Promise<void> {
  const opened = openStore(store);
  try {
    await opened.runs.listRuns({ limit: 1 });
  } finally {
    await opened.close();
  }
}

export interface CliRun {
  /** The whole process, from spawn to exit, in ms. */
  ms: number;
  runId: string;
  status: string;
}

/**
 * `baton run <file> --store <store> --view none --json` (plus `extra`) as its own process;
 * its wall time and what its summary says. Fails loudly when it exits non-zero, prints no
 * summary, or runs past `timeoutMs` (then it is killed).
 */
export async function cliRun(baton: string, file: string, store: string, dir: string, timeoutMs: number, extra: string[] = []): Promise<CliRun> {
  const args = [baton, 'run', file, '--store', store, '--view', 'none', '--json', ...extra];
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd: dir, env: batonEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit)));
  const ms = performance.now() - start;
  clearTimeout(timer);
  const what = `baton ${args.slice(1).join(' ')}`;
  if (child.signalCode === 'SIGKILL') throw new Error(`${what}: no end within ${timeoutMs / 1000} s, killed; its stderr ends:\n${stderr}`);
  if (code !== 0) throw new Error(`${what} exited ${code}; its stderr ends:\n${stderr}${stdout.slice(-1_000)}`);
  let summary: { run_id?: string; status?: string };
  try {
    summary = JSON.parse(stdout) as typeof summary;
  } catch {
    throw new Error(`${what} printed no JSON summary: ${stdout.slice(0, 500)}`);
  }
  if (!summary.run_id || !summary.status) throw new Error(`${what}: its summary names no run: ${stdout.slice(0, 500)}`);
  return { ms, runId: summary.run_id, status: summary.status };
}

export interface RecordedRun {
  state: RunState;
  events: StoredEvent[];
  /** ms from RunCreated to RunSucceeded, by the clocks of the processes that recorded them. */
  createdToEndMs: number;
  /** ms from RunStarted (a driver took it) to RunSucceeded. */
  startedToEndMs: number;
}

/** The run as `store` recorded it; fails unless it succeeded with `succeeded(state)` true. */
export async function recordedRun(store: string, runId: string, what: string, succeeded: (state: RunState) => string | undefined): Promise<RecordedRun> {
  const opened = openStore(store);
  try {
    const state = await loadRun(opened.runs, runId);
    const events = await opened.runs.readEvents(runId);
    if (state.status !== 'succeeded') throw new Error(`${what}: run ${runId} ended ${state.status}: ${state.runError?.message ?? ''}`);
    const wrong = succeeded(state);
    if (wrong !== undefined) throw new Error(`${what}: run ${runId}: ${wrong}`);
    const at = (type: StoredEvent['type']) => events.find((event) => event.type === type)?.at;
    const created = at('RunCreated');
    const started = at('RunStarted');
    const ended = at('RunSucceeded');
    if (created === undefined || started === undefined || ended === undefined) throw new Error(`${what}: run ${runId} recorded no RunCreated, RunStarted or RunSucceeded`);
    return { state, events, createdToEndMs: ended - created, startedToEndMs: ended - started };
  } finally {
    await opened.close();
  }
}

/** How many of the run's tasks whose key starts with `prefix` succeeded. */
export function succeededWith(state: RunState, prefix: string): number {
  let count = 0;
  for (const [key, task] of state.tasks) if (key.startsWith(prefix) && task.status === 'succeeded') count++;
  return count;
}
