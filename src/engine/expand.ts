import type { LoopTask, TaskSpec } from '../spec/model.js';
import type { DynamicTask, LoopExpansion, RunEvent } from '../store/events.js';
import { compactExpansion, iterationKey, recordedChildren } from '../store/expansion.js';

/**
 * Turns a loop's task template into the tasks of its iterations. Each iteration gets the
 * key `loop[label]` (the item itself when it is a short, unique name; its index
 * otherwise), and anything nested in the template is re-keyed below it (`loop[qa][0]`),
 * so keys stay unique however loops and composites nest.
 *
 * The event log records only the expansion (LoopExpansion: the items and how they were
 * laid out); the tasks are derived from it and the template here, by the live run and by
 * every reader alike, so they come out the same.
 */
const LABEL = /^[A-Za-z0-9_.-]{1,40}$/;

export function iterationLabels(items: readonly unknown[]): string[] {
  const labels = items.map((item) => (typeof item === 'string' || typeof item === 'number' ? String(item) : ''));
  return labelsRule(items) === 'item' ? labels : items.map((_, index) => String(index));
}

function labelsRule(items: readonly unknown[]): LoopExpansion['labels'] {
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') return 'index';
    const label = String(item);
    if (!LABEL.test(label) || seen.has(label)) return 'index';
    seen.add(label);
  }
  return 'item';
}

/** What a loop records when it expands over `items`. */
export function planExpansion(loop: LoopTask, items: unknown[]): LoopExpansion {
  const expansion: LoopExpansion = { items, labels: labelsRule(items), sequential: !loop.parallel, order_only: !loop.stop_on_failure };
  const nested = nestedSuffixes(loop.task);
  if (nested.length > 0) expansion.nested = nested;
  return expansion;
}

/** The keys of the tasks inside a template, relative to its own key, in the order instantiate adds them. */
export function nestedSuffixes(template: TaskSpec): string[] {
  const out: string[] = [];
  const visit = (spec: TaskSpec, at: string) => {
    for (const [suffix, child] of inner(spec)) {
      out.push(at + suffix);
      visit(child, at + suffix);
    }
  };
  visit(template, '');
  return out;
}

function inner(spec: TaskSpec): [string, TaskSpec][] {
  if (spec.type === 'parallel') return spec.tasks.map((child, i) => [`[${i}]`, child]);
  if (spec.type !== 'conditional') return [];
  const out: [string, TaskSpec][] = [];
  if (spec.then) out.push(['[then]', spec.then]);
  if (spec.else) out.push(['[else]', spec.else]);
  return out;
}

/**
 * The tasks of iterations `from` to `to` (exclusive) of a loop (all by default): each
 * iteration, then what its template holds.
 */
export function expandLoop(
  loopKey: string,
  template: TaskSpec,
  expansion: Omit<LoopExpansion, 'nested'>,
  from = 0,
  to = Infinity,
): DynamicTask[] {
  const out: DynamicTask[] = [];
  const items = expansion.items;
  const end = Math.min(to, items.length);
  for (let index = from; index < end; index++) {
    const key = iterationKey(loopKey, expansion, index);
    const after = expansion.sequential && index > 0 ? [iterationKey(loopKey, expansion, index - 1)] : [];
    instantiate(template, key, loopKey, after, out, { item: items[index], index, orderOnly: expansion.order_only });
  }
  return out;
}

/** The tasks a TaskExpanded adds: derived from the loop's template, or as recorded by an older baton. */
export function expandedTasks(event: Extract<RunEvent, { type: 'TaskExpanded' }>, loop: TaskSpec, from = 0, to = Infinity): DynamicTask[] {
  const compact = compactExpansion(event);
  if (!compact) return recordedChildren(event)!;
  if (loop.type !== 'loop') throw new Error(`TaskExpanded of ${event.task}, which is not a loop`);
  return expandLoop(event.task, loop.task, compact, from, to);
}

function instantiate(
  spec: TaskSpec,
  key: string,
  parent: string,
  after: string[],
  out: DynamicTask[],
  iteration?: { item: unknown; index: number; orderOnly: boolean },
  branch?: 'then' | 'else',
): void {
  const task: DynamicTask = { key, parent, spec: { ...spec, id: key, explicit_id: false, depends_on: after }, after };
  if (iteration) {
    task.item = iteration.item;
    task.index = iteration.index;
    if (iteration.orderOnly && after.length > 0) task.order_only = true;
  }
  if (branch) task.branch = branch;
  out.push(task);
  if (spec.type === 'parallel') {
    task.children = spec.tasks.map((_, i) => `${key}[${i}]`);
    spec.tasks.forEach((child, i) => instantiate(child, `${key}[${i}]`, key, [], out));
  } else if (spec.type === 'conditional') {
    task.children = [];
    if (spec.then) {
      task.children.push(`${key}[then]`);
      instantiate(spec.then, `${key}[then]`, key, [], out, undefined, 'then');
    }
    if (spec.else) {
      task.children.push(`${key}[else]`);
      instantiate(spec.else, `${key}[else]`, key, [], out, undefined, 'else');
    }
  }
}
