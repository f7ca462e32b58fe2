/**
 * Raw task -> TaskSpec. Walks composites (parallel, loop, conditional) to at most
 * MAX_TASK_DEPTH levels, giving id-less children generated ids (`p[0]`, `l[item]`,
 * `c[then]`), and records every task as a TaskNode for the graph rules.
 *
 * A task whose type is missing or unknown becomes a placeholder noop, so that tasks
 * naming it do not each get a second, misleading "unknown task" error.
 */
import type { Reporter } from './diagnostics.js';

import type { ConditionalTask, LoopTask, ParallelTask, ScriptTask, TaskBase, TaskSpec, TaskType } from './model.js';
import { durationOf, httpTask, missing, retryPolicy, scriptTask, shellTask, sleepTask } from './normalize-leaf.js';
import { DATA_PROCESSOR_FIELDS, dataProcessorTask } from './normalize-data.js';
import { DOCKER_FIELDS, dockerTask } from './normalize-docker.js';
import { resourcesOf } from './normalize-resources.js';
import { circuitOf, type CircuitScope } from './normalize-circuits.js';
import { skillTask } from './normalize-skill.js';
import { sqlTask } from './normalize-sql.js';
import { PUBLISH_FIELDS, publishTask } from './normalize-publish.js';
import { NOTIFY_TASK_FIELDS, notifyTask } from './normalize-notify.js';
import { WORKFLOW_TASK_FIELDS, workflowTask } from './normalize-workflow.js';
import { APPROVAL_FIELDS, WAIT_FIELDS, approvalTask, pauseOf, waitTask } from './normalize-waits.js';
import type { LeafContext } from './normalize-leaf.js';
import { bool, has, isMap, map, num, scalarText, str, strings } from './raw.js';
import type { RawMap } from './raw.js';
import { SCRIPT_TYPE_ALIASES, SQL_TYPE_ALIASES, TASK_TYPES } from './schema.js';
import { inlineRoles } from './normalize-roles.js';
import { didYouMean } from './suggest.js';

/** Deepest nesting of composites (a parallel in a parallel ... ). */
export const MAX_TASK_DEPTH = 32;

export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** How a task sits in the workflow. */
export type Slot = 'top' | 'child' | 'template' | 'branch';

export interface TaskNode {
  spec: TaskSpec;
  raw: RawMap;
  slot: Slot;
  parent?: TaskNode;
  /** The nearest loop or conditional this task is inside (as template/branch, at any depth). */
  shelter?: TaskNode;
  children: TaskNode[];
}

export interface TaskContext extends LeafContext {
  nodes: TaskNode[];
  /** The pools of baton.config.yaml, to check `resources` at load time (normalize-resources.ts); default: not checked. */
  pools?: Readonly<Record<string, number>>;
  /** The circuits tasks may name (normalize-circuits.ts); default: names not checked. */
  circuits?: CircuitScope;
  /** Raw maps of the tasks that are compensations (normalize-roles.ts), which read `trigger` as a callback does. */
  compensations?: Set<object>;
}

const COMMON = ['id', 'name', 'type', 'condition', 'if', 'depends_on', 'timeout', 'retry', 'on_success', 'on_failure', 'fallback', 'compensate', 'schedule_timeout', 'heartbeat_timeout', 'outputs', 'live_output', 'continue_on_error', 'environment', 'cwd', 'queue', 'parallel', 'circuit'];
const TYPE_FIELDS: Record<TaskType, string[]> = {
  shell: ['command', 'shell', 'resources'],
  http: ['method', 'url', 'headers', 'body', 'data', 'auth', 'expect_status', 'resources'],
  script: ['language', 'script', 'code', 'args', 'inputs', 'resources'],
  noop: ['resources'],
  sleep: ['duration', 'resources'],
  skill: ['uses', 'with', 'resources'],
  docker: [...DOCKER_FIELDS, 'resources'],
  data_processor: [...DATA_PROCESSOR_FIELDS, 'resources'],
  sql: ['connection', 'query', 'file', 'migrations', 'migrations_path', 'params', 'rollback_on_failure', 'max_rows', 'resources'],
  publish: [...PUBLISH_FIELDS, 'resources'],
  workflow: [...WORKFLOW_TASK_FIELDS, 'resources'],
  notify: [...NOTIFY_TASK_FIELDS, 'resources'],
  approval: APPROVAL_FIELDS,
  wait: WAIT_FIELDS,
  parallel: ['tasks', 'wait_for', 'max_concurrency'],
  loop: ['items', 'task', 'max_concurrency', 'stop_on_failure'],
  conditional: ['then', 'else'],
};

export function normalizeTask(given: unknown, ctx: TaskContext, at: { slot: Slot; parent?: TaskNode; genId?: string; depth: number; index: number }): TaskNode | undefined {
  if (!isMap(given)) return undefined;
  const raw = liftConfig(given, ctx.rep);
  const outer = ctx.exprs.task;
  ctx.exprs.task = raw;
  try {
    return normalizeIn(raw, ctx, at);
  } finally {
    ctx.exprs.task = outer;
  }
}

function normalizeIn(raw: RawMap, ctx: TaskContext, at: { slot: Slot; parent?: TaskNode; genId?: string; depth: number; index: number }): TaskNode {
  const { rep } = ctx;
  const { type, alias } = resolveType(raw, rep);
  if (type !== undefined) checkFields(raw, type, rep);
  const base = baseOf(raw, type, ctx, at);
  const node: TaskNode = { spec: undefined as unknown as TaskSpec, raw, slot: at.slot, children: [] };
  if (at.parent !== undefined) {
    node.parent = at.parent;
    const shelter = at.slot === 'template' || at.slot === 'branch' ? at.parent : at.parent.shelter;
    if (shelter !== undefined) node.shelter = shelter;
  }
  ctx.nodes.push(node);
  const composite = type === 'parallel' || type === 'loop' || type === 'conditional';
  const tooDeep = composite && at.depth >= MAX_TASK_DEPTH;
  if (tooDeep) {
    const key = type === 'parallel' ? 'tasks' : type === 'loop' ? 'task' : has(raw, 'then') ? 'then' : 'else';
    rep.error('SPEC_TOO_DEEP', `tasks are nested more than ${MAX_TASK_DEPTH} levels deep`, rep.key(raw, key), 'flatten the workflow: use depends_on between top-level tasks instead of nesting');
  }
  switch (type) {
    case 'shell':
      node.spec = shellTask(base, raw, ctx);
      break;
    case 'http':
      node.spec = httpTask(base, raw, ctx);
      break;
    case 'script':
      node.spec = scriptTask(base, raw, ctx, alias);
      break;
    case 'sleep':
      node.spec = sleepTask(base, raw, ctx);
      break;
    case 'skill':
      node.spec = skillTask(base, raw, ctx);
      break;
    case 'docker':
      node.spec = dockerTask(base, raw, ctx);
      break;
    case 'data_processor':
      node.spec = dataProcessorTask(base, raw, ctx);
      break;
    case 'sql':
      node.spec = sqlTask(base, raw, ctx);
      break;
    case 'publish':
      node.spec = publishTask(base, raw, ctx);
      break;
    case 'workflow':
      node.spec = workflowTask(base, raw, ctx);
      break;
    case 'notify':
      node.spec = notifyTask(base, raw, ctx);
      break;
    case 'approval':
      node.spec = approvalTask(base, raw, ctx);
      break;
    case 'wait':
      node.spec = waitTask(base, raw, ctx);
      break;
    case 'parallel': {
      const spec: ParallelTask = { ...base, type: 'parallel', tasks: [], wait_for: (str(raw, 'wait_for') as ParallelTask['wait_for']) ?? 'all' };
      const max = num(raw, 'max_concurrency');
      if (max !== undefined) spec.max_concurrency = max;
      node.spec = spec;
      if (!has(raw, 'tasks')) missing(rep, raw, 'a parallel task', 'tasks');
      if (!tooDeep && Array.isArray(raw.tasks)) {
        raw.tasks.forEach((child, i) => addChild(node, normalizeTask(child, ctx, { slot: 'child', parent: node, genId: `${spec.id}[${i}]`, depth: at.depth + 1, index: i })));
      }
      spec.tasks = node.children.map((c) => c.spec);
      break;
    }
    case 'loop': {
      const items = Array.isArray(raw.items) ? raw.items : str(raw, 'items') ?? [];
      if (!has(raw, 'items')) missing(rep, raw, 'a loop', 'items', 'a list, or a template such as ${ fromJSON(tasks.list.outputs.items) }');
      ctx.exprs.template(raw, 'items');
      if (typeof raw.items === 'string' && !raw.items.includes('${')) {
        rep.error('SPEC_INVALID_VALUE', 'loop items must be a list, or a ${ } template that gives one', rep.value(raw, 'items'), 'e.g. items: [a, b] or items: "${ fromJSON(tasks.list.outputs.stdout) }"');
      }
      if (!has(raw, 'task')) missing(rep, raw, 'a loop', 'task', 'the task to run for each item');
      const template = tooDeep ? undefined : normalizeTask(raw.task, ctx, { slot: 'template', parent: node, genId: `${base.id}[item]`, depth: at.depth + 1, index: 0 });
      addChild(node, template);
      const spec: LoopTask = { ...base, type: 'loop', items, task: template?.spec ?? placeholder(`${base.id}[item]`), parallel: bool(raw, 'parallel') ?? false, stop_on_failure: bool(raw, 'stop_on_failure') ?? true };
      const max = num(raw, 'max_concurrency');
      if (max !== undefined) spec.max_concurrency = max;
      node.spec = spec;
      break;
    }
    case 'conditional': {
      const key = has(raw, 'condition') ? 'condition' : 'if';
      if (!has(raw, key)) missing(rep, raw, 'a conditional task', 'condition', 'the expression that picks `then` or `else`');
      ctx.exprs.condition(raw, key);
      const spec: ConditionalTask = { ...base, type: 'conditional', if: str(raw, key) ?? '' };
      delete spec.condition;
      if (!has(raw, 'then') && !has(raw, 'else')) missing(rep, raw, 'a conditional task', 'then', 'give `then`, `else` or both: each is one task');
      for (const branch of ['then', 'else'] as const) {
        if (tooDeep || !has(raw, branch)) continue;
        const child = normalizeTask(raw[branch], ctx, { slot: 'branch', parent: node, genId: `${base.id}[${branch}]`, depth: at.depth + 1, index: 0 });
        addChild(node, child);
        if (child !== undefined) spec[branch] = child.spec;
      }
      node.spec = spec;
      break;
    }
    default:
      node.spec = { ...base, type: 'noop' };
  }
  inlineRoles(node, ctx, at.depth);
  return node;
}

/**
 * Seed 004 writes what a task does under `config:` (`type: database, config: {connection,
 * migrations_path}`). Its fields read as if written on the task, each still pointing at
 * where it stands in the file; one given in both places is an error.
 */
function liftConfig(raw: RawMap, rep: Reporter): RawMap {
  const config = map(raw, 'config');
  if (config === undefined) return raw;
  const lifted = rep.index.derive<RawMap>({}, raw);
  for (const key of Object.keys(raw)) if (key !== 'config') rep.index.put(lifted, key, raw[key], raw, key);
  for (const key of Object.keys(config)) {
    if (Object.hasOwn(raw, key)) {
      rep.error('SPEC_CONFLICT', `'${key}' is given both on the task and in its \`config\``, rep.key(config, key), 'give it once');
      continue;
    }
    rep.index.put(lifted, key, config[key], config, key);
  }
  return lifted;
}

function addChild(parent: TaskNode, child: TaskNode | undefined): void {
  if (child !== undefined) parent.children.push(child);
}

function placeholder(id: string): TaskSpec {
  return { id, explicit_id: false, depends_on: [], on_success: [], on_failure: [], outputs: {}, live_output: false, continue_on_error: false, environment: {}, type: 'noop' };
}

function resolveType(raw: RawMap, rep: Reporter): { type?: TaskType; alias?: ScriptTask['language'] } {
  const type = raw.type;
  if (typeof type === 'string') {
    if ((TASK_TYPES as readonly string[]).includes(type)) return { type: type as TaskType };
    if ((SCRIPT_TYPE_ALIASES as readonly string[]).includes(type)) return { type: 'script', alias: type as ScriptTask['language'] };
    if ((SQL_TYPE_ALIASES as readonly string[]).includes(type)) return { type: 'sql' };
    return {};
  }
  if (type !== undefined) return {};
  if (has(raw, 'command')) return { type: 'shell' };
  if (has(raw, 'uses')) return { type: 'skill' };
  if (has(raw, 'workflow')) return { type: 'workflow' };
  if (has(raw, 'notify')) return { type: 'notify' };
  rep.error('SPEC_MISSING_FIELD', 'task has no `type` (nor a field that implies one: `command` a shell task, `uses` a skill, `workflow` a child run, `notify` a notification)', rep.value(raw), `add \`type:\`, one of: ${TASK_TYPES.join(', ')}`);
  return {};
}

/** Fields of other task types (`url` on a shell task). Unknown fields are zod's to report. */
function checkFields(raw: RawMap, type: TaskType, rep: Reporter): void {
  const allowed = new Set([...COMMON, ...TYPE_FIELDS[type]]);
  for (const key of Object.keys(raw)) {
    if (allowed.has(key)) continue;
    const owners = (Object.keys(TYPE_FIELDS) as TaskType[]).filter((t) => TYPE_FIELDS[t].includes(key));
    if (owners.length === 0) continue;
    rep.error('SPEC_FIELD_NOT_ALLOWED', `field '${key}' does not apply to a ${type} task (it is for ${owners.join('/')} tasks)`, rep.key(raw, key), `remove it, or change \`type\`${didYouMean(key, TYPE_FIELDS[type])}`);
  }
}

function baseOf(raw: RawMap, type: TaskType | undefined, ctx: TaskContext, at: { slot: Slot; parent?: TaskNode; genId?: string; index: number }): TaskBase {
  const { rep } = ctx;
  let id = str(raw, 'id');
  const explicit = id !== undefined;
  if (id !== undefined && !ID_PATTERN.test(id)) {
    rep.error('SPEC_INVALID_ID', `invalid task id '${id}'`, rep.value(raw, 'id'), 'ids hold letters, digits and _ . - and start with a letter, digit or _');
  }
  if (id === undefined && at.slot === 'top' && !has(raw, 'id')) {
    const name = str(raw, 'name');
    const suggestion = name === undefined ? 'build' : name.trim().toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'task';
    rep.error('SPEC_MISSING_ID', 'a top-level task needs an `id`', rep.value(raw), `add \`id: ${suggestion}\`; other tasks name it in depends_on, and runs record it`);
  }
  id ??= at.genId ?? `tasks[${at.index}]`;
  const base: TaskBase = {
    id,
    explicit_id: explicit,
    depends_on: strings(raw, 'depends_on'),
    on_success: strings(raw, 'on_success'),
    on_failure: strings(raw, 'on_failure'),
    outputs: {},
    live_output: bool(raw, 'live_output') ?? false,
    continue_on_error: bool(raw, 'continue_on_error') ?? false,
    environment: {},
  };
  pauseOf(raw, base, type, rep);
  const name = str(raw, 'name');
  if (name !== undefined) base.name = name;
  if (has(raw, 'condition') && has(raw, 'if')) rep.error('SPEC_CONFLICT', 'give either `condition` or `if` (its alias), not both', rep.key(raw, 'if'));
  if (type !== 'conditional') {
    const key = has(raw, 'condition') ? 'condition' : 'if';
    const condition = str(raw, key);
    if (condition !== undefined) base.condition = condition;
    ctx.exprs.condition(raw, key);
  }
  const timeout = durationOf(raw.timeout, 's');
  if (timeout === 0) rep.error('SPEC_INVALID_VALUE', 'a timeout must be more than 0', rep.value(raw, 'timeout'));
  if (timeout !== undefined && timeout > 0) base.timeout = timeout;
  for (const field of ['schedule_timeout', 'heartbeat_timeout'] as const) {
    const limit = durationOf(raw[field], 's');
    if (limit === undefined) continue;
    if (limit === 0) rep.error('SPEC_INVALID_VALUE', `a ${field} must be more than 0`, rep.value(raw, field));
    else if (type === 'parallel' || type === 'loop' || type === 'conditional') rep.error('SPEC_FIELD_NOT_ALLOWED', `${field} applies to tasks that run (a ${type} task ends as its tasks do)`, rep.key(raw, field), `put it on the tasks inside, or use \`timeout\` for the ${type} as a whole`);
    else base[field] = limit;
  }
  const retry = retryPolicy(rep, raw);
  if (retry !== undefined && (type === 'parallel' || type === 'loop' || type === 'conditional')) {
    // A composite ends as its children end; retrying it would re-run what already succeeded.
    rep.warning('SPEC_RETRY_ON_COMPOSITE', `retry has no effect on a ${type} task`, rep.key(raw, 'retry'), 'put `retry` on the tasks inside it');
  } else if (retry !== undefined) base.retry = retry;
  const outputs = isMap(raw.outputs) ? raw.outputs : {};
  for (const [name, template] of Object.entries(outputs)) {
    if (typeof template !== 'string') continue;
    base.outputs[name] = template;
    ctx.exprs.template(outputs, name, 'outputs');
  }
  const environment = isMap(raw.environment) ? raw.environment : {};
  for (const [name, value] of Object.entries(environment)) {
    const text = scalarText(value);
    if (text === undefined) continue;
    base.environment[name] = text;
    ctx.exprs.template(environment, name);
  }
  const cwd = str(raw, 'cwd');
  if (cwd !== undefined) {
    base.cwd = cwd;
    ctx.exprs.template(raw, 'cwd');
  }
  // A composite holds nothing itself (checkFields says so): its tasks do.
  const resources = type === 'parallel' || type === 'loop' || type === 'conditional' ? undefined : resourcesOf(raw, rep, ctx.pools);
  if (resources !== undefined) base.resources = resources;
  const circuit = circuitOf(raw, type, rep, ctx.circuits);
  if (circuit !== undefined) base.circuit = circuit;
  const queue = queueOf(raw, at.parent);
  if (queue !== undefined) base.queue = queue;
  return base;
}

/**
 * A task's own `queue`, else that of the nearest composite around it: on a composite it is
 * the default of the tasks inside, so a loop's iterations and a conditional's branch carry it
 * as they are made. (The schema has checked the name.)
 */
function queueOf(raw: RawMap, parent: TaskNode | undefined): string | undefined {
  return str(raw, 'queue') ?? (parent === undefined ? undefined : queueOf(parent.raw, parent.parent));
}
