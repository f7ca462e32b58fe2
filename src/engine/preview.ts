import { referencesContext, renderShell, renderTemplate, type Scope } from '../expr/index.js';
import { KNOWN_CONTEXTS, scanTemplate } from '../expr/template.js';
import type { LoopTask, TaskSpec, Workflow } from '../spec/model.js';
import { iterationLabels } from './expand.js';
import { resolveInputs } from './inputs.js';
import { MASK } from './mask.js';
import { buildPlan } from './plan.js';
import { RunState } from './state.js';
import { plannedTasks } from './summary.js';

/**
 * What `--dry-run` shows: every task in an order it could run in, with its templates
 * resolved as far as what is known before the run allows (env, inputs, run, workflow, and
 * `item`/`index` of a loop whose items are written in the file). The parts that read what
 * only the run knows (task outputs, `result`, `trigger`, the items of a loop computed when
 * it starts) are shown as written.
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
  /** Inside a loop whose items are known: the action of each iteration (at most MAX_ITERATIONS). */
  iterations?: Array<{ key: string; action?: string }>;
  /** Iterations not listed in `iterations`. */
  more_iterations?: number;
}

export interface Preview {
  steps: PreviewStep[];
  /** The tasks the run will have, counted as `baton run` announces them (engine/summary.ts plannedTasks). */
  tasks: number;
  /** Loops whose items are known only when they start: their iterations are not in `tasks`. */
  open_loops: number;
}

/** Iterations shown per task; the rest are counted. */
const MAX_ITERATIONS = 10;

/** The iterations of the nearest loop with items written in the file. */
interface KnownLoop {
  key: string;
  items: readonly unknown[];
  labels: string[];
}

/**
 * The contexts a dry run knows before the run, for any front end that previews one: the
 * environment (the process's, the workflow's, the caller's overrides), the inputs checked
 * and converted as a run would, run and workflow, and secrets masked.
 */
export function previewScope(workflow: Workflow, given: Record<string, unknown>, env: Record<string, string>, processEnv: NodeJS.ProcessEnv = process.env): Scope {
  return {
    contexts: {
      env: { ...(processEnv as Record<string, string>), ...workflow.environment, ...env },
      inputs: resolveInputs(workflow.inputs, given),
      run: { id: '(dry run)' },
      workflow: { name: workflow.name, version: workflow.version },
      secrets: Object.fromEntries((workflow.secrets ?? []).map((name) => [name, MASK])),
    },
  };
}

export function previewRun(workflow: Workflow, scope: Scope): Preview {
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
  /** `inLoop`: item/index exist for this task (known or not); `known`: their values, when written in the file. */
  const add = (spec: TaskSpec, depth: number, extra: string | undefined, inLoop: boolean, known: KnownLoop | undefined) => {
    const note = [extra, ...(triggeredBy.get(spec.id) ?? []).map((t) => `runs only as ${t}`)].filter(Boolean).join('; ');
    const step: PreviewStep = {
      key: spec.id,
      type: spec.type,
      depth,
      action: describeAction(spec, scope, inLoop),
      condition: spec.condition,
      depends_on: spec.depends_on,
      note: note || undefined,
    };
    if (known !== undefined && step.action !== undefined && step.action !== describeAction(spec, withItem(scope, 0, known), true)) {
      const shown = known.items.slice(0, MAX_ITERATIONS);
      step.iterations = shown.map((_, index) => ({ key: `${known.key}[${known.labels[index]}]`, action: describeAction(spec, withItem(scope, index, known), true) }));
      if (known.items.length > shown.length) step.more_iterations = known.items.length - shown.length;
    }
    steps.push(step);
    if (spec.type === 'parallel') for (const child of spec.tasks) add(child, depth + 1, undefined, inLoop, known);
    if (spec.type === 'conditional') {
      if (spec.then) add(spec.then, depth + 1, `if ${spec.if}`, inLoop, known);
      if (spec.else) add(spec.else, depth + 1, `else (${spec.if} is false)`, inLoop, known);
    }
    if (spec.type === 'loop') {
      const items = Array.isArray(spec.items) ? JSON.stringify(spec.items) : spec.items;
      add(spec.task, depth + 1, `for each item of ${items}${spec.parallel ? ' (in parallel)' : ''}`, true, knownLoop(spec));
    }
  };
  for (const key of order) {
    const node = plan.nodes.get(key)!;
    if (node.parent === undefined) add(node.spec, 0, undefined, false, undefined);
  }
  const { count, openLoops } = plannedTasks(new RunState('dry-run', plan));
  return { steps, tasks: count, open_loops: openLoops };
}

function knownLoop(spec: LoopTask): KnownLoop | undefined {
  if (!Array.isArray(spec.items)) return undefined;
  return { key: spec.id, items: spec.items, labels: iterationLabels(spec.items) };
}

function withItem(scope: Scope, index: number, loop: KnownLoop): Scope {
  return { ...scope, contexts: { ...scope.contexts, item: loop.items[index], index } };
}

function describeAction(spec: TaskSpec, scope: Scope, inLoop: boolean): string | undefined {
  switch (spec.type) {
    case 'shell':
      return resolve(spec.command, scope, inLoop, true);
    case 'http':
      return `${spec.method} ${resolve(spec.url, scope, inLoop, false)}`;
    case 'script':
      return `${spec.language} ${spec.script ?? '(inline code)'}`;
    case 'sleep':
      return `sleep ${spec.duration}ms`;
    case 'skill':
      return `skill ${spec.skill}${Object.keys(spec.with).length > 0 ? ` with ${Object.keys(spec.with).join(', ')}` : ''}`;
    case 'docker':
      return spec.action === 'build'
        ? `docker build ${resolve(spec.context, scope, inLoop, false)}${spec.tags.length > 0 ? ` -t ${spec.tags.map((tag) => resolve(tag, scope, inLoop, false)).join(' -t ')}` : ''}`
        : `docker run ${resolve(spec.image, scope, inLoop, false)}${spec.command !== undefined ? ` ${spec.command.map((arg) => resolve(arg, scope, inLoop, false)).join(' ')}` : ''}`;
    case 'sql': {
      const what = spec.migrations !== undefined ? `migrations ${resolve(spec.migrations, scope, inLoop, false)}` : spec.file !== undefined ? resolve(spec.file, scope, inLoop, false) : spec.query!.replace(/\s+/g, ' ').trim();
      return `sql ${what}${spec.params !== undefined ? ' (params bound)' : ''}`;
    }
    case 'data_processor':
      return `${spec.input.paths.map((path) => resolve(path, scope, inLoop, false)).join(' ')} | ${spec.processor.command ?? spec.processor.script ?? `(inline ${spec.processor.type})`} > ${resolve(spec.output.path, scope, inLoop, false)}`;
    case 'workflow':
      return `child run of ${spec.workflow}${Object.keys(spec.inputs).length > 0 ? ` with ${Object.keys(spec.inputs).join(', ')}` : ''}`;
    case 'notify':
      // A webhook's URL often holds a token, and may be a secret: the channel, or that there is a webhook.
      return `notify ${spec.channel !== undefined ? `channel ${spec.channel}` : 'a webhook'}: ${resolve(spec.message, scope, inLoop, false)}`;
    default:
      return undefined;
  }
}

/**
 * A template with the parts the scope can give resolved (quoted for the shell in a
 * command, as the run will), and the others (task outputs, item of an unknown loop...)
 * left as written. A template that cannot be rendered is shown as written.
 */
function resolve(template: string, scope: Scope, inLoop: boolean, shell: boolean): string {
  if (!template.includes('${')) return template;
  const has = (name: string) => Object.hasOwn(scope.contexts, name) || (inLoop && (name === 'item' || name === 'index'));
  try {
    const { parts } = scanTemplate(template, { has });
    const unknown = KNOWN_CONTEXTS.filter((name) => !Object.hasOwn(scope.contexts, name));
    // Parts the scope cannot give become placeholders (plain words to the shell quoter),
    // put back as written once the rest is rendered.
    const held: string[] = [];
    let src = '';
    let at = 0;
    for (const part of parts) {
      if (part.kind !== 'expr') continue;
      const text = template.slice(part.start, part.end);
      if (!unknown.some((name) => referencesContext(text, name, { has }))) continue;
      src += `${template.slice(at, part.start)}BATONDRYRUN${held.length}X`;
      held.push(text);
      at = part.end;
    }
    src += template.slice(at);
    const rendered = shell ? renderShell(src, scope) : String(renderTemplate(src, scope) ?? '');
    return rendered.replace(/BATONDRYRUN(\d+)X/g, (_, i: string) => held[Number(i)]);
  } catch {
    return template;
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
