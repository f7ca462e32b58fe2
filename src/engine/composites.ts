import { evaluate, evaluateCondition, renderTemplate } from '../expr/index.js';
import { DataError, parseJson } from '../expr/safe-json.js';
import type { LoopTask, ParallelTask, TaskSpec } from '../spec/model.js';
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import { coerceError, errorCode } from '../observability/errors.js';
import { planExpansion } from './expand.js';
import { listKeys } from './reasons.js';
import type { Scheduler } from './scheduler.js';

/**
 * How parallel, loop and conditional tasks start and end. They run no executor: they
 * start when ready, let their children go, and end when the children say so:
 * - parallel, wait_for all: when every child has ended; fails if one failed.
 *   any: succeeds with the first child that succeeds (the rest are cancelled), fails if none does.
 *   first: the first child to succeed or fail decides; the rest are cancelled.
 * - loop: iterations one after another (or at once, bounded by max_concurrency); fails if
 *   one failed; with stop_on_failure no new iteration starts after a failure.
 * - conditional: evaluates its `if`, skips the other branch, ends as its branch ends.
 * Groups with max_concurrency hold their extra ready children here until a slot frees.
 */
export class Composites {
  private readonly active = new Map<string, Set<string>>();
  private readonly held = new Map<string, string[]>();
  /**
   * Children of a parallel or loop that have not ended yet, counted once (on the first end
   * this process sees) and then counted down, so the group's end is found in constant
   * time per child rather than by scanning every child each time one ends.
   */
  private readonly unended = new Map<string, number>();
  /** Loops that already stopped their iterations after a failure (stop_on_failure). */
  private readonly stopped = new Set<string>();

  constructor(private readonly scheduler: Scheduler) {}

  static isComposite(spec: TaskSpec): boolean {
    return spec.type === 'parallel' || spec.type === 'loop' || spec.type === 'conditional';
  }

  childrenOf(key: string): readonly string[] {
    const node = this.scheduler.state.nodes.get(key)!;
    return node.spec.type === 'loop' ? (this.scheduler.state.loopChildren.get(key) ?? []) : node.children;
  }

  /** After a resume: the group slots held by children that are running. */
  resume(): void {
    const state = this.scheduler.state;
    for (const [key, node] of state.nodes) {
      if (node.parent === undefined || state.task(key).status !== 'running') continue;
      if (this.limitOf(this.scheduler.specOf(node.parent)) === undefined) continue;
      let active = this.active.get(node.parent);
      if (!active) this.active.set(node.parent, (active = new Set()));
      active.add(key);
    }
  }

  /** The child a conditional chose (recorded by TaskBranched), if any. */
  private chosen(key: string): string | undefined {
    const branch = this.scheduler.state.task(key).branch;
    if (branch === undefined) return undefined;
    return this.childrenOf(key).find((child) => this.scheduler.state.nodes.get(child)!.branch === branch);
  }

  /** May this ready task start now, given its group's max_concurrency? If not, it is held. */
  admit(key: string): boolean {
    const parent = this.scheduler.state.nodes.get(key)!.parent;
    if (parent === undefined) return true;
    const limit = this.limitOf(this.scheduler.specOf(parent));
    if (limit === undefined) return true;
    let active = this.active.get(parent);
    if (!active) this.active.set(parent, (active = new Set()));
    if (active.size < limit) {
      active.add(key);
      return true;
    }
    let held = this.held.get(parent);
    if (!held) this.held.set(parent, (held = []));
    held.push(key);
    return false;
  }

  /** Frees the group slot a task held (it ended, or waits for a retry). */
  release(key: string): void {
    const parent = this.scheduler.state.nodes.get(key)!.parent;
    if (parent === undefined || !this.active.get(parent)?.delete(key)) return;
    const next = this.held.get(parent)?.shift();
    if (next !== undefined) this.scheduler.requeue(next);
  }

  started(key: string): void {
    const s = this.scheduler;
    const spec = s.specOf(key);
    const timeout = spec.timeout;
    if (timeout !== undefined) s.effects.timers.push({ key, at: s.now() + timeout, kind: 'timeout' });
    if (spec.type === 'parallel') return this.startChildren(key, this.childrenOf(key));
    if (spec.type === 'loop') return this.startLoop(key, spec);
    if (spec.type !== 'conditional') return;
    let taken: boolean;
    try {
      taken = evaluateCondition(spec.if, s.scopes.forTask(key, { success: true, failure: false, cancelled: false }));
    } catch (err) {
      return s.fail(key, 1, { code: errorCode(err), message: coerceError(err).message }, false);
    }
    s.emit({ type: 'TaskBranched', task: key, branch: taken ? 'then' : 'else', condition: taken });
    const chosen = this.chosen(key);
    for (const child of this.childrenOf(key)) {
      if (child !== chosen) s.settle(child, 'TaskSkipped', `branch not taken: the condition is ${taken}`);
    }
    if (chosen === undefined) return s.succeedComposite(key, { branch: 'none', condition: taken });
    this.startChildren(key, [chosen]);
  }

  childEnded(parent: string, child: string): void {
    this.release(child);
    const left = this.unended.get(parent);
    this.unended.set(parent, left === undefined ? this.countUnended(parent) : left - 1);
    this.judge(parent, child);
  }

  /** After `child` ended (or, on a reopened group, with nothing left to run): does `parent` end? */
  private judge(parent: string, child: string): void {
    const s = this.scheduler;
    if (s.state.task(parent).status !== 'running') return;
    const spec = s.specOf(parent);
    const status = s.state.task(child).status;
    if (spec.type === 'conditional') {
      if (child !== this.chosen(parent)) return;
      return this.mirror(parent, child, { branch: s.state.nodes.get(child)!.branch });
    }
    const children = this.childrenOf(parent);
    if (spec.type === 'parallel' && spec.wait_for !== 'all') {
      const decides = status === 'succeeded' || (spec.wait_for === 'first' && status === 'failed');
      if (decides) {
        for (const other of children) s.cancelTree(other, `${parent} finished: ${child} ${status} (wait_for: ${spec.wait_for})`);
        return this.mirror(parent, child, { winner: child });
      }
    }
    if (spec.type === 'loop' && spec.stop_on_failure && status === 'failed' && !s.upstream.failedButContinues(child) && !this.stopped.has(parent)) {
      // Once is enough: what is not running now is cancelled, and nothing new starts after.
      this.stopped.add(parent);
      for (const other of children) {
        if (s.state.task(other).status !== 'running') s.cancelTree(other, `stopped: ${child} failed (stop_on_failure)`);
      }
      // Those cancels may have ended the loop already (through their own childEnded).
      if (s.state.task(parent).status !== 'running') return;
    }
    const left = this.unended.get(parent) ?? this.countUnended(parent);
    if (left > 0) return;
    this.endGroup(parent, spec as ParallelTask | LoopTask, children);
  }

  /** Children of `parent` that have not ended: counted in full once, then kept by childEnded. */
  private countUnended(parent: string): number {
    const s = this.scheduler;
    let left = 0;
    for (const key of this.childrenOf(parent)) if (!TERMINAL_TASK_STATUSES.has(s.state.task(key).status)) left++;
    return left;
  }

  private endGroup(key: string, spec: ParallelTask | LoopTask, children: readonly string[]): void {
    const s = this.scheduler;
    const failed = children.filter((c) => s.state.task(c).status === 'failed' && !s.upstream.failedButContinues(c));
    const cancelled = children.filter((c) => s.state.task(c).status === 'cancelled');
    if (s.state.cancelRequested !== undefined && cancelled.length > 0 && failed.length === 0) {
      return s.settle(key, 'TaskCancelled', s.state.cancelRequested);
    }
    const anyFailed = spec.type === 'parallel' && spec.wait_for === 'any' && children.length > 0;
    if (failed.length > 0 || cancelled.length > 0 || anyFailed) {
      const bad = failed.length > 0 ? failed : cancelled;
      const what = spec.type === 'loop' ? 'iteration' : 'task';
      const message = anyFailed && failed.length === 0 && cancelled.length === 0
        ? `no task of ${key} succeeded (wait_for: any)`
        : `${bad.length} of ${children.length} ${what}s ${failed.length > 0 ? 'failed' : 'were cancelled'}: ${listKeys(bad, 5)}`;
      return s.fail(key, 1, { code: spec.type === 'loop' ? 'LOOP_FAILED' : 'PARALLEL_FAILED', message }, false, this.groupOutputs(spec, children));
    }
    s.succeedComposite(key, this.groupOutputs(spec, children));
  }

  /**
   * What a parallel or loop gives, whether it succeeded or failed (a report task can then
   * say which hosts were patched): `results`, each child's outputs ({} for one that gave
   * none); for a loop also `iterations`, each one's item and status (and error).
   */
  private groupOutputs(spec: ParallelTask | LoopTask, children: readonly string[]): Record<string, unknown> {
    const state = this.scheduler.state;
    if (spec.type === 'parallel') return { results: Object.fromEntries(children.map((c) => [c, state.task(c).outputs ?? {}])) };
    const results: unknown[] = [];
    const iterations: unknown[] = [];
    for (const child of children) {
      const task = state.task(child);
      results.push(task.outputs ?? {});
      const iteration: Record<string, unknown> = { item: state.nodes.get(child)!.item, status: task.status };
      if (task.status === 'failed' && task.error) iteration.error = { code: task.error.code, message: task.error.message };
      iterations.push(iteration);
    }
    return { results, iterations };
  }

  /** The composite ends as `child` ended. */
  private mirror(parent: string, child: string, extra: Record<string, unknown>): void {
    const s = this.scheduler;
    const task = s.state.task(child);
    if (task.status === 'failed' && !s.upstream.failedButContinues(child)) {
      const error = task.error ?? { code: 'TASK_FAILED', message: `${child} failed` };
      return s.fail(parent, 1, { ...error, message: `${child}: ${error.message}` }, false);
    }
    if (task.status === 'cancelled') return s.settle(parent, 'TaskCancelled', task.reason ?? `${child} cancelled`);
    s.succeedComposite(parent, { ...extra, ...(task.outputs ?? {}) });
  }

  private startLoop(key: string, spec: LoopTask): void {
    const s = this.scheduler;
    if (s.state.loopChildren.has(key)) {
      // Reopened by `baton retry`: the iterations exist; the ones reset to pending go again.
      return this.startChildren(key, this.childrenOf(key));
    }
    let items: unknown;
    try {
      items = Array.isArray(spec.items) ? spec.items : loopItems(spec.items, s.scopes.forTask(key));
    } catch (err) {
      return s.fail(key, 1, { code: errorCode(err), message: `${key}: ${coerceError(err).message}` }, false);
    }
    if (!Array.isArray(items)) {
      const message = `${key}: items must be a list, got ${items === null ? 'null' : typeof items}`;
      return s.fail(key, 1, { code: 'LOOP_ITEMS', message }, false);
    }
    s.emit({ type: 'TaskExpanded', task: key, ...planExpansion(spec, items) });
    // The tasks it added were derived from the loop's template as the event was applied.
    for (const child of s.state.lastExpanded) s.added(child);
    if (items.length === 0) return s.succeedComposite(key, { results: [] });
    for (const child of this.childrenOf(key)) if (s.state.task(child).waiting === 0) s.decide(child);
  }

  private startChildren(key: string, children: readonly string[]): void {
    const s = this.scheduler;
    if (children.length === 0) return s.succeedComposite(key, { results: {} });
    for (const child of children) {
      if (--s.state.task(child).waiting === 0) s.decide(child);
    }
    // Reopened by `baton retry` with nothing inside left to run: end as the children did.
    const last = children[children.length - 1];
    if (s.state.task(key).status === 'running' && children.every((c) => TERMINAL_TASK_STATUSES.has(s.state.task(c).status))) {
      this.judge(key, last);
    }
  }

  private limitOf(spec: TaskSpec): number | undefined {
    if (spec.type === 'parallel') return spec.max_concurrency;
    if (spec.type === 'loop' && spec.parallel) return spec.max_concurrency;
    return undefined;
  }
}

/** A loop's `items` template: a list, or a JSON list in a string (a command's output). */
function loopItems(template: string, scope: Parameters<typeof evaluate>[1]): unknown {
  const value = renderTemplate(template, scope);
  if (typeof value !== 'string') return value;
  try {
    return parseJson(value, 'the loop items');
  } catch (err) {
    if (err instanceof DataError) throw err;
    return value.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  }
}
