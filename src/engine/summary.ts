import type { RunStatus, TaskError, TaskStatus } from '../store/events.js';
import type { RunState } from './state.js';

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
  counts: Record<TaskStatus, number> & { total: number };
  tasks: TaskSummary[];
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
}

export function summarize(state: RunState): RunSummary {
  const counts = {
    pending: 0,
    ready: 0,
    running: 0,
    retrying: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    total: 0,
  };
  const tasks: TaskSummary[] = [];
  for (const key of treeOrder(state)) {
    const task = state.task(key);
    const node = state.nodes.get(key)!;
    counts[task.status]++;
    counts.total++;
    const summary: TaskSummary = { id: key, type: node.spec.type, status: task.status, attempts: task.attempt };
    if (node.spec.name) summary.name = node.spec.name;
    if (node.parent) summary.parent = node.parent;
    if (task.firstStartedAt !== undefined && task.endedAt !== undefined) summary.duration_ms = task.endedAt - task.firstStartedAt;
    if (task.exitCode !== undefined) summary.exit_code = task.exitCode;
    if (task.outputs && Object.keys(task.outputs).length > 0) summary.outputs = task.outputs;
    if (task.error && task.status === 'failed') summary.error = task.error;
    if (task.reason) summary.reason = task.reason;
    tasks.push(summary);
  }
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    run_id: state.runId,
    workflow: { name: state.plan.workflow.name, version: state.plan.workflow.version },
    status: state.status,
    started_at: iso(state.startedAt),
    ended_at: iso(state.endedAt),
    duration_ms: state.startedAt !== undefined && state.endedAt !== undefined ? state.endedAt - state.startedAt : undefined,
    error: state.runError,
    counts,
    tasks,
  };
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
