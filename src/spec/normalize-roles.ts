/**
 * Tasks that run only in a role for another leaf task, never on their own:
 * - `fallback:` (docs/workflow-format.md#fallback): what runs when the task has failed after
 *   its retries, as its next attempt;
 * - `compensate:` (docs/workflow-format.md#compensation): what undoes the task once it
 *   succeeded, when the run then fails.
 * Each is written inline (a task under the field) or as the id of a top-level task, which
 * then leaves the workflow's task list. Either way the task's spec carries it
 * (TaskBase.fallback, TaskBase.compensate).
 */
import type { Reporter } from './diagnostics.js';
import type { LeafTask, TaskSpec } from './model.js';
import { has, isMap, strings } from './raw.js';
import { normalizeTask, type TaskContext, type TaskNode } from './normalize-task.js';
import { didYouMean } from './suggest.js';

const COMPOSITES = new Set(['parallel', 'loop', 'conditional']);

export type Role = 'fallback' | 'compensate';
export const ROLES: readonly Role[] = ['fallback', 'compensate'];

/** How each role is described in messages: what it is, and when it runs. */
const SAY: Record<Role, { what: string; when: (of: string) => string }> = {
  fallback: { what: 'a fallback', when: (of) => `a fallback runs as one more attempt of '${of}'` },
  compensate: { what: 'a compensation', when: (of) => `a compensation runs to undo '${of}' when the run fails` },
};

/** Role tasks written inline under `node`'s `fallback:` / `compensate:`. Named ones wait for resolveNamedRoles. */
export function inlineRoles(node: TaskNode, ctx: TaskContext, depth: number): void {
  for (const role of ROLES) {
    const { rep } = ctx;
    const value = node.raw[role];
    if (value === undefined || !onLeaf(node, role, rep) || !isMap(value)) continue;
    const start = ctx.nodes.length;
    const task = normalizeTask(value, ctx, { slot: 'branch', parent: node, genId: `${node.spec.id}.${role}`, depth: depth + 1, index: 0 });
    // Not a node of the graph: it runs in its role, never on its own.
    ctx.nodes.splice(start);
    if (task === undefined) continue;
    if (COMPOSITES.has(task.spec.type)) {
      rep.error(`SPEC_${role.toUpperCase()}_NOT_LEAF`, `${SAY[role].when(node.spec.id)}, so it cannot be a ${task.spec.type} task`, rep.value(value, 'type'), `make ${SAY[role].what} a shell, http, script... task`);
      continue;
    }
    if (!checkRoleFields(value, role, node.spec.id, rep)) continue;
    node.spec[role] = task.spec as LeafTask;
    if (role === 'compensate') ctx.compensations?.add(task.raw);
  }
}

/**
 * Role tasks named by id: each must be a top-level leaf task with nothing that would start
 * it on its own. Returns the ids so used, to leave out of the workflow's tasks.
 */
export function resolveNamedRoles(nodes: readonly TaskNode[], top: readonly TaskNode[], rep: Reporter, compensations?: Set<object>): Set<string> {
  const named = new Set<string>();
  for (const role of ROLES) resolveNamed(role, nodes, top, rep, named, compensations);
  return named;
}

function resolveNamed(role: Role, nodes: readonly TaskNode[], top: readonly TaskNode[], rep: Reporter, named: Set<string>, compensations?: Set<object>): void {
  const byId = new Map(top.filter((n) => n.spec.explicit_id).map((n) => [n.spec.id, n]));
  const using = nodes.filter((n) => typeof n.raw[role] === 'string');
  if (using.length === 0) return;
  const say = SAY[role];
  const code = role.toUpperCase();
  // What other tasks wait for or call back: a role task cannot be one of those.
  const referenced = new Map<string, string>();
  for (const node of nodes) {
    for (const field of ['depends_on', 'on_success', 'on_failure'] as const) for (const id of strings(node.raw, field)) referenced.set(id, `'${node.spec.id}' names it in ${field}`);
  }
  for (const node of using) {
    if (!onLeaf(node, role, rep)) continue;
    const name = node.raw[role] as string;
    const at = rep.value(node.raw, role);
    const target = byId.get(name);
    if (target === undefined) {
      rep.error('SPEC_UNKNOWN_TASK', `${role} names '${name}', which is not a top-level task id${didYouMean(name, [...byId.keys()])}`, at, `name a top-level task, or write the task under \`${role}:\``);
      continue;
    }
    if (target === node) {
      rep.error(`SPEC_${code}_SELF`, `task '${name}' names itself in ${role}`, at);
      continue;
    }
    if (COMPOSITES.has(target.spec.type)) {
      rep.error(`SPEC_${code}_NOT_LEAF`, `${role} '${name}' is a ${target.spec.type} task; ${say.when(node.spec.id)}, so it must be a leaf task`, at);
      continue;
    }
    const why = referenced.get(name);
    if (why !== undefined) {
      const hint = role === 'fallback' ? `depend on '${node.spec.id}' instead: with its fallback, it succeeds when the fallback does` : 'a compensation runs only when the run fails: give what should run otherwise its own task';
      rep.error(`SPEC_${code}_REFERENCED`, `'${name}' is ${say.what} of '${node.spec.id}', so it runs only in that role; yet ${why}`, at, hint);
      continue;
    }
    if (!checkRoleFields(target.raw, role, node.spec.id, rep)) continue;
    node.spec[role] = target.spec as LeafTask;
    if (role === 'compensate') compensations?.add(target.raw);
    named.add(name);
  }
}

/** Fields that would schedule a role task on its own, or chain roles: not allowed on one. */
function checkRoleFields(raw: Record<string, unknown>, role: Role, of: string, rep: Reporter): boolean {
  for (const field of ['depends_on', 'on_success', 'on_failure', 'fallback', 'compensate', 'condition', 'if']) {
    if (!has(raw, field)) continue;
    const hint = field === role ? `${SAY[role].what} does not take one of its own: give it a retry policy instead` : `remove \`${field}\``;
    rep.error(`SPEC_${role.toUpperCase()}_FIELD`, `${SAY[role].when(of)}; it cannot have \`${field}\``, rep.key(raw, field), hint);
    return false;
  }
  return true;
}

/** Only a leaf task takes a fallback or a compensation: a composite ends as its tasks do. */
function onLeaf(node: TaskNode, role: Role, rep: Reporter): boolean {
  if (!COMPOSITES.has((node.spec as TaskSpec).type)) return true;
  rep.error(`SPEC_${role.toUpperCase()}_ON_COMPOSITE`, `a ${node.spec.type} task cannot have ${SAY[role].what}: it ends as its tasks do`, rep.key(node.raw, role), `put \`${role}\` on the tasks inside it`);
  return false;
}
