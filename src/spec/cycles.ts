/**
 * Finding dependency cycles without recursion (a 20,000-task chain must not overflow
 * the stack): Tarjan's strongly connected components, iteratively, then one shortest
 * cycle through each component. A component with several cycles is reported once, as
 * breaking one of them is the fix the author needs to see first.
 */
export interface Edge<T> {
  from: number;
  to: number;
  data: T;
}

/** Each cycle as its edges in order; the first edge leaves the component's smallest vertex. */
export function findCycles<T>(vertexCount: number, edges: readonly Edge<T>[]): Edge<T>[][] {
  const out: Edge<T>[][] = Array.from({ length: vertexCount }, () => []);
  for (const edge of edges) out[edge.from].push(edge);
  const component = stronglyConnected(vertexCount, out);
  const cycles: Edge<T>[][] = [];
  const sizes = new Map<number, number>();
  for (const c of component) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const done = new Set<number>();
  for (let v = 0; v < vertexCount; v++) {
    const c = component[v];
    if (done.has(c) || (sizes.get(c) ?? 0) < 2) continue;
    done.add(c);
    const cycle = shortestCycle(v, out, component);
    if (cycle !== undefined) cycles.push(cycle);
  }
  return cycles;
}

function stronglyConnected<T>(n: number, out: Edge<T>[][]): number[] {
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const component = new Array<number>(n).fill(-1);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: Array<{ v: number; next: number }> = [{ v: root, next: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = out[frame.v];
      if (frame.next < edges.length) {
        const w = edges[frame.next++].to;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, next: 0 });
        } else if (onStack[w]) low[frame.v] = Math.min(low[frame.v], index[w]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].v;
        low[parent] = Math.min(low[parent], low[frame.v]);
      }
      if (low[frame.v] === index[frame.v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component[w] = components;
        } while (w !== frame.v);
        components++;
      }
    }
  }
  return component;
}

/** Breadth-first from `start` back to itself, staying inside its component. */
function shortestCycle<T>(start: number, out: Edge<T>[][], component: number[]): Edge<T>[] | undefined {
  const via = new Map<number, Edge<T>>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const edge of out[v]) {
      if (component[edge.to] !== component[start]) continue;
      if (edge.to === start) {
        const cycle = [edge];
        for (let at = v; at !== start; ) {
          const previous = via.get(at)!;
          cycle.unshift(previous);
          at = previous.from;
        }
        return cycle;
      }
      if (!via.has(edge.to)) {
        via.set(edge.to, edge);
        queue.push(edge.to);
      }
    }
  }
  return undefined;
}
