import type { TaskSpec, Workflow } from '../spec/model.js';
import type { StepInfo } from '../store/events.js';

/**
 * The graph of a run, built once from a validated workflow. Static nodes come from the
 * file; loops add dynamic nodes while the run goes (engine/expand.ts), recorded in
 * TaskExpanded events so a resumed run rebuilds the same graph.
 *
 * A node may start when every key in `deps` has ended and its parent (if any) has started.
 * Callback nodes have no deps: they start when a task naming them ends the right way.
 */
export interface PlanNode {
  readonly key: string;
  readonly spec: TaskSpec;
  readonly parent?: string;
  readonly deps: readonly string[];
  /** Deps only order this node (a loop that goes on after a failed iteration); they don't gate it. */
  readonly orderOnly: boolean;
  /** Static children: parallel tasks, conditional branches. Loops get theirs when they start. */
  readonly children: readonly string[];
  readonly callback: boolean;
  /** Loop iteration context. */
  readonly item?: unknown;
  readonly index?: number;
  /** The branch a conditional child is: decides whether it runs when its parent starts. */
  readonly branch?: 'then' | 'else';
  /** In a code run: what the task is (a step, a map, a wait), as its TaskStarted said. */
  readonly step?: StepInfo;
  /** A compensation (`compensate[<task>]`, RunCompensating): the task it undoes. */
  readonly compensates?: string;
}

export interface CallbackTargets {
  on_success: readonly string[];
  on_failure: readonly string[];
}

export interface Plan {
  readonly workflow: Workflow;
  readonly nodes: ReadonlyMap<string, PlanNode>;
  /** key -> keys that list it in deps (static part; loops extend it at run time). */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** trigger key -> callbacks it starts. */
  readonly callbacksOf: ReadonlyMap<string, CallbackTargets>;
  /** callback key -> how many tasks may trigger it. */
  readonly triggerCount: ReadonlyMap<string, number>;
}

const NO_CHILDREN: readonly string[] = Object.freeze([]);

export function buildPlan(workflow: Workflow): Plan {
  const nodes = new Map<string, PlanNode>();
  const callbacks = new Set(workflow.callbacks);

  const add = (spec: TaskSpec, parent: string | undefined, branch?: 'then' | 'else'): void => {
    let children: readonly string[] = NO_CHILDREN;
    if (spec.type === 'parallel') children = spec.tasks.map((child) => child.id);
    if (spec.type === 'conditional') children = [spec.then?.id, spec.else?.id].filter((id) => id !== undefined);
    nodes.set(spec.id, {
      key: spec.id,
      spec,
      parent,
      deps: spec.depends_on,
      orderOnly: false,
      children,
      callback: parent === undefined && callbacks.has(spec.id),
      branch,
    });
    if (spec.type === 'parallel') for (const child of spec.tasks) add(child, spec.id);
    if (spec.type === 'conditional') {
      if (spec.then) add(spec.then, spec.id, 'then');
      if (spec.else) add(spec.else, spec.id, 'else');
    }
  };
  for (const task of workflow.tasks) add(task, undefined);

  const dependents = new Map<string, string[]>();
  for (const node of nodes.values()) {
    for (const dep of node.deps) {
      let list = dependents.get(dep);
      if (!list) dependents.set(dep, (list = []));
      list.push(node.key);
    }
  }

  const callbacksOf = new Map<string, CallbackTargets>();
  const triggerCount = new Map<string, number>();
  for (const node of nodes.values()) {
    const { on_success, on_failure } = node.spec;
    if (on_success.length === 0 && on_failure.length === 0) continue;
    callbacksOf.set(node.key, { on_success, on_failure });
    for (const target of new Set([...on_success, ...on_failure])) {
      triggerCount.set(target, (triggerCount.get(target) ?? 0) + 1);
    }
  }
  return { workflow, nodes, dependents, callbacksOf, triggerCount };
}
