import type { DynamicTask, LoopExpansion, RunEvent } from './events.js';

/**
 * The task keys a loop's expansion adds, read from the event alone: the iterations
 * (`loop[label]`) and, after each, the tasks inside it (`loop[label][0]`). Stores use this
 * for their task rows; the engine derives the whole tasks (engine/expand.ts), with the
 * same keys in the same order.
 */
type Expanded = Extract<RunEvent, { type: 'TaskExpanded' }>;

/** The event in its compact form, or undefined for one recorded with `children`. */
export function compactExpansion(event: Expanded): (LoopExpansion & { task: string }) | undefined {
  return 'children' in event ? undefined : event;
}

/** The recorded children of an event in the old form. */
export function recordedChildren(event: Expanded): DynamicTask[] | undefined {
  return 'children' in event ? event.children : undefined;
}

export function iterationKey(loopKey: string, expansion: Pick<LoopExpansion, 'items' | 'labels'>, index: number): string {
  return `${loopKey}[${expansion.labels === 'index' ? index : String(expansion.items[index])}]`;
}

/** How many iterations the loop has. */
export function iterationCount(event: Expanded): number {
  const compact = compactExpansion(event);
  // An event without its items (or children) throws here: it cannot be projected.
  if (compact) return compact.items.length;
  return recordedChildren(event)!.filter((child) => child.parent === event.task).length;
}

/** How many tasks (iterations and what they contain) the expansion adds. */
export function expansionSize(event: Expanded): number {
  const compact = compactExpansion(event);
  if (!compact) return recordedChildren(event)!.length;
  return iterationCount(event) * (1 + (compact.nested?.length ?? 0));
}

/** The keys the expansion adds, in order; `from`/`to` bound the iterations (a slice of them). */
export function expansionKeys(event: Expanded, from = 0, to = Infinity): string[] {
  const compact = compactExpansion(event);
  if (!compact) return recordedChildren(event)!.map((child) => child.key);
  const end = Math.min(to, iterationCount(event));
  const nested = compact.nested ?? [];
  const keys: string[] = [];
  for (let i = from; i < end; i++) {
    const key = iterationKey(compact.task, compact, i);
    keys.push(key);
    for (const suffix of nested) keys.push(key + suffix);
  }
  return keys;
}
