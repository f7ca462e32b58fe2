/**
 * Raw canonical document -> Workflow: defaults, units (every duration in ms), shorthands
 * (`retry: 3`, `depends_on: x`, `inputs: {name: default}`). Runs even when zod found
 * problems, reading wrongly-typed values as absent, so one pass reports everything.
 */
import type { Reporter } from './diagnostics.js';
import { ExprSites } from './exprs.js';
import type { CircuitPolicy, InputSpec, Workflow } from './model.js';
import { durationOf } from './normalize-leaf.js';
import { resolveNamedRoles } from './normalize-roles.js';
import { normalizeTask } from './normalize-task.js';
import { circuitsOf, keptCircuits } from './normalize-circuits.js';
import { concurrencyOf } from './normalize-concurrency.js';
import { triggersOf } from './normalize-trigger.js';
import type { TaskContext, TaskNode } from './normalize-task.js';
import type { SkillLookup } from './normalize-skill.js';
import { bool, isMap, map, scalarText, str } from './raw.js';
import { alertsOf, expectedDurationOf, notificationsOf } from './normalize-alerts.js';
import type { RawMap } from './raw.js';

export interface Normalized {
  workflow: Workflow;
  /** Every task at every level, parents before children, in file order. */
  nodes: TaskNode[];
  /** The top-level task nodes. */
  top: TaskNode[];
  /** Every field holding expressions, to check once the graph is known. */
  exprs: ExprSites;
  /** The tasks (their raw maps) that are compensations: like callbacks, they read the task they answer as `trigger`. */
  compensations: Set<object>;
}

export interface NormalizeOptions {
  file: string;
  format: Workflow['source']['format'];
  isOnPath?: (program: string) => boolean;
  skills?: SkillLookup;
  /** The pools of baton.config.yaml, to check tasks' `resources`; default: not checked. */
  pools?: Readonly<Record<string, number>>;
  /** The circuits of baton.config.yaml, for tasks' `circuit`; default: a name the workflow does not declare is not checked. */
  circuits?: Readonly<Record<string, CircuitPolicy>>;
  /** The notification channels of baton.config.yaml, to check notify tasks' `notify:`; default: not checked. */
  channels?: readonly string[];
}

export function normalize(raw: RawMap, rep: Reporter, options: NormalizeOptions): Normalized {
  const exprs = new ExprSites();
  const ctx: TaskContext = { rep, exprs, nodes: [], programs: new Map(), compensations: new Set() };
  if (options.isOnPath !== undefined) ctx.isOnPath = options.isOnPath;
  if (options.skills !== undefined) ctx.skills = options.skills;
  if (options.pools !== undefined) ctx.pools = options.pools;
  // Declared before the tasks are read, which check the names they give against them.
  const broken = new Set<string>();
  ctx.circuits = { own: circuitsOf(raw, rep, { code: 'SPEC_INVALID_VALUE', checkKinds: false }, broken), broken, used: new Set() };
  if (options.circuits !== undefined) ctx.circuits.config = options.circuits;
  if (options.channels !== undefined) ctx.channels = options.channels;
  const top: TaskNode[] = [];
  if (Array.isArray(raw.tasks)) {
    raw.tasks.forEach((task, index) => {
      const node = normalizeTask(task, ctx, { slot: 'top', depth: 0, index });
      if (node !== undefined) top.push(node);
    });
  }
  // Tasks named as fallbacks or compensations run only in that role: not on their own.
  const roleTasks = resolveNamedRoles(ctx.nodes, top, rep, ctx.compensations);
  const workflow: Workflow = {
    name: str(raw, 'name') ?? '',
    environment: environmentOf(raw, exprs),
    inputs: inputsOf(raw, rep),
    tasks: top.filter((n) => !roleTasks.has(n.spec.id)).map((n) => n.spec),
    callbacks: [],
    alerts: alertsOf(raw, rep, options.channels),
    source: { file: options.file, format: options.format },
  };
  const version = versionOf(raw, rep);
  if (version !== undefined) workflow.version = version;
  const description = str(raw, 'description');
  if (description !== undefined) workflow.description = description;
  const triggers = triggersOf(raw, rep);
  if (triggers.length > 0) workflow.triggers = triggers;
  const timeout = durationOf(raw.timeout, 's');
  if (timeout === 0) rep.error('SPEC_INVALID_VALUE', 'a timeout must be more than 0', rep.value(raw, 'timeout'));
  if (timeout !== undefined && timeout > 0) workflow.timeout = timeout;
  const queue = str(raw, 'queue');
  if (queue !== undefined) workflow.queue = queue;
  const circuits = keptCircuits(ctx.circuits);
  if (circuits !== undefined) workflow.circuits = circuits;
  if (Array.isArray(raw.secrets)) {
    const secrets = raw.secrets.filter((name): name is string => typeof name === 'string');
    if (secrets.length > 0) workflow.secrets = [...new Set(secrets)];
  }
  concurrencyOf(raw, rep, workflow, options.format === 'canonical');
  const outputs = outputsOf(raw, exprs);
  if (outputs !== undefined) workflow.outputs = outputs;
  const notifications = notificationsOf(raw, rep, options.channels);
  if (notifications !== undefined) workflow.notifications = notifications;
  const expected = expectedDurationOf(raw, rep);
  if (expected !== undefined) workflow.expected_duration = expected;
  return { workflow, nodes: ctx.nodes, top, exprs, compensations: ctx.compensations ?? new Set() };
}

/** `version: 1.0` is the number 1 to YAML; the text as written is what the author meant. */
function versionOf(raw: RawMap, rep: Reporter): string | undefined {
  const value = raw.version;
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return undefined;
  const span = rep.index.valueSpan(raw, 'version');
  const written = span === undefined ? '' : rep.index.text.slice(span.start, span.end).trim();
  return written !== '' && Number(written) === value ? written : String(value);
}

function environmentOf(raw: RawMap, exprs: ExprSites): Record<string, string> {
  const out: Record<string, string> = {};
  const environment = map(raw, 'environment');
  for (const [name, value] of Object.entries(environment ?? {})) {
    const text = scalarText(value);
    if (text === undefined) continue;
    out[name] = text;
    exprs.template(environment!, name);
  }
  return out;
}

/** The workflow's `outputs:`: templates over the run's contexts, checked like the environment's. */
function outputsOf(raw: RawMap, exprs: ExprSites): Record<string, string> | undefined {
  const outputs = map(raw, 'outputs');
  if (outputs === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(outputs)) {
    const text = scalarText(value);
    if (text === undefined) continue;
    out[name] = text;
    exprs.template(outputs, name, 'run-outputs');
  }
  return out;
}

function kindOf(value: unknown): InputSpec['type'] {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'json';
}

function inputsOf(raw: RawMap, rep: Reporter): Record<string, InputSpec> {
  const out: Record<string, InputSpec> = {};
  const inputs = map(raw, 'inputs');
  for (const [name, value] of Object.entries(inputs ?? {})) {
    if (!isMap(value)) {
      // Shorthand: `name: default` (`name:` alone: a required string).
      out[name] = value === null || value === undefined ? { type: 'string', required: true } : { type: kindOf(value), default: value, required: false };
      continue;
    }
    const declared = str(value, 'type') as InputSpec['type'] | undefined;
    const spec: InputSpec = { type: declared ?? (value.default === undefined ? 'string' : kindOf(value.default)), required: bool(value, 'required') ?? value.default === undefined };
    const description = str(value, 'description');
    if (description !== undefined) spec.description = description;
    if (value.default !== undefined) {
      spec.default = value.default;
      if (declared !== undefined && declared !== 'json' && kindOf(value.default) !== declared) {
        rep.error('SPEC_TYPE', `the default of input '${name}' is a ${kindOf(value.default)}, but its type is ${declared}`, rep.value(value, 'default'));
      }
    }
    out[name] = spec;
  }
  return out;
}

