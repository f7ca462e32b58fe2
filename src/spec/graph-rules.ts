/**
 * Rules about how tasks refer to each other: unique ids, known targets, where
 * depends_on and callbacks may point, callbacks that can run, and no cycles.
 *
 * For cycles every task is two points in time, its start and its end: a task starts after
 * its dependencies end; a child starts after its composite starts; a composite ends after
 * its children end; a callback starts after the task that triggers it ends. A cycle among
 * these is a run that could never finish.
 */
import type { Reporter } from './diagnostics.js';
import { findCycles } from './cycles.js';
import type { Edge } from './cycles.js';
import type { Normalized } from './normalize.js';
import type { TaskNode } from './normalize-task.js';
import type { Loc } from './positions.js';
import { listEntries } from './raw.js';
import { isPause } from './normalize-waits.js';
import { didYouMean } from './suggest.js';

/** Suggestions cost a scan of all ids; past this many unknown names, skip them. */
const MAX_SUGGESTIONS = 50;

interface EdgeInfo {
  kind: 'depends' | 'inside' | 'contains' | 'callback' | 'runs';
  loc?: Loc;
}

export function checkGraph(model: Normalized, rep: Reporter): string[] {
  const { nodes } = model;
  const byId = new Map<string, TaskNode>();
  const number = new Map<TaskNode, number>();
  nodes.forEach((node, i) => {
    number.set(node, i);
    const first = byId.get(node.spec.id);
    if (first === undefined) byId.set(node.spec.id, node);
    else if (node.spec.explicit_id) {
      const line = rep.index.lineCol(rep.value(first.raw, 'id').offset).line;
      rep.error('SPEC_DUPLICATE_ID', `duplicate task id '${node.spec.id}' (first used on line ${line})`, rep.value(node.raw, 'id'), 'ids must be unique across the whole workflow, nested tasks included');
    }
  });
  const explicitIds = nodes.filter((n) => n.spec.explicit_id).map((n) => n.spec.id);
  let suggestions = 0;
  const resolve = (name: string, field: string, loc: Loc): TaskNode | undefined => {
    const target = byId.get(name);
    if (target !== undefined && target.spec.explicit_id) return target;
    const mean = suggestions++ < MAX_SUGGESTIONS ? didYouMean(name, explicitIds) : '';
    const hint = target !== undefined ? 'that id was generated for a task without `id`; give the task an id to refer to it' : undefined;
    rep.error('SPEC_UNKNOWN_TASK', `${field} names '${name}', which is not a task id${mean}`, loc, hint);
    return undefined;
  };
  const edges: Edge<EdgeInfo>[] = [];
  const start = (n: TaskNode): number => 2 * number.get(n)!;
  const end = (n: TaskNode): number => 2 * number.get(n)! + 1;

  // Callbacks first: whether a task is one changes what its depends_on may say.
  const triggers = new Map<TaskNode, TaskNode[]>();
  for (const node of nodes) {
    for (const field of ['on_success', 'on_failure'] as const) {
      if (field === 'on_failure' && isPause(node.raw)) {
        // The word alone pauses the task (normalize-waits.ts); a task named pause is called with [pause].
        const named = byId.get('pause');
        if (named !== undefined && named.spec.explicit_id) {
          rep.error('SPEC_PAUSE_AMBIGUOUS', "`on_failure: pause` pauses the task when it fails, and this workflow also has a task named 'pause'", rep.value(node.raw, field), 'to call that task instead, write it as a list: on_failure: [pause]');
        }
        continue;
      }
      for (const entry of listEntries(node.raw, field)) {
        const loc = rep.value(entry.container, entry.key);
        if (inLoop(node) !== undefined) {
          rep.error('SPEC_CALLBACK_IN_LOOP', `a task inside loop '${inLoop(node)!.spec.id}' runs once per item, so it cannot have ${field}`, rep.key(node.raw, field), `put ${field} on the loop`);
          break;
        }
        const target = resolve(entry.value, field, loc);
        if (target === undefined) continue;
        if (target === node) rep.error('SPEC_CALLBACK_SELF', `task '${node.spec.id}' names itself in ${field}`, loc);
        else if (target.slot !== 'top') rep.error('SPEC_CALLBACK_NOT_TOP_LEVEL', `callback '${target.spec.id}' is inside '${target.parent!.spec.id}'; callbacks must be top-level tasks`, loc, 'move it to the top-level `tasks` list');
        else triggers.set(target, [...(triggers.get(target) ?? []), node]);
      }
    }
  }
  for (const [callback, from] of triggers) {
    if (from.length === 1) edges.push({ from: start(callback), to: end(from[0]), data: { kind: 'callback' } });
  }

  for (const node of nodes) {
    const entries = listEntries(node.raw, 'depends_on');
    if (entries.length === 0) continue;
    if (node.shelter !== undefined) {
      const what = node.shelter.spec.type === 'loop' ? 'a loop' : 'a conditional branch';
      rep.error('SPEC_DEPENDS_IN_TEMPLATE', `a task inside ${what} cannot have depends_on: '${node.shelter.spec.id}' starts it`, rep.key(node.raw, 'depends_on'), `put depends_on on '${node.shelter.spec.id}'`);
      continue;
    }
    const trigger = triggers.get(node);
    if (trigger !== undefined) {
      rep.error('SPEC_CALLBACK_DEPENDS', `'${node.spec.id}' is a callback (of '${trigger[0].spec.id}'), so it cannot have depends_on: it starts when '${trigger[0].spec.id}' ends`, rep.key(node.raw, 'depends_on'), 'remove depends_on, or stop naming the task in on_success/on_failure');
      continue;
    }
    for (const entry of entries) {
      const loc = rep.value(entry.container, entry.key);
      const target = resolve(entry.value, 'depends_on', loc);
      if (target === undefined) continue;
      if (target === node) rep.error('SPEC_SELF_DEPENDENCY', `task '${node.spec.id}' depends on itself`, loc);
      else if (isAncestor(target, node)) rep.error('SPEC_NESTED_DEPENDENCY', `'${node.spec.id}' is inside '${target.spec.id}', so it cannot wait for it: '${target.spec.id}' ends only after its tasks`, loc);
      else if (isAncestor(node, target)) rep.error('SPEC_NESTED_DEPENDENCY', `'${node.spec.id}' cannot wait for '${target.spec.id}', which is inside it: its tasks start only after it starts`, loc);
      else if (inLoop(target) !== undefined) {
        const loop = inLoop(target)!.spec.id;
        rep.error('SPEC_DEPENDS_ON_TEMPLATE', `'${target.spec.id}' is inside loop '${loop}' and runs once per item; it cannot be waited for on its own`, loc, `depend on '${loop}' instead`);
      } else edges.push({ from: start(node), to: end(target), data: { kind: 'depends', loc } });
    }
    node.spec.depends_on = [...new Set(node.spec.depends_on)];
  }

  for (const node of nodes) {
    edges.push({ from: end(node), to: start(node), data: { kind: 'runs' } });
    for (const child of node.children) {
      edges.push({ from: start(child), to: start(node), data: { kind: 'inside' } });
      edges.push({ from: end(node), to: end(child), data: { kind: 'contains' } });
    }
  }
  reportCycles(findCycles(2 * nodes.length, edges), nodes, rep);
  checkReachable(model, triggers, rep);
  return [...triggers.keys()].sort((a, b) => number.get(a)! - number.get(b)!).map((n) => n.spec.id);
}

export function isAncestor(maybe: TaskNode, of: TaskNode): boolean {
  for (let at = of.parent; at !== undefined; at = at.parent) if (at === maybe) return true;
  return false;
}

/** The nearest loop whose template holds this task. */
export function inLoop(node: TaskNode): TaskNode | undefined {
  for (let at: TaskNode | undefined = node; at?.parent !== undefined; at = at.parent) {
    if (at.slot === 'template') return at.parent;
  }
  return undefined;
}

function reportCycles(cycles: Edge<EdgeInfo>[][], nodes: TaskNode[], rep: Reporter): void {
  for (const cycle of cycles) {
    const order: number[] = [];
    const notes: string[] = [];
    for (const edge of cycle) {
      const from = edge.from >> 1;
      if (order[order.length - 1] !== from) order.push(from);
      const [a, b] = [nodes[from].spec.id, nodes[edge.to >> 1].spec.id];
      if (edge.data.kind === 'inside') notes.push(`'${a}' is inside '${b}', so it starts after it`);
      if (edge.data.kind === 'callback') notes.push(`'${a}' is a callback of '${b}', so it starts after it ends`);
    }
    if (order.length > 1 && order[0] === order[order.length - 1]) order.pop();
    // Start at the task that comes first in the file, and close the loop.
    const first = order.indexOf(order.reduce((a, b) => Math.min(a, b), Infinity));
    const ids = [...order.slice(first), ...order.slice(0, first)].map((i) => nodes[i].spec.id);
    ids.push(ids[0]);
    const shown = ids.length > 12 ? [...ids.slice(0, 5), `... (${ids.length - 10} more)`, ...ids.slice(-5)] : ids;
    const at = cycle.find((e) => e.data.loc !== undefined)?.data.loc ?? rep.value(nodes[cycle[0].from >> 1].raw, 'id');
    const hint = ['a -> b means a waits for b', ...notes].join('; ');
    rep.error('SPEC_CYCLE', `dependency cycle: ${shown.join(' -> ')}`, at, hint);
  }
}

/** A callback named only by tasks that never run (other such callbacks) never runs. */
function checkReachable(model: Normalized, triggers: Map<TaskNode, TaskNode[]>, rep: Reporter): void {
  if (triggers.size === 0) return;
  const runs = new Set<TaskNode>();
  const pending: TaskNode[] = model.top.filter((n) => !triggers.has(n));
  const calls = new Map<TaskNode, TaskNode[]>();
  for (const [callback, from] of triggers) for (const t of from) calls.set(t, [...(calls.get(t) ?? []), callback]);
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (runs.has(node)) continue;
    runs.add(node);
    pending.push(...node.children, ...(calls.get(node) ?? []));
  }
  for (const callback of triggers.keys()) {
    if (runs.has(callback)) continue;
    rep.error('SPEC_CALLBACK_UNREACHABLE', `callback '${callback.spec.id}' never runs: only tasks that themselves never run name it`, rep.value(callback.raw, 'id'), 'a task named in on_success/on_failure does not run on its own; name it from a task that does');
  }
}
