/**
 * Where the run graph's nodes go: the run's top-level tasks laid out left to right by dagre
 * along their `depends_on` (GET /api/runs/{id} gives each task's), a composite (loop,
 * parallel, conditional, a code run's map) drawn as a group box holding its tasks as chips,
 * and a group of more than GROUP_CHIPS tasks collapsed into counts per status, so a loop of
 * 2,000 iterations is one box, not 2,000 nodes. A code run declares no edges: its steps are
 * chained by time, as the critical path and `baton graph` chain them (a step follows the step
 * of its level that ended last before it started; steps that overlapped sit side by side).
 * Pure: tasks in, positions out.
 */
import dagre from '@dagrejs/dagre';
import type { TaskJson } from './types.js';

/** A group with more tasks than this is drawn collapsed: counts, not chips. */
export const GROUP_CHIPS = 24;
const NODE_W = 168;
const NODE_H = 40;
const CHIP_W = 150;
const CHIP_H = 26;
const CHIP_GAP = 6;
const CHIPS_PER_ROW = 3;
const GROUP_PAD = 10;
const GROUP_HEAD = 30;

export interface Chip {
  id: string;
  label: string;
  status: string;
  /** Relative to the group's top-left corner. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphNode {
  id: string;
  label: string;
  type?: string;
  status: string;
  /** Top-left corner. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** A composite: its tasks as chips (when GROUP_CHIPS or fewer)... */
  chips?: Chip[];
  /** ...or, collapsed, how many of its tasks are in each status. */
  counts?: Record<string, number>;
  /** How many tasks it holds (all levels below it). */
  size?: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export function layoutGraph(tasks: readonly TaskJson[], options: { code?: boolean } = {}): GraphLayout {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const children = new Map<string, TaskJson[]>();
  const top: TaskJson[] = [];
  for (const task of tasks) {
    if (task.parent !== undefined && byId.has(task.parent)) {
      const list = children.get(task.parent);
      if (list) list.push(task);
      else children.set(task.parent, [task]);
    } else top.push(task);
  }
  const size = (id: string): number => (children.get(id) ?? []).reduce((n, child) => n + 1 + size(child.id), 0);
  const topOf = (id: string): string => {
    let at = byId.get(id);
    while (at?.parent !== undefined && byId.has(at.parent)) at = byId.get(at.parent);
    return at?.id ?? id;
  };

  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 48, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, GraphNode>();
  for (const task of top) {
    const node = nodeOf(task, children.get(task.id) ?? [], size(task.id));
    nodes.set(task.id, node);
    g.setNode(task.id, { width: node.w, height: node.h });
  }
  const edges = new Set<string>();
  const link = (from: string, to: string) => {
    const a = topOf(from);
    if (a === to || !nodes.has(a) || edges.has(`${a}\n${to}`)) return;
    edges.add(`${a}\n${to}`);
    g.setEdge(a, to);
  };
  if (options.code) for (const [from, to] of chainByTime(top)) link(from, to);
  else for (const task of top) for (const dep of task.depends_on ?? []) link(dep, task.id);

  dagre.layout(g);
  for (const [id, node] of nodes) {
    const placed = g.node(id) as { x: number; y: number };
    node.x = placed.x - node.w / 2;
    node.y = placed.y - node.h / 2;
  }
  const graph = g.graph() as { width?: number; height?: number };
  return {
    nodes: [...nodes.values()],
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: ((g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []).map((p) => ({ x: p.x, y: p.y })) })),
    width: graph.width ?? 0,
    height: graph.height ?? 0,
  };
}

function nodeOf(task: TaskJson, inside: readonly TaskJson[], total: number): GraphNode {
  const node: GraphNode = { id: task.id, label: task.name ?? task.id, status: task.status, x: 0, y: 0, w: NODE_W, h: NODE_H, ...(task.type ? { type: task.type } : {}) };
  if (inside.length === 0) return node;
  node.size = total;
  if (inside.length > GROUP_CHIPS) {
    const counts: Record<string, number> = {};
    for (const child of inside) counts[child.status] = (counts[child.status] ?? 0) + 1;
    node.counts = counts;
    node.w = NODE_W + 60;
    node.h = GROUP_HEAD + 34;
    return node;
  }
  const perRow = Math.min(CHIPS_PER_ROW, inside.length);
  node.chips = inside.map((child, i) => ({
    id: child.id,
    label: chipLabel(child, task.id),
    status: child.status,
    x: GROUP_PAD + (i % perRow) * (CHIP_W + CHIP_GAP),
    y: GROUP_HEAD + Math.floor(i / perRow) * (CHIP_H + CHIP_GAP),
    w: CHIP_W,
    h: CHIP_H,
  }));
  node.w = Math.max(NODE_W, GROUP_PAD * 2 + perRow * CHIP_W + (perRow - 1) * CHIP_GAP);
  node.h = GROUP_HEAD + Math.ceil(inside.length / perRow) * (CHIP_H + CHIP_GAP) + GROUP_PAD - CHIP_GAP;
  return node;
}

/** `envs[qa]` inside `envs` reads `[qa]`: the group's name is on the box already. */
function chipLabel(child: TaskJson, parent: string): string {
  if (child.name) return child.name;
  return child.id.startsWith(parent) && child.id.length > parent.length ? child.id.slice(parent.length) : child.id;
}

/** A code run's steps of one level chained by time: each after the step that ended last at or before its start. */
export function chainByTime(steps: readonly TaskJson[]): [string, string][] {
  const ran = steps
    .map((s) => ({ id: s.id, start: time(s.started_at), end: time(s.ended_at) }))
    .filter((s): s is { id: string; start: number; end: number | undefined } => s.start !== undefined);
  const out: [string, string][] = [];
  for (const step of ran) {
    let best: { id: string; end: number } | undefined;
    for (const other of ran) {
      if (other.id === step.id || other.end === undefined || other.end > step.start) continue;
      if (best === undefined || other.end > best.end) best = { id: other.id, end: other.end };
    }
    if (best) out.push([best.id, step.id]);
  }
  return out;
}

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : at;
}

/** The nodes that meet a rectangle (the part of the graph on screen): only those are drawn. */
export function visibleNodes(nodes: readonly GraphNode[], view: { x: number; y: number; w: number; h: number }, margin = 100): GraphNode[] {
  return nodes.filter((n) => n.x + n.w >= view.x - margin && n.x <= view.x + view.w + margin && n.y + n.h >= view.y - margin && n.y <= view.y + view.h + margin);
}
