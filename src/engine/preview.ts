import { referencesContext, renderShell, renderTemplate, type Scope } from '../expr/index.js';
import type { TaskSpec, Workflow } from '../spec/model.js';
import { buildPlan } from './plan.js';

/**
 * What `--dry-run` shows: every task in an order it could run in, with its templates
 * resolved where they depend only on what is known before the run (env, inputs, run,
 * workflow). Templates that read task outputs are shown as written.
 */
export interface PreviewStep {
  key: string;
  type: string;
  /** Nesting below a composite, for indenting. */
  depth: number;
  /** The resolved command, request or script. */
  action?: string;
  condition?: string;
  depends_on: readonly string[];
  /** Loop items, callback triggers, branches. */
  note?: string;
}

export function previewRun(workflow: Workflow, scope: Scope): PreviewStep[] {
  const plan = buildPlan(workflow);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const dep of plan.nodes.get(key)!.deps) visit(dep);
    order.push(key);
  };
  const triggeredBy = new Map<string, string[]>();
  for (const [trigger, targets] of plan.callbacksOf) {
    for (const target of targets.on_success) push(triggeredBy, target, `on_success of ${trigger}`);
    for (const target of targets.on_failure) push(triggeredBy, target, `on_failure of ${trigger}`);
  }
  for (const task of workflow.tasks) if (!plan.nodes.get(task.id)!.callback) visit(task.id);
  for (const task of workflow.tasks) visit(task.id);

  const steps: PreviewStep[] = [];
  const add = (spec: TaskSpec, depth: number, extra?: string) => {
    const note = [extra, ...(triggeredBy.get(spec.id) ?? []).map((t) => `runs only as ${t}`)].filter(Boolean).join('; ');
    steps.push({
      key: spec.id,
      type: spec.type,
      depth,
      action: describeAction(spec, scope),
      condition: spec.condition,
      depends_on: spec.depends_on,
      note: note || undefined,
    });
    if (spec.type === 'parallel') for (const child of spec.tasks) add(child, depth + 1);
    if (spec.type === 'conditional') {
      if (spec.then) add(spec.then, depth + 1, `if ${spec.if}`);
      if (spec.else) add(spec.else, depth + 1, `else (${spec.if} is false)`);
    }
    if (spec.type === 'loop') {
      const items = Array.isArray(spec.items) ? JSON.stringify(spec.items) : spec.items;
      add(spec.task, depth + 1, `for each item of ${items}${spec.parallel ? ' (in parallel)' : ''}`);
    }
  };
  for (const key of order) {
    const node = plan.nodes.get(key)!;
    if (node.parent === undefined) add(node.spec, 0);
  }
  return steps;
}

function describeAction(spec: TaskSpec, scope: Scope): string | undefined {
  const resolve = (template: string, shell = false) => {
    if (!template.includes('${') || ['tasks', 'item', 'index', 'result', 'trigger'].some((c) => referencesContext(template, c))) {
      return template;
    }
    try {
      return shell ? renderShell(template, scope) : String(renderTemplate(template, scope) ?? '');
    } catch {
      return template;
    }
  };
  switch (spec.type) {
    case 'shell':
      return resolve(spec.command, true);
    case 'http':
      return `${spec.method} ${resolve(spec.url)}`;
    case 'script':
      return `${spec.language} ${spec.script ?? '(inline code)'}`;
    case 'sleep':
      return `sleep ${spec.duration}ms`;
    default:
      return undefined;
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
