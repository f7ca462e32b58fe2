/**
 * The critical path of a finished run: the chain of tasks whose ends decided when the run
 * ended. Pure: it is given the run's graph with each task's first start and end (runs/
 * metrics.ts builds it from the run's events).
 *
 * It starts from the task that ended last and walks back, each time to what that task
 * waited for, the one of them that ended last (it is the one that let the task start):
 * - in a workflow file's run, its `depends_on` (a loop's sequential iterations wait for the
 *   one before), or the task whose end started it (a callback, a compensation); a task
 *   with neither started with the composite it is in, so it goes on from what the
 *   composite waited for;
 * - in a code run, whose steps declare nothing, the step of the same level (same map, or
 *   the top) that ended last at or before it started: code that awaits one step before the
 *   next is a chain, steps that overlapped are side by side. `baton graph` draws a code run
 *   by the same rule (engine/steps/ran-graph.ts).
 * A composite on the way (a parallel, a loop, a map) is seen through to the task inside it
 * that ended last, so the path lists the tasks that did the work.
 */

export interface PathNode {
  key: string;
  /** What it waits for (depends_on, a sequential loop's previous iteration). */
  deps: readonly string[];
  /** The composite it is inside. */
  parent?: string;
  /** The task whose end started it (a callback, a compensation). */
  trigger?: string;
  /** Its first start and its end (ms); a task that never started is not on any path. */
  start?: number;
  end?: number;
}

export interface PathInput {
  nodes: ReadonlyMap<string, PathNode>;
  /** A code run: no declared dependencies, steps are ordered by time. */
  byTime: boolean;
  /** When the run was created: the first step's wait counts from here. */
  createdAt: number;
}

export interface PathLink {
  key: string;
  start: number;
  end: number;
  /** Since the end of the link before it (the run's creation for the first). */
  waited: number;
}

export function criticalPath(input: PathInput): PathLink[] {
  const ran = [...input.nodes.values()].filter((n): n is PathNode & { start: number; end: number } => n.start !== undefined && n.end !== undefined);
  const children = new Map<string | undefined, PathNode[]>();
  for (const node of ran) {
    const level = levelOf(node, input);
    const list = children.get(level);
    if (list) list.push(node);
    else children.set(level, [node]);
  }
  const lastOf = (nodes: readonly PathNode[] | undefined): PathNode | undefined => {
    let best: PathNode | undefined;
    for (const node of nodes ?? []) if (node.end !== undefined && (best === undefined || endsLater(node, best))) best = node;
    return best;
  };
  // A composite stands for the task inside it that ended last (and so on down).
  const inner = (node: PathNode): PathNode => {
    const seen = new Set([node.key]);
    for (let at = node; ; ) {
      const last = lastOf(children.get(at.key));
      if (!last || seen.has(last.key)) return at;
      seen.add(last.key);
      at = last;
    }
  };
  const before = (node: PathNode): PathNode | undefined => {
    for (let at: PathNode | undefined = node; at; at = at.parent === undefined ? undefined : input.nodes.get(at.parent)) {
      const waitedFor = input.byTime ? earlierSibling(at, children.get(levelOf(at, input))) : lastOf(waitsFor(at, input.nodes));
      if (waitedFor) return waitedFor;
    }
    return undefined;
  };
  const last = lastOf(children.get(undefined));
  if (!last) return [];
  const chain: PathNode[] = [];
  const onPath = new Set<string>();
  for (let at: PathNode | undefined = inner(last); at && !onPath.has(at.key); ) {
    chain.push(at);
    onPath.add(at.key);
    const prev = before(at);
    at = prev && inner(prev);
  }
  chain.reverse();
  return chain.map((node, i) => ({ key: node.key, start: node.start!, end: node.end!, waited: Math.max(0, node.start! - (i === 0 ? input.createdAt : chain[i - 1].end!)) }));
}

/**
 * Whether `a` ended after `b`. Times are whole milliseconds, so a quick task that followed
 * another often ends in the same one: then the one that started later came after.
 */
function endsLater(a: PathNode, b: PathNode): boolean {
  return a.end! > b.end! || (a.end === b.end && (a.start ?? -Infinity) > (b.start ?? -Infinity));
}

/** The tasks a workflow file's task waited for: its dependencies and the task that triggered it. */
function waitsFor(node: PathNode, nodes: ReadonlyMap<string, PathNode>): PathNode[] {
  const keys = node.trigger === undefined ? node.deps : [...node.deps, node.trigger];
  return keys.map((key) => nodes.get(key)).filter((n): n is PathNode => n !== undefined);
}

function levelOf(node: PathNode, input: PathInput): string | undefined {
  return node.parent !== undefined && input.nodes.has(node.parent) ? node.parent : undefined;
}

/** The sibling that ended last at or before `node` started. */
function earlierSibling(node: PathNode, siblings: readonly PathNode[] | undefined): PathNode | undefined {
  let best: PathNode | undefined;
  for (const other of siblings ?? []) {
    if (other.key === node.key || other.end === undefined || node.start === undefined || other.end > node.start) continue;
    if (best === undefined || endsLater(other, best)) best = other;
  }
  return best;
}
