/**
 * A task that reads `tasks.x` must start after x has ended in every run, or it reads
 * nothing: its condition is evaluated, its command rendered, before x even started.
 *
 * As in graph-rules.ts, every task is two points in time, its start and its end. A task
 * starts after each of its depends_on has ended and after its composite started; a
 * composite ends after every task inside it has ended; a callback starts after the task
 * that triggers it has ended (after one of them, when several name it: so it must come
 * after x whichever one it is). "x ends before t starts" holds when the end of x is
 * reached from the start of t by going back along these steps; the search goes back from
 * t, so the usual case (x among t's dependencies, or theirs) is found in a few steps.
 *
 * The work is bounded (MAX_STEPS over the whole file): past it, the reads left are not
 * judged, rather than making a huge file slow to validate.
 */
import type { Reporter } from './diagnostics.js';
import { isAncestor } from './graph-rules.js';
import type { TaskNode } from './normalize-task.js';
import type { Loc } from './positions.js';

/** Steps of the search, all reads together, before the rest are left unjudged. */
export const MAX_STEPS = 2_000_000;

export interface TaskRead {
  /** The task whose field reads; undefined for the workflow's own `environment`. */
  reader?: TaskNode;
  target: TaskNode;
  /** Where `x` is written in `tasks.x`. */
  loc: Loc;
}

class OutOfSteps extends Error {}

export class Ordering {
  private readonly number = new Map<TaskNode, number>();
  private readonly stamp: Uint32Array;
  private generation = 0;
  private steps = 0;
  /** callback -> the tasks that name it in on_success/on_failure. */
  readonly triggers = new Map<TaskNode, TaskNode[]>();
  private readonly deps: TaskNode[][];
  private readonly all = new Map<string, boolean>();

  constructor(
    private readonly nodes: readonly TaskNode[],
    private readonly maxSteps = MAX_STEPS,
  ) {
    nodes.forEach((node, i) => this.number.set(node, i));
    const byId = new Map<string, TaskNode>();
    for (const node of nodes) if (node.spec.explicit_id && !byId.has(node.spec.id)) byId.set(node.spec.id, node);
    this.deps = nodes.map((node) => node.spec.depends_on.flatMap((id) => byId.get(id) ?? []));
    for (const node of nodes) {
      for (const id of new Set([...node.spec.on_success, ...node.spec.on_failure])) {
        const callback = byId.get(id);
        if (callback === undefined || callback.parent !== undefined || callback === node) continue;
        this.triggers.set(callback, [...(this.triggers.get(callback) ?? []), node]);
      }
    }
    this.stamp = new Uint32Array(2 * nodes.length);
  }

  /** Whether `target` has ended whenever `reader` starts; undefined once the work allowed is spent. */
  endsBefore(target: TaskNode, reader: TaskNode): boolean | undefined {
    if (this.steps > this.maxSteps) return undefined;
    try {
      return this.search(this.start(reader), this.end(target));
    } catch (error) {
      if (error instanceof OutOfSteps) return undefined;
      throw error;
    }
  }

  private start(node: TaskNode): number {
    return 2 * this.number.get(node)!;
  }

  private end(node: TaskNode): number {
    return 2 * this.number.get(node)! + 1;
  }

  private search(from: number, goal: number): boolean {
    const generation = ++this.generation;
    const stack = [from];
    this.stamp[from] = generation;
    const visit = (point: number): void => {
      if (this.stamp[point] === generation) return;
      this.stamp[point] = generation;
      stack.push(point);
    };
    while (stack.length > 0) {
      const point = stack.pop()!;
      if (point === goal) return true;
      if (++this.steps > this.maxSteps) throw new OutOfSteps();
      const node = this.nodes[point >> 1];
      if ((point & 1) === 1) {
        visit(point - 1);
        for (const child of node.children) visit(this.end(child));
        continue;
      }
      for (const dep of this.deps[point >> 1]) visit(this.end(dep));
      if (node.parent !== undefined) visit(this.start(node.parent));
      const triggers = this.triggers.get(node);
      if (triggers?.length === 1) visit(this.end(triggers[0]));
      else if (triggers !== undefined && this.afterEach(triggers, goal)) return true;
    }
    return false;
  }

  /** Whether `goal` comes before the end of every one of `tasks` (a callback several tasks name). */
  private afterEach(tasks: TaskNode[], goal: number): boolean {
    const key = `${this.number.get(tasks[0])}:${tasks.length}:${goal}`;
    let found = this.all.get(key);
    if (found === undefined) {
      found = tasks.every((t) => this.search(this.end(t), goal));
      this.all.set(key, found);
    }
    return found;
  }
}

/** Reports each read of a task that may not have ended yet when the reader starts. */
export function checkOrder(ordering: Ordering, reads: readonly TaskRead[], rep: Reporter): void {
  for (const { reader, target, loc } of reads) {
    const x = target.spec.id;
    if (reader === undefined) {
      rep.error('SPEC_MISSING_DEPENDENCY', `the workflow's environment is worked out before any task runs, so tasks.${x} is empty there`, loc, `read tasks.${x} in the environment of a task that has ${x} in its depends_on`);
      continue;
    }
    const t = reader.spec.id;
    if (target === reader) {
      rep.error('SPEC_MISSING_DEPENDENCY', `'${t}' reads its own tasks.${x}, which is set only after it has ended`, loc, 'in its `outputs:`, read `result` (what the task returned) instead');
    } else if (isAncestor(target, reader)) {
      rep.error('SPEC_MISSING_DEPENDENCY', `'${t}' is inside '${x}', which ends only after the tasks inside it, so tasks.${x} is empty here`, loc, `read tasks.${x} from a task that has ${x} in its depends_on`);
    } else if (isAncestor(reader, target)) {
      rep.error('SPEC_MISSING_DEPENDENCY', `'${t}' reads tasks.${x}, but '${x}' is inside it and starts only after '${t}' has started`, loc, `read tasks.${x} from a task that has ${t} in its depends_on`);
    } else if (ordering.endsBefore(target, reader) === false) {
      rep.error('SPEC_MISSING_DEPENDENCY', `'${t}' reads tasks.${x} but does not wait for '${x}': it can start before '${x}' has ended, and then reads nothing`, loc, hintFor(ordering, reader, target));
    }
  }
}

/** Where the dependency goes: on the task, or on what starts it (a loop or conditional around it, the task that triggers a callback). */
function hintFor(ordering: Ordering, reader: TaskNode, target: TaskNode): string {
  const x = target.spec.id;
  let waiter = reader;
  while (waiter.shelter !== undefined) waiter = waiter.shelter;
  if (waiter !== reader && isAncestor(waiter, target)) {
    return `'${x}' and '${reader.spec.id}' are both inside '${waiter.spec.id}', where nothing orders them; read tasks.${x} from a task that has ${waiter.spec.id} in its depends_on`;
  }
  const triggers = ordering.triggers.get(waiter);
  if (triggers !== undefined) {
    const names = triggers.map((n) => `'${n.spec.id}'`).join(', ');
    return `add ${x} to depends_on of ${names}: a callback starts when the task that triggers it ends`;
  }
  return waiter === reader ? `add ${x} to depends_on` : `add ${x} to depends_on of '${waiter.spec.id}', which starts '${reader.spec.id}'`;
}
