/**
 * `fallback:` (docs/workflow-format.md#fallback): what runs when a leaf task has failed after
 * its retries. Written inline (a task under `fallback:`) or as the id of a top-level task,
 * which then runs only as a fallback: it leaves the workflow's task list, so it never runs
 * on its own. Either way the task's spec carries the fallback's (TaskBase.fallback), and the
 * engine runs it as the task's next attempt.
 */
import type { Reporter } from './diagnostics.js';
import type { LeafTask, TaskSpec } from './model.js';
import { has, isMap, strings } from './raw.js';
import { normalizeTask, type TaskContext, type TaskNode } from './normalize-task.js';
import { didYouMean } from './suggest.js';

const COMPOSITES = new Set(['parallel', 'loop', 'conditional']);

/** A fallback written inline under `node`'s `fallback:`. Named ones wait for resolveNamedFallbacks. */
export function inlineFallback(node: TaskNode, ctx: TaskContext, depth: number): void {
  const { rep } = ctx;
  const value = node.raw.fallback;
  if (value === undefined || !onLeaf(node, rep)) return;
  if (!isMap(value)) return;
  const start = ctx.nodes.length;
  const fallback = normalizeTask(value, ctx, { slot: 'branch', parent: node, genId: `${node.spec.id}.fallback`, depth: depth + 1, index: 0 });
  // Not a node of the graph: it runs as its task's attempt, never on its own.
  ctx.nodes.splice(start);
  if (fallback === undefined) return;
  if (COMPOSITES.has(fallback.spec.type)) {
    rep.error('SPEC_FALLBACK_NOT_LEAF', `a fallback runs as one more attempt of '${node.spec.id}', so it cannot be a ${fallback.spec.type} task`, rep.value(value, 'type'), 'make the fallback a shell, http, script... task');
    return;
  }
  if (!checkFallbackFields(value, node.spec.id, rep)) return;
  node.spec.fallback = fallback.spec as LeafTask;
}

/**
 * Fallbacks named by id: each must be a top-level leaf task with nothing that would start it
 * on its own. Returns the ids used as fallbacks, to leave out of the workflow's tasks.
 */
export function resolveNamedFallbacks(nodes: readonly TaskNode[], top: readonly TaskNode[], rep: Reporter): Set<string> {
  const byId = new Map(top.filter((n) => n.spec.explicit_id).map((n) => [n.spec.id, n]));
  const named = new Set<string>();
  const using = nodes.filter((n) => typeof n.raw.fallback === 'string');
  if (using.length === 0) return named;
  // What other tasks wait for or call back: a fallback cannot be one of those.
  const referenced = new Map<string, string>();
  for (const node of nodes) {
    for (const field of ['depends_on', 'on_success', 'on_failure'] as const) for (const id of strings(node.raw, field)) referenced.set(id, `'${node.spec.id}' names it in ${field}`);
  }
  for (const node of using) {
    if (!onLeaf(node, rep)) continue;
    const name = node.raw.fallback as string;
    const at = rep.value(node.raw, 'fallback');
    const target = byId.get(name);
    if (target === undefined) {
      rep.error('SPEC_UNKNOWN_TASK', `fallback names '${name}', which is not a top-level task id${didYouMean(name, [...byId.keys()])}`, at, 'name a top-level task, or write the fallback task under `fallback:`');
      continue;
    }
    if (target === node) {
      rep.error('SPEC_FALLBACK_SELF', `task '${name}' names itself as its fallback`, at);
      continue;
    }
    if (COMPOSITES.has(target.spec.type)) {
      rep.error('SPEC_FALLBACK_NOT_LEAF', `fallback '${name}' is a ${target.spec.type} task; a fallback runs as one more attempt of '${node.spec.id}', so it must be a leaf task`, at);
      continue;
    }
    const why = referenced.get(name);
    if (why !== undefined) {
      rep.error('SPEC_FALLBACK_REFERENCED', `'${name}' is the fallback of '${node.spec.id}', so it runs only when that task fails; yet ${why}`, at, `depend on '${node.spec.id}' instead: with its fallback, it succeeds when the fallback does`);
      continue;
    }
    if (!checkFallbackFields(target.raw, node.spec.id, rep)) continue;
    node.spec.fallback = target.spec as LeafTask;
    named.add(name);
  }
  return named;
}

/** Fields that would schedule the fallback on its own, or chain fallbacks: not allowed on one. */
function checkFallbackFields(raw: Record<string, unknown>, of: string, rep: Reporter): boolean {
  for (const field of ['depends_on', 'on_success', 'on_failure', 'fallback', 'condition', 'if']) {
    if (!has(raw, field)) continue;
    rep.error('SPEC_FALLBACK_FIELD', `a fallback starts when '${of}' has failed, as its next attempt; it cannot have \`${field}\``, rep.key(raw, field), field === 'fallback' ? 'fallbacks do not chain: give the fallback a retry policy instead' : `remove \`${field}\``);
    return false;
  }
  return true;
}

/** Only a leaf task takes a fallback: a composite ends as its tasks do. */
function onLeaf(node: TaskNode, rep: Reporter): boolean {
  if (!COMPOSITES.has((node.spec as TaskSpec).type)) return true;
  rep.error('SPEC_FALLBACK_ON_COMPOSITE', `a ${node.spec.type} task cannot have a fallback: it ends as its tasks do`, rep.key(node.raw, 'fallback'), 'put `fallback` on the tasks inside it');
  return false;
}
