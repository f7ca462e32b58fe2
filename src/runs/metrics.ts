/**
 * `baton metrics`, GET /api/metrics and the MCP `metrics` tool: one implementation. The
 * window's run and task rows come from the store in one read (RunStore.runStats) and are
 * folded (observability/metrics/fold.ts); then, for each workflow, its slowest run's
 * events are replayed to know its graph, for the critical path and the task types.
 */
import { replayRun } from '../engine/resume.js';
import type { RunState } from '../engine/state.js';
import { criticalPath, type PathNode } from '../observability/metrics/critical-path.js';
import { bottlenecks, foldMetrics, type SlowestCandidate } from '../observability/metrics/fold.js';
import { taskGroup } from '../observability/metrics/task-group.js';
import type { MetricsJson, SlowestRun, TaskMetrics, WorkflowMetrics } from '../observability/metrics/types.js';
import type { Store } from '../store/store.js';

export interface MetricsQuery {
  /** Runs created at or after this time (ms since epoch). */
  since: number;
  /** Only this workflow's runs; default every workflow's. */
  workflow?: string;
  /** Only this namespace's runs; default every namespace's (a scoped store keeps to its own anyway). */
  namespace?: string;
  /** When it is read (ms since epoch); default the clock's now. */
  now?: number;
}

const COMPOSITES = new Set(['parallel', 'loop', 'conditional', 'map']);

export async function readMetrics(store: Store, query: MetricsQuery): Promise<MetricsJson> {
  const until = query.now ?? Date.now();
  const rows = await store.runs.runStats({ since: query.since, ...(query.workflow === undefined ? {} : { workflow: query.workflow }), ...(query.namespace === undefined ? {} : { namespace: query.namespace }) });
  const folded = foldMetrics(rows);
  const types = new Map<string, Map<string, string>>();
  const workflows: WorkflowMetrics[] = [];
  for (const flow of folded.workflows) {
    const slowest = folded.slowest.get(flow.workflow);
    if (slowest === undefined) {
      workflows.push(flow);
      continue;
    }
    const state = replayRun(slowest.run_id, await store.runs.readEvents(slowest.run_id));
    const typeOf = taskTypes(state);
    types.set(flow.workflow, typeOf);
    workflows.push({ ...flow, tasks: flow.tasks.map((task) => typed(task, typeOf.get(task.task))), slowest_run: slowestRun(slowest, state) });
  }
  const isComposite = (workflow: string, task: string) => COMPOSITES.has(types.get(workflow)?.get(task) ?? '');
  return {
    since: new Date(query.since).toISOString(),
    until: new Date(until).toISOString(),
    ...(query.workflow === undefined ? {} : { workflow: query.workflow }),
    totals: folded.totals,
    workflows,
    bottlenecks: bottlenecks(workflows, isComposite),
  };
}

/** The type of each task of the run (a code run's steps: their kind), by task group. */
function taskTypes(state: RunState): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, node] of state.nodes) {
    const group = taskGroup(key);
    if (!out.has(group)) out.set(group, node.step?.kind ?? node.spec.type);
  }
  return out;
}

function typed(task: TaskMetrics, type: string | undefined): TaskMetrics {
  if (type === undefined) return task;
  const { task: name, ...rest } = task;
  return { task: name, type, ...rest };
}

function slowestRun(slowest: SlowestCandidate, state: RunState): SlowestRun {
  const nodes = new Map<string, PathNode>();
  for (const [key, node] of state.nodes) {
    const task = state.tasks.get(key);
    nodes.set(key, {
      key,
      deps: node.deps,
      ...(node.parent === undefined ? {} : { parent: node.parent }),
      ...(task?.trigger === undefined ? {} : { trigger: task.trigger }),
      ...(task?.firstStartedAt === undefined ? {} : { start: task.firstStartedAt }),
      ...(task?.endedAt === undefined ? {} : { end: task.endedAt }),
    });
  }
  const path = criticalPath({ nodes, byTime: state.code !== undefined, createdAt: state.createdAt });
  return {
    ...slowest,
    critical_path: path.map((link) => ({
      task: link.key,
      started_at: new Date(link.start).toISOString(),
      ended_at: new Date(link.end).toISOString(),
      duration_ms: link.end - link.start,
      waited_ms: link.waited,
    })),
  };
}
