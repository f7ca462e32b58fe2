/**
 * `baton metrics` as a fold over what the store keeps (store/run-stats.ts): run records and
 * task rows, both projections of the event log. Pure: no store, no clock. Every figure is
 * defined in types.ts; the choices that are not obvious are said here.
 *
 * - Success rate counts finished runs only: a run still going has not succeeded or failed.
 * - Durations are those of runs that succeeded or failed: a cancelled run stopped part-way
 *   (or never started, skipped for its concurrency key), so its time says nothing of how
 *   long the workflow takes.
 * - A task row whose run is not among the runs read (created between the two reads of a
 *   store that reads them apart) is left out.
 */
import { runDurationMs } from '../../store/active-time.js';
import type { StatsRows, StatsRun, StatsTask } from '../../store/run-stats.js';
import { mean, spread, type Spread } from './percentiles.js';
import { taskGroup } from './task-group.js';
import type { Bottleneck, RunCounts, TaskMetrics, WorkflowMetrics } from './types.js';

/** How many bottlenecks the document lists. */
export const BOTTLENECKS = 5;

/** A workflow's slowest run before its critical path is read (runs/metrics.ts reads it). */
export interface SlowestCandidate {
  run_id: string;
  status: string;
  duration_ms: number;
}

export interface Folded {
  totals: RunCounts;
  /** By workflow name; `slowest_run` not set (see `slowest`). */
  workflows: WorkflowMetrics[];
  /** Each workflow's run with the longest duration among those that succeeded or failed. */
  slowest: Map<string, SlowestCandidate>;
}

interface TaskAcc {
  task: string;
  runs: number;
  succeeded: number;
  failed: number;
  retries: number;
  durations: number[];
  waited: number;
  waits: number;
}

interface WorkflowAcc {
  counts: RunCounts;
  durations: number[];
  retries: number;
  tasks: Map<string, TaskAcc>;
  slowest?: SlowestCandidate;
}

export function foldMetrics(rows: StatsRows): Folded {
  const totals = newCounts();
  const byWorkflow = new Map<string, WorkflowAcc>();
  const runOf = new Map<string, { run: StatsRun; acc: WorkflowAcc; firstStart?: number }>();
  for (const run of rows.runs) {
    let acc = byWorkflow.get(run.workflow);
    if (!acc) byWorkflow.set(run.workflow, (acc = { counts: newCounts(), durations: [], retries: 0, tasks: new Map() }));
    count(totals, run);
    count(acc.counts, run);
    runOf.set(run.id, { run, acc });
    if (run.status !== 'succeeded' && run.status !== 'failed') continue;
    const duration = runDurationMs(run);
    if (duration === undefined) continue;
    acc.durations.push(duration);
    if (acc.slowest === undefined || duration > acc.slowest.duration_ms) acc.slowest = { run_id: run.id, status: run.status, duration_ms: duration };
  }
  // Runs of a workflow repeat the same keys: each is grouped once.
  const groups = new Map<string, string>();
  const groupOf = (key: string) => groups.get(key) ?? (groups.set(key, taskGroup(key)), groups.get(key)!);
  for (const task of rows.tasks) {
    const owner = runOf.get(task.run_id);
    if (!owner) continue;
    if (task.first_started_at !== undefined) owner.firstStart = Math.min(owner.firstStart ?? Infinity, task.first_started_at);
    addTask(owner.acc, task, groupOf(task.key));
  }
  const waits = new Map<WorkflowAcc, { total: number; count: number }>();
  for (const { run, acc, firstStart } of runOf.values()) {
    if (firstStart === undefined) continue;
    const wait = waits.get(acc) ?? { total: 0, count: 0 };
    wait.total += Math.max(0, firstStart - run.created_at);
    wait.count++;
    waits.set(acc, wait);
  }
  finishRate(totals);
  const workflows: WorkflowMetrics[] = [];
  const slowest = new Map<string, SlowestCandidate>();
  for (const name of [...byWorkflow.keys()].sort()) {
    const acc = byWorkflow.get(name)!;
    finishRate(acc.counts);
    const wait = waits.get(acc);
    const out = { workflow: name, ...acc.counts } as WorkflowMetrics;
    timed(out, spread(acc.durations), acc.retries, wait && mean(wait.total, wait.count));
    out.tasks = [...acc.tasks.values()].map(taskMetrics);
    workflows.push(out);
    if (acc.slowest) slowest.set(name, acc.slowest);
  }
  return { totals, workflows, slowest };
}

/**
 * The slowest tasks over every workflow, by p95 then max: where the time goes. Composites
 * (a parallel, a loop) last as long as what is inside them, so they are left out: those
 * `isComposite` names, and any task another task is under (`envs` when `envs[*]` is there).
 */
export function bottlenecks(workflows: readonly WorkflowMetrics[], isComposite: (workflow: string, task: string) => boolean = () => false, limit = BOTTLENECKS): Bottleneck[] {
  const out: Bottleneck[] = [];
  for (const flow of workflows) {
    const names = flow.tasks.map((t) => t.task);
    for (const task of flow.tasks) {
      if (task.duration_ms === undefined || isComposite(flow.workflow, task.task)) continue;
      if (names.some((other) => other.startsWith(`${task.task}[`))) continue;
      out.push({ workflow: flow.workflow, task: task.task, runs: task.runs, duration_ms: task.duration_ms });
    }
  }
  out.sort((a, b) => b.duration_ms.p95 - a.duration_ms.p95 || b.duration_ms.max - a.duration_ms.max || a.workflow.localeCompare(b.workflow) || a.task.localeCompare(b.task));
  return out.slice(0, limit);
}

function addTask(acc: WorkflowAcc, row: StatsTask, name: string): void {
  const retries = Math.max(0, row.attempt - 1);
  acc.retries += retries;
  let task = acc.tasks.get(name);
  if (!task) acc.tasks.set(name, (task = { task: name, runs: 0, succeeded: 0, failed: 0, retries: 0, durations: [], waited: 0, waits: 0 }));
  task.retries += retries;
  if (row.first_started_at === undefined) return;
  task.runs++;
  if (row.status === 'succeeded') task.succeeded++;
  if (row.status === 'failed') task.failed++;
  if ((row.status === 'succeeded' || row.status === 'failed') && row.ended_at !== undefined) task.durations.push(Math.max(0, row.ended_at - row.first_started_at));
  if (row.ready_at !== undefined) {
    task.waited += Math.max(0, row.first_started_at - row.ready_at);
    task.waits++;
  }
}

function taskMetrics(acc: TaskAcc): TaskMetrics {
  const out = { task: acc.task, runs: acc.runs, succeeded: acc.succeeded, failed: acc.failed } as TaskMetrics;
  return timed(out, spread(acc.durations), acc.retries, mean(acc.waited, acc.waits));
}

/** Adds the figures after the counts, in the document's order; those without a value are left out. */
function timed<T extends { duration_ms?: Spread; retries: number; queue_wait_ms?: number }>(out: T, duration: Spread | undefined, retries: number, queueWait: number | undefined): T {
  out.retries = retries;
  if (duration !== undefined) out.duration_ms = duration;
  if (queueWait !== undefined) out.queue_wait_ms = queueWait;
  return out;
}

function newCounts(): RunCounts {
  return { runs: 0, succeeded: 0, failed: 0, cancelled: 0, unfinished: 0 };
}

function count(counts: RunCounts, run: StatsRun): void {
  counts.runs++;
  if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') counts[run.status]++;
  else counts.unfinished++;
}

function finishRate(counts: RunCounts): void {
  const finished = counts.succeeded + counts.failed + counts.cancelled;
  if (finished > 0) counts.success_rate = Math.round((counts.succeeded / finished) * 10_000) / 100;
}
