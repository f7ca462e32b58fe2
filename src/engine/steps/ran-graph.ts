import type { TaskSpec, Workflow } from '../../spec/model.js';
import { taskDefaults } from '../../spec/task-defaults.js';
import type { RunState } from '../state.js';

/**
 * A code run's steps as they ran, as a workflow `baton graph` can draw: each step waits for
 * the sibling that ended last before it started (so code that ran one step after another
 * is a chain, and steps that overlapped are side by side); a map is a box around its
 * items. The name line says what each step was and how it ended.
 */
export function stepsAsWorkflow(state: RunState): Workflow {
  const byParent = new Map<string | undefined, string[]>();
  for (const [key, node] of state.nodes) {
    if (node.step === undefined || state.task(key).firstStartedAt === undefined) continue;
    const siblings = byParent.get(node.step.parent) ?? [];
    siblings.push(key);
    byParent.set(node.step.parent, siblings);
  }
  const specOf = (key: string, siblings: readonly string[]): TaskSpec => {
    const task = state.task(key);
    const step = state.nodes.get(key)!.step!;
    const started = task.firstStartedAt!;
    let before: string | undefined;
    let latest = -Infinity;
    for (const other of siblings) {
      const end = state.task(other).endedAt;
      if (other !== key && end !== undefined && end <= started && end > latest) [before, latest] = [other, end];
    }
    const took = task.endedAt === undefined ? '' : ` in ${task.endedAt - started} ms`;
    const attempts = task.attempt > 1 ? `, ${task.attempt} attempts` : '';
    const base = { ...taskDefaults(), id: key, explicit_id: true, name: `${task.status}${took}${attempts}`, depends_on: before === undefined ? [] : [before] };
    if (step.kind === 'map') {
      const items = byParent.get(key) ?? [];
      return { ...base, type: 'parallel', wait_for: 'all', tasks: items.map((item) => specOf(item, items)) };
    }
    // Drawn with its kind (step, sleep, approval, event, run) where a workflow file's task shows its type.
    return { ...base, type: step.kind } as unknown as TaskSpec;
  };
  const roots = byParent.get(undefined) ?? [];
  return { ...state.plan.workflow, tasks: roots.map((key) => specOf(key, roots)), callbacks: [] };
}
