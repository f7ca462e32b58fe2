/**
 * Checking a run's event log that came from outside (`baton import`, later the server's
 * import): every event must be one the engine could have written for the workflow
 * snapshot in its RunCreated. Replaying a log that is not (a success of a task the
 * snapshot does not have, a success with no start) would crash `retry` or `status` later,
 * far from the file that caused it. Pure: events in, problems out.
 *
 * The rules follow what the scheduler emits:
 * - run: RunCreated once, first; RunStarted while pending; task events while running;
 *   RunSucceeded/Failed/Cancelled end a running run; RunReopened (retry) reopens an ended one.
 *   Before it starts, a run may be queued (RunQueued), admitted (RunAdmitted, pending again),
 *   or cancelled (skipped, or cancelled while queued).
 * - task keys: the snapshot's tasks, plus the iterations a TaskExpanded adds, which must be
 *   exactly what the snapshot's loop makes of the items the event names.
 * - each task: TaskReady from pending (or retrying); TaskStarted from ready, with a higher
 *   attempt; TaskSucceeded from running; TaskFailed from running (or pending: a condition
 *   that could not be evaluated); TaskRetryScheduled right after its failure;
 *   TaskInterrupted from running; TaskSkipped/TaskCancelled from any state not ended.
 *
 * A problem is reported, then the event is taken as it is, so one bad line does not make
 * every later event of the same task look wrong too.
 */
import { TASK_TYPES } from '../spec/schema.js';
import type { TaskSpec, Workflow } from '../spec/model.js';
import type { DynamicTask, LoopExpansion, TaskStatus, TimedEvent } from '../store/events.js';
import { sandboxProblem } from '../executors/sandbox.js';
import { compactExpansion, recordedChildren } from '../store/expansion.js';
import { isWait } from '../store/projection.js';
import { expandedTasks, expandLoop, planExpansion } from './expand.js';
import { buildPlan } from './plan.js';

export interface LogProblem {
  /** Index of the event in the list given. */
  index: number;
  /** IMPORT_SNAPSHOT, IMPORT_SANDBOX, IMPORT_UNKNOWN_TASK, IMPORT_ORDER or IMPORT_EXPANSION. */
  code: string;
  message: string;
}

interface TaskTrack {
  spec: TaskSpec;
  status: TaskStatus;
  attempt: number;
  expanded: boolean;
}

type RunPhase = 'new' | 'pending' | 'queued' | 'running' | 'ended';

const ENDED: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** The problems of a log (at most `max`); none means the engine can replay it safely. */
export function checkRunLog(events: readonly TimedEvent[], max = 20): LogProblem[] {
  const problems: LogProblem[] = [];
  const tasks = new Map<string, TaskTrack>();
  let phase: RunPhase = 'new';
  /** A code run: its tasks join as they start (TaskStarted with `step`), with no TaskReady before. */
  let code = false;
  let index = 0;
  const problem = (code: string, message: string) => {
    if (problems.length < max) problems.push({ index, code, message });
  };
  /** The task an event names, or undefined (reported) when the run has no such task. */
  const known = (key: string, what: string): TaskTrack | undefined => {
    const task = tasks.get(key);
    if (task === undefined) problem('IMPORT_UNKNOWN_TASK', `${what} names task '${key}', which the run's workflow snapshot (RunCreated) does not have`);
    return task;
  };

  for (; index < events.length && problems.length < max; index++) {
    const event = events[index];
    if (event.type === 'RunCreated') {
      if (phase !== 'new') {
        problem('IMPORT_ORDER', 'a second RunCreated: a run is created once');
        continue;
      }
      phase = 'pending';
      code = event.kind === 'code';
      const snapshot = readSnapshot(event.workflow);
      if (typeof snapshot === 'string') {
        problem('IMPORT_SNAPSHOT', `the workflow snapshot in RunCreated cannot be used: ${snapshot}`);
        return problems;
      }
      for (const [key, node] of snapshot) tasks.set(key, { spec: node, status: 'pending', attempt: 0, expanded: false });
      const sandbox = event.sandbox === undefined ? undefined : sandboxProblem(event.sandbox);
      if (sandbox !== undefined) problem('IMPORT_SANDBOX', `the sandbox in RunCreated cannot be used: ${sandbox}`);
      continue;
    }
    if (phase === 'new') {
      problem('IMPORT_ORDER', `${event.type} before RunCreated`);
      return problems;
    }
    switch (event.type) {
      case 'RunStarted':
        if (phase !== 'pending') problem('IMPORT_ORDER', `RunStarted, but the run is already ${phase === 'ended' ? 'over' : 'running'}`);
        phase = 'running';
        continue;
      case 'RunQueued':
        if (phase !== 'pending') problem('IMPORT_ORDER', `RunQueued, but the run is ${phase === 'queued' ? 'queued already' : phase === 'ended' ? 'over' : 'running'}`);
        phase = 'queued';
        continue;
      case 'RunAdmitted':
        if (phase !== 'queued') problem('IMPORT_ORDER', 'RunAdmitted, but the run is not queued');
        phase = 'pending';
        continue;
      case 'RunResumed':
      case 'RunCancelRequested':
        if (phase === 'ended') problem('IMPORT_ORDER', `${event.type} after the run ended`);
        continue;
      case 'RunWaiting':
      case 'RunWoke':
        // Both kinds of run wait: a workflow file for its approval and wait tasks, and paused tasks.
        if (phase !== 'running') problem('IMPORT_ORDER', `${event.type}, but the run is ${phase === 'ended' ? 'over' : 'not started'}`);
        continue;
      case 'RunSucceeded':
      case 'RunFailed':
      case 'RunCancelled':
        // A run may be cancelled before it starts: skipped, or taken out of the queue.
        if (event.type === 'RunCancelled' && (phase === 'pending' || phase === 'queued')) {
          phase = 'ended';
          continue;
        }
        if (phase !== 'running') problem('IMPORT_ORDER', `${event.type}, but the run is ${phase === 'ended' ? 'already over' : 'not started'}`);
        phase = 'ended';
        continue;
      case 'RunCompensating':
        if (phase !== 'running') problem('IMPORT_ORDER', `RunCompensating, but the run is ${phase === 'ended' ? 'over' : 'not started'}`);
        for (const key of event.tasks) {
          const task = known(key, 'RunCompensating');
          const undo = (task?.spec as { compensate?: TaskSpec } | undefined)?.compensate;
          if (task && (task.status !== 'succeeded' || undo === undefined)) problem('IMPORT_ORDER', `RunCompensating undoes ${key}, which ${undo === undefined ? 'has no compensate' : 'did not succeed'}`);
          tasks.set(`compensate[${key}]`, { spec: undo ?? ({ type: 'noop' } as TaskSpec), status: 'pending', attempt: 0, expanded: false });
        }
        continue;
      case 'RunReopened':
        if (phase !== 'ended') problem('IMPORT_ORDER', 'RunReopened (a retry), but the run has not ended');
        phase = 'running';
        for (const key of event.tasks) {
          const task = known(key, 'RunReopened');
          if (task) task.status = 'pending';
        }
        continue;
    }
    // Task events.
    if (code && event.type === 'TaskStarted' && event.step !== undefined && !tasks.has(event.task)) {
      tasks.set(event.task, { spec: { type: 'noop' } as TaskSpec, status: 'ready', attempt: 0, expanded: false });
    }
    const task = known(event.task, event.type);
    if (phase !== 'running') problem('IMPORT_ORDER', `${event.type} of ${event.task} while the run is ${phase === 'ended' ? 'over' : 'not started'}`);
    if (task === undefined) continue;
    const was = task.status;
    const order = (expected: string) => problem('IMPORT_ORDER', `${event.type} of ${event.task} (attempt ${'attempt' in event ? event.attempt : '-'}) while it is ${was}${task.attempt > 0 ? ` (attempt ${task.attempt})` : ''}: ${expected}`);
    switch (event.type) {
      case 'TaskReady':
        // A paused task (waiting) is made ready by `baton resolve --retry`.
        if (was !== 'pending' && was !== 'retrying' && was !== 'waiting') order('a task becomes ready once it is pending or waiting for a retry');
        if (event.trigger !== undefined) known(event.trigger, 'TaskReady (its trigger)');
        task.status = 'ready';
        break;
      case 'TaskStarted':
        // A code run's step starts again without TaskReady: after its retry's wait, or a `baton retry`.
        if (was !== 'ready' && !(code && (was === 'pending' || was === 'retrying'))) order('a task starts after TaskReady');
        else if (!(event.attempt > task.attempt)) order('each attempt is numbered higher than the last');
        task.status = event.step && isWait(event.step.kind) ? 'waiting' : 'running';
        task.attempt = Math.max(task.attempt, event.attempt);
        break;
      case 'TaskSucceeded':
        if (was !== 'running' && was !== 'waiting') order('a task succeeds only after TaskStarted');
        else if (event.attempt < 1 || event.attempt > task.attempt) order('it must be an attempt that started');
        task.status = 'succeeded';
        break;
      case 'TaskFailed':
        if (was !== 'running' && was !== 'waiting' && !(was === 'pending' && event.attempt === 0)) order('a task fails only after TaskStarted');
        else if (event.attempt > task.attempt) order('it must be an attempt that started');
        task.status = 'failed';
        break;
      case 'TaskRetryScheduled':
        if (was !== 'failed' || events[index - 1]?.type !== 'TaskFailed') order('a retry is scheduled right after the failure it retries');
        else if (event.attempt !== task.attempt + 1) order(`the retry is attempt ${task.attempt + 1}`);
        task.status = 'retrying';
        break;
      case 'TaskAwaitingResources':
        if (was !== 'ready') order('a task waits for its pools once ready');
        break;
      case 'CircuitChanged':
        // Usually while its attempt runs; a task that ends at once may have ended by then.
        if (event.attempt < 1 || event.attempt > task.attempt) order('it must be an attempt that started');
        break;
      case 'TaskProgress':
        if (event.attempt < 1 || event.attempt > task.attempt) order('it must be an attempt that started');
        break;
      case 'TaskInterrupted':
        if (was !== 'running' && was !== 'waiting') order('only a running task is interrupted');
        task.status = 'ready';
        break;
      case 'TaskSkipped':
      case 'TaskCancelled':
        if (ENDED.has(was)) order('a task that ended is not skipped or cancelled');
        task.status = event.type === 'TaskSkipped' ? 'skipped' : 'cancelled';
        break;
      case 'WaitAnswered':
        // An answer to a wait that already ended is recorded and changes nothing. A workflow
        // file's (deferred) is taken up by the driver, whose own events end the task.
        if (event.deferred) break;
        if (!code) problem('IMPORT_ORDER', `WaitAnswered in a run that is not a code run`);
        else if (was === 'waiting') task.status = 'succeeded';
        break;
      case 'TaskPaused':
        if (was !== 'running' && was !== 'waiting') order('a task pauses when an attempt of it fails');
        else if (event.attempt < 1 || event.attempt > task.attempt) order('it must be an attempt that started');
        task.status = 'waiting';
        break;
      case 'TaskBranched':
        if (task.spec.type !== 'conditional') problem('IMPORT_ORDER', `TaskBranched of ${event.task}, which is not a conditional`);
        else if (was !== 'running') order('a conditional takes its branch once started');
        break;
      case 'TaskExpanded': {
        if (task.spec.type !== 'loop') {
          problem('IMPORT_EXPANSION', `TaskExpanded of ${event.task}, which is not a loop`);
          break;
        }
        if (task.expanded) problem('IMPORT_EXPANSION', `${event.task} is expanded twice`);
        else if (was !== 'running') order('a loop expands once started');
        task.expanded = true;
        const compact = compactExpansion(event);
        const mismatch = compact ? checkCompact(task.spec, compact) : checkExpansion(event.task, task.spec, recordedChildren(event)!);
        if (mismatch !== undefined) {
          problem('IMPORT_EXPANSION', `the iterations of ${event.task} are not what its loop in the snapshot makes: ${mismatch}`);
          break;
        }
        for (const child of expandedTasks(event, task.spec)) {
          if (tasks.has(child.key)) problem('IMPORT_EXPANSION', `TaskExpanded adds ${child.key}, which the run already has`);
          else tasks.set(child.key, { spec: child.spec as TaskSpec, status: 'pending', attempt: 0, expanded: false });
        }
        break;
      }
    }
  }
  return problems;
}

/** The snapshot's tasks by key, or what is wrong with it. */
function readSnapshot(workflow: unknown): Map<string, TaskSpec> | string {
  if (typeof workflow !== 'object' || workflow === null || !Array.isArray((workflow as Workflow).tasks)) return 'it has no `tasks` list';
  const out = new Map<string, TaskSpec>();
  const visit = (spec: unknown): string | undefined => {
    const bad = badSpec(spec);
    if (bad !== undefined) return bad;
    const task = spec as TaskSpec;
    if (out.has(task.id)) return `task '${task.id}' appears twice`;
    out.set(task.id, task);
    const children = task.type === 'parallel' ? task.tasks : task.type === 'conditional' ? [task.then, task.else].filter((c) => c !== undefined) : [];
    for (const child of children) {
      const problem = visit(child);
      if (problem !== undefined) return problem;
    }
    return task.type === 'loop' ? badSpec(task.task, true) : undefined;
  };
  for (const spec of (workflow as Workflow).tasks) {
    const problem = visit(spec);
    if (problem !== undefined) return problem;
  }
  try {
    buildPlan(workflow as Workflow);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return out;
}

/** Every task type a workflow file may have: the list the schema has, not a copy that falls behind it. */
const TYPES = new Set<string>(TASK_TYPES);

function badSpec(spec: unknown, template = false): string | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'a task is not an object';
  const s = spec as Record<string, unknown>;
  const name = typeof s.id === 'string' ? `task '${s.id}'` : 'a task';
  if (!template && (typeof s.id !== 'string' || s.id === '')) return 'a task has no id';
  if (typeof s.type !== 'string' || !TYPES.has(s.type)) return `${name} has no known type`;
  for (const field of ['depends_on', 'on_success', 'on_failure']) {
    if (!Array.isArray(s[field]) || !(s[field] as unknown[]).every((k) => typeof k === 'string')) return `${name}: \`${field}\` is not a list of task ids`;
  }
  if (s.type === 'parallel' && !Array.isArray(s.tasks)) return `${name}: a parallel task needs \`tasks\``;
  if (s.type === 'loop' && (typeof s.task !== 'object' || s.task === null)) return `${name}: a loop needs \`task\``;
  return undefined;
}

/** Whether a compact expansion is what the loop records for its items (labels, order, the template's shape). */
function checkCompact(spec: TaskSpec, got: LoopExpansion): string | undefined {
  if (spec.type !== 'loop') return 'not a loop';
  if (!Array.isArray(got.items)) return '`items` is not a list';
  const want = planExpansion(spec, got.items);
  for (const field of ['labels', 'sequential', 'order_only', 'nested'] as const) {
    if (!sameJson(got[field], want[field])) return `\`${field}\` is ${JSON.stringify(got[field]) ?? 'missing'}, where the loop makes ${JSON.stringify(want[field]) ?? 'none'}`;
  }
  return undefined;
}

/** Whether `children` (a run recorded before expansions were compact) is what the loop makes of the items they name. */
function checkExpansion(loopKey: string, spec: TaskSpec, children: readonly DynamicTask[]): string | undefined {
  if (spec.type !== 'loop') return 'not a loop';
  if (!Array.isArray(children) || !children.every((c) => typeof c === 'object' && c !== null && typeof c.key === 'string')) return 'a child is not a task';
  const items = children.filter((child) => child.parent === loopKey).map((child) => child.item ?? null);
  const expected = expandLoop(loopKey, spec.task, planExpansion(spec, items));
  if (expected.length !== children.length) return `${children.length} tasks for ${items.length} items, where the loop makes ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got = children[i];
    if (got.key !== want.key) return `task ${i + 1} is '${got.key}', where the loop makes '${want.key}'`;
    if (got.parent !== want.parent || !sameJson(got.after, want.after) || !sameJson(got.spec, want.spec) || !sameJson(got.children, want.children)) {
      return `${got.key} differs from the loop's task template`;
    }
  }
  return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
