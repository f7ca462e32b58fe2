/**
 * The task graph as Mermaid (`flowchart TD`) or Graphviz DOT, for `baton graph`.
 * Arrows go from a task to the tasks that wait for it; dashed, labelled arrows lead to
 * callbacks; parallel, loop and conditional tasks are boxes (subgraphs) around their
 * tasks. Node names are generated (t0, t1...), so ids never need escaping; labels do.
 */
import type { TaskSpec, Workflow } from './model.js';

interface Entry {
  task: TaskSpec;
  node: string;
  /** How the task sits in its composite: `then`, `else`, `each item`. */
  role?: string;
}

function walk(workflow: Workflow): { entries: Entry[]; byId: Map<string, Entry> } {
  const entries: Entry[] = [];
  const visit = (task: TaskSpec, role?: string): void => {
    const entry: Entry = { task, node: `t${entries.length}` };
    if (role !== undefined) entry.role = role;
    entries.push(entry);
    for (const [child, childRole] of children(task)) visit(child, childRole);
  };
  workflow.tasks.forEach((t) => visit(t));
  return { entries, byId: new Map(entries.map((e) => [e.task.id, e])) };
}

function children(task: TaskSpec): Array<[TaskSpec, string | undefined]> {
  if (task.type === 'parallel') return task.tasks.map((t) => [t, undefined]);
  if (task.type === 'loop') return [[task.task, 'each item']];
  if (task.type === 'conditional') {
    const out: Array<[TaskSpec, string]> = [];
    if (task.then !== undefined) out.push([task.then, 'then']);
    if (task.else !== undefined) out.push([task.else, 'else']);
    return out;
  }
  return [];
}

/** What a task is, in a few words: `shell`, `parallel (all)`, `loop over 3 items`. */
function kind(task: TaskSpec): string {
  switch (task.type) {
    case 'parallel':
      return `parallel (${task.wait_for})`;
    case 'loop':
      return Array.isArray(task.items) ? `loop over ${task.items.length} item${task.items.length === 1 ? '' : 's'}` : 'loop';
    case 'conditional':
      return `if ${task.if}`;
    case 'script':
      return `script (${task.language})`;
    case 'docker':
      return `docker ${task.action}`;
    default:
      return task.type;
  }
}

function lines(entry: Entry): string[] {
  const { task } = entry;
  const head = entry.role === undefined ? task.id : `${entry.role}: ${task.id}`;
  const out = [head];
  if (task.name !== undefined && task.name !== task.id) out.push(task.name);
  out.push(kind(task));
  if (task.condition !== undefined) out.push(`when ${task.condition}`);
  return out.map((l) => (l.length > 80 ? `${l.slice(0, 77)}...` : l).replace(/\s+/g, ' '));
}

function edges(entries: Entry[], byId: Map<string, Entry>): Array<{ from: string; to: string; label?: string }> {
  const out: Array<{ from: string; to: string; label?: string }> = [];
  for (const entry of entries) {
    for (const dep of entry.task.depends_on) {
      const from = byId.get(dep);
      if (from !== undefined) out.push({ from: from.node, to: entry.node });
    }
    for (const label of ['on_success', 'on_failure'] as const) {
      for (const id of entry.task[label]) {
        const to = byId.get(id);
        if (to !== undefined) out.push({ from: entry.node, to: to.node, label });
      }
    }
  }
  return out;
}

const isComposite = (task: TaskSpec): boolean => task.type === 'parallel' || task.type === 'loop' || task.type === 'conditional';

function mermaidText(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

export function toMermaid(workflow: Workflow): string {
  const { entries, byId } = walk(workflow);
  const out = ['flowchart TD'];
  const emit = (task: TaskSpec, role: string | undefined, indent: string): void => {
    const entry = byId.get(task.id)!;
    const label = lines(role === undefined ? entry : { ...entry, role }).map(mermaidText).join('<br/>');
    if (!isComposite(task)) {
      out.push(`${indent}${entry.node}["${label}"]`);
      return;
    }
    out.push(`${indent}subgraph ${entry.node}["${label}"]`);
    for (const [child, childRole] of children(task)) emit(child, childRole, `${indent}  `);
    out.push(`${indent}end`);
  };
  workflow.tasks.forEach((t) => emit(t, undefined, '  '));
  for (const e of edges(entries, byId)) {
    out.push(e.label === undefined ? `  ${e.from} --> ${e.to}` : `  ${e.from} -. ${e.label} .-> ${e.to}`);
  }
  return `${out.join('\n')}\n`;
}

function dotText(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function toDot(workflow: Workflow): string {
  const { entries, byId } = walk(workflow);
  const out = [`digraph ${dotText(workflow.name || 'workflow')} {`, '  rankdir=TB;', '  compound=true;', '  node [shape=box, style=rounded, fontname="Helvetica"];'];
  const emit = (task: TaskSpec, indent: string): void => {
    const entry = byId.get(task.id)!;
    const label = lines(entry).join('\n');
    if (!isComposite(task)) {
      out.push(`${indent}${entry.node} [label=${dotText(label)}];`);
      return;
    }
    // A composite is a cluster; its header node carries the edges that enter or leave it.
    out.push(`${indent}subgraph cluster_${entry.node} {`, `${indent}  label=${dotText(label)};`, `${indent}  style=dashed;`);
    out.push(`${indent}  ${entry.node} [label=${dotText(kind(task))}, shape=plaintext];`);
    for (const [child] of children(task)) emit(child, `${indent}  `);
    out.push(`${indent}}`);
  };
  workflow.tasks.forEach((t) => emit(t, '  '));
  const composite = new Set(entries.filter((e) => isComposite(e.task)).map((e) => e.node));
  for (const e of edges(entries, byId)) {
    const attrs: string[] = [];
    if (composite.has(e.from)) attrs.push(`ltail=cluster_${e.from}`);
    if (composite.has(e.to)) attrs.push(`lhead=cluster_${e.to}`);
    if (e.label !== undefined) attrs.push('style=dashed', `label=${dotText(e.label)}`);
    out.push(`  ${e.from} -> ${e.to}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
