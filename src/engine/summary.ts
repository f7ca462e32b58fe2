import type { Compensation, RunStatus, RunWait, TaskError, TaskStatus } from '../store/events.js';
import type { TaskSpec } from '../spec/model.js';
import { activeMs } from '../store/active-time.js';
import type { RunState, TaskState } from './state.js';

/**
 * The one document a run is summed up in: what `baton run --json` prints and what the
 * human summary is drawn from. Its shape is part of baton's interface (docs/cli.md):
 * fields are only ever added, never renamed or removed.
 */
export interface RunSummary {
  run_id: string;
  workflow: { name: string; version?: string };
  status: RunStatus;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  error?: TaskError;
  /** A failed or cancelled run whose succeeded tasks were undone: how that went (engine/compensation.ts). */
  compensation?: Compensation;
  counts: TaskCounts;
  tasks: TaskSummary[];
  /** A code run: what it runs (a workflow's code, or a script). */
  code?: { language: 'js' | 'script'; file: string };
  /** What a code run reports back: what it set (ctx.summary, `baton summary`), or a script's last lines; at most SUMMARY_LIMIT bytes. */
  summary?: string;
  /** What a code run's function returned, or a workflow's `outputs:` (JSON), when it is small enough to show (at most SUMMARY_LIMIT bytes of JSON). */
  result?: unknown;
  /** A waiting run: what it waits for. */
  waits?: RunWait[];
  /** A cancelled run: why (cancelled by someone, or skipped: its concurrency key was busy). */
  reason?: string;
}

/** Bytes of a code run's summary (and result) shown at most: BATON_SUMMARY_LIMIT, default 4 KiB. */
export function summaryLimit(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.BATON_SUMMARY_LIMIT);
  return Number.isInteger(value) && value > 0 ? value : 4096;
}

/** `text` cut to `limit` bytes of UTF-8, keeping its end (a script's last lines matter most). */
export function boundedText(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const bytes = Buffer.from(text);
  const kept = bytes.subarray(bytes.length - limit).toString('utf8').replace(/^\uFFFD+/, '');
  return `[... ${bytes.length - Buffer.byteLength(kept)} bytes cut]\n${kept}`;
}

export interface TaskSummary {
  id: string;
  name?: string;
  type: string;
  /** The composite this task is inside, if any. */
  parent?: string;
  status: TaskStatus;
  attempts: number;
  duration_ms?: number;
  exit_code?: number;
  outputs?: Record<string, unknown>;
  error?: TaskError;
  /** Why it was skipped or cancelled. */
  reason?: string;
  /** The attempt from which its fallback ran instead of it (its own attempts all failed). */
  fallback_from?: number;
}

/**
 * How many tasks a run has, by status: every task that can appear in its summary (static
 * tasks, callbacks included, and loop iterations once their loop has started). The one
 * count behind the summary, `history`, `status` and their `--json`.
 */
export type TaskCounts = Record<TaskStatus, number> & { total: number };

export function countTasks(tasks: Iterable<{ status: TaskStatus }>): TaskCounts {
  const counts: TaskCounts = { pending: 0, ready: 0, running: 0, waiting: 0, retrying: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, total: 0 };
  for (const task of tasks) {
    counts[task.status]++;
    counts.total++;
  }
  return counts;
}

/**
 * The tasks a run will have, as far as can be told before it goes: what countTasks counts
 * now, plus the iterations of loops not started yet whose items are written in the file.
 * `openLoops`: loops whose items are computed when they start (their iterations are not
 * in `count`).
 */
export function plannedTasks(state: RunState): { count: number; openLoops: number } {
  let count = state.nodes.size;
  let openLoops = 0;
  /** Tasks one copy of `spec` adds, the task itself included. */
  const size = (spec: TaskSpec): number => {
    switch (spec.type) {
      case 'parallel':
        return 1 + spec.tasks.reduce((n, child) => n + size(child), 0);
      case 'conditional':
        return 1 + (spec.then ? size(spec.then) : 0) + (spec.else ? size(spec.else) : 0);
      case 'loop':
        if (!Array.isArray(spec.items)) {
          openLoops++;
          return 1;
        }
        return 1 + spec.items.length * size(spec.task);
      default:
        return 1;
    }
  };
  for (const [key, node] of state.nodes) {
    if (node.spec.type === 'loop' && !state.loopChildren.has(key)) count += size(node.spec) - 1;
  }
  return { count, openLoops };
}

/**
 * A task's duration once it ended: the running time of its attempts (store/active-time.ts),
 * not the waits between them. Undefined for a task that never started or has not ended.
 */
export function taskDurationMs(task: TaskState): number | undefined {
  if (task.firstStartedAt === undefined || task.endedAt === undefined) return undefined;
  return activeMs(task, task.endedAt);
}

export function summarize(state: RunState): RunSummary {
  const tasks: TaskSummary[] = [];
  for (const key of treeOrder(state)) {
    const task = state.task(key);
    const node = state.nodes.get(key)!;
    const summary: TaskSummary = { id: key, type: (state.code === undefined ? undefined : node.step?.kind) ?? node.spec.type, status: task.status, attempts: task.attempt };
    if (node.spec.name) summary.name = node.spec.name;
    if (node.parent) summary.parent = node.parent;
    const took = taskDurationMs(task);
    if (took !== undefined) summary.duration_ms = took;
    if (task.exitCode !== undefined) summary.exit_code = task.exitCode;
    if (task.outputs && Object.keys(task.outputs).length > 0) summary.outputs = task.outputs;
    if (task.error && task.status === 'failed') summary.error = task.error;
    if (task.reason) summary.reason = task.reason;
    if (task.fallbackFrom !== undefined) summary.fallback_from = task.fallbackFrom;
    tasks.push(summary);
  }
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    run_id: state.runId,
    workflow: { name: state.plan.workflow.name, version: state.plan.workflow.version },
    status: state.status,
    started_at: iso(state.startedAt),
    ended_at: iso(state.endedAt),
    // A waiting run's active time so far (its waits are not in it).
    duration_ms: state.endedAt !== undefined ? activeMs(state.activity, state.endedAt) : state.status === 'waiting' ? activeMs(state.activity, state.lastAt) : undefined,
    error: state.runError,
    ...(state.compensated !== undefined ? { compensation: state.compensated } : {}),
    ...(state.status === 'cancelled' && state.cancelReason !== undefined ? { reason: state.cancelReason } : {}),
    counts: countTasks(tasks),
    tasks,
    ...reportedParts(state),
  };
}

/**
 * What a run reports back, bounded: its result (a code run's return value, a workflow's
 * `outputs:`), what a waiting run waits for, and for a code run its summary.
 */
function reportedParts(state: RunState): Partial<RunSummary> {
  const limit = summaryLimit();
  const out: Partial<RunSummary> = {};
  if (state.result !== undefined) {
    const json = JSON.stringify(state.result);
    if (json !== undefined && Buffer.byteLength(json) <= limit) out.result = state.result;
  }
  if (state.status === 'waiting' && state.waits.length > 0) out.waits = [...state.waits];
  if (state.code === undefined) return out;
  out.code = { language: state.code.language, file: state.code.file };
  if (state.summary !== undefined) out.summary = boundedText(state.summary, limit);
  return out;
}

/** Task keys in file order, each composite followed by what it contains (loop iterations included). */
function treeOrder(state: RunState): string[] {
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const [key, node] of state.nodes) {
    if (node.parent === undefined) roots.push(key);
    else {
      const list = children.get(node.parent);
      if (list) list.push(key);
      else children.set(node.parent, [key]);
    }
  }
  const out: string[] = [];
  const visit = (key: string) => {
    out.push(key);
    for (const child of children.get(key) ?? []) visit(child);
  };
  roots.forEach(visit);
  return out;
}
