import type { TaskSpec } from '../spec/model.js';
import type { DynamicTask } from '../store/events.js';

/**
 * Turns a loop's task template into the tasks of its iterations. Each iteration gets the
 * key `loop[label]` (the item itself when it is a short, unique name; its index
 * otherwise), and anything nested in the template is re-keyed below it (`loop[qa][0]`),
 * so keys stay unique however loops and composites nest.
 */
const LABEL = /^[A-Za-z0-9_.-]{1,40}$/;

export function iterationLabels(items: readonly unknown[]): string[] {
  const labels = items.map((item) => (typeof item === 'string' || typeof item === 'number' ? String(item) : ''));
  const unique = new Set(labels).size === labels.length && labels.every((label) => LABEL.test(label));
  return unique ? labels : items.map((_, index) => String(index));
}

export function expandLoop(
  loopKey: string,
  template: TaskSpec,
  items: readonly unknown[],
  sequential: boolean,
  orderOnly: boolean,
): DynamicTask[] {
  const labels = iterationLabels(items);
  const out: DynamicTask[] = [];
  let previous: string | undefined;
  items.forEach((item, index) => {
    const key = `${loopKey}[${labels[index]}]`;
    instantiate(template, key, loopKey, sequential && previous ? [previous] : [], out, { item, index, orderOnly });
    previous = key;
  });
  return out;
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
