import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import { didYouMean } from '../spec/suggest.js';
import { EngineError } from './errors.js';
import { listKeys } from './reasons.js';
import type { RunState } from './state.js';

/**
 * Which tasks `baton retry` sends back to pending, keeping everything else's result.
 *
 * Without `from`: the tasks that failed or were cancelled, and what did not succeed
 * because of them (dependants skipped or cancelled, callbacks not triggered, the
 * iterations of a loop stopped by a failure). With `from`: that task, everything inside
 * it and everything after it, whether it succeeded or not.
 *
 * Either way the composites around a reset task run again (a loop keeps its iterations,
 * and only the reset ones go again), and so does what depends on those composites.
 */
export function tasksToReopen(state: RunState, from?: string): string[] {
  const undone = state.compensation?.tasks ?? state.compensated?.tasks;
  if (undone !== undefined) {
    // What succeeded was undone: going on from there would build on work that is gone.
    throw new EngineError('RUN_COMPENSATED', `run ${state.runId} was compensated (its succeeded tasks ${undone.join(', ')} were undone), so it cannot be retried: start a new run`, { details: { run: state.runId } });
  }
  if (from !== undefined) checkTask(state, from);
  if (state.code !== undefined) return stepsToReopen(state, from);
  const reset = new Set<string>();
  const work: string[] = [];
  const status = (key: string) => state.task(key).status;
  /**
   * The task, and (when `whole`) what is inside it, runs again. `again`: even if it
   * succeeded (everything under `from`; a callback of a task that runs again, whose
   * trigger ends anew; what depends on a task that runs again although it succeeded).
   */
  const add = (key: string, whole: boolean, again = from !== undefined) => {
    if (reset.has(key)) return;
    if (whole && !again && status(key) === 'succeeded') return;
    reset.add(key);
    work.push(key);
    if (!whole) return;
    const node = state.nodes.get(key)!;
    const children = node.spec.type === 'loop' ? (state.loopChildren.get(key) ?? []) : node.children;
    for (const child of children) add(child, true, again);
  };
  if (from !== undefined) add(from, true);
  else {
    for (const [key, task] of state.tasks) {
      if (task.status === 'succeeded' || task.status === 'skipped') continue;
      // A task cancelled because its parallel group was already decided stays as it is.
      const parent = state.nodes.get(key)!.parent;
      if (parent !== undefined && status(parent) === 'succeeded') continue;
      add(key, true);
    }
  }
  while (work.length > 0) {
    const key = work.pop()!;
    const succeeded = status(key) === 'succeeded';
    for (const dependent of state.dependentsOf(key) ?? []) add(dependent, true, succeeded || from !== undefined);
    // The trigger ends again, so its callbacks are decided again: a rollback that ran after
    // the first failure runs after the next one too.
    const callbacks = state.plan.callbacksOf.get(key);
    if (callbacks) for (const target of [...callbacks.on_success, ...callbacks.on_failure]) add(target, true, true);
    // The composites around a reset task start again; their other children keep their results.
    const parent = state.nodes.get(key)!.parent;
    if (parent !== undefined) add(parent, false);
  }
  return [...state.nodes.keys()].filter((key) => reset.has(key) && (TERMINAL_TASK_STATUSES.has(status(key)) || status(key) === 'pending'));
}

function checkTask(state: RunState, from: string): void {
  if (state.nodes.has(from)) return;
  const keys = [...state.nodes.keys()];
  const near = keys.filter((key) => key.startsWith(from) || from.startsWith(key));
  const guess = didYouMean(from, keys) || (near.length > 0 ? ` (did you mean ${listKeys(near.map((key) => `'${key}'`))}?)` : '');
  throw new EngineError('RUN_UNKNOWN_TASK', `run ${state.runId} has no task '${from}'${guess}: see its tasks with \`baton status ${state.runId}\``, {
    details: { run: state.runId, task: from },
  });
}

/**
 * A code run's steps to run again: its code runs from the top, and a step that is reset is
 * no longer in its history, so it runs anew. Without `from`: the steps that failed or were
 * cancelled (an approval rejected, a wait timed out). With `from`: that step and every step
 * that started after it, since the code after it may take another path. Either way the maps
 * around a reset step are reset too.
 */
function stepsToReopen(state: RunState, from?: string): string[] {
  const reset = new Set<string>();
  if (from === undefined) {
    for (const [key, task] of state.tasks) if (task.status === 'failed' || task.status === 'cancelled') reset.add(key);
  } else {
    const since = state.task(from).firstStartedAt ?? 0;
    for (const [key, task] of state.tasks) {
      if (key === from || (task.firstStartedAt !== undefined && task.firstStartedAt >= since) || (task.status !== 'pending' && task.firstStartedAt === undefined)) reset.add(key);
    }
    // Its items too, when `from` is a map.
    for (const [key, node] of state.nodes) if (node.parent === from) reset.add(key);
  }
  for (const key of [...reset]) {
    const parent = state.nodes.get(key)?.parent;
    if (parent !== undefined) reset.add(parent);
  }
  return [...reset];
}
