import type { InputSpec, RetryPolicy, Workflow } from '../spec/model.js';
import { parseDuration } from '../spec/duration.js';
import { RETRY_DEFAULTS } from '../spec/normalize-leaf.js';
import { retryMatchOf } from '../spec/retry-match.js';
import { BatonError } from '../observability/errors.js';
import type { Context } from './context.js';
import { WORKFLOW_BRAND } from './exports.js';

/** An input as a workflow declares it: its type, or the same fields as a workflow file's `inputs:`. */
export type InputDecl =
  | 'string'
  | 'number'
  | 'boolean'
  | 'json'
  | { type: 'string' | 'number' | 'boolean' | 'json'; description?: string; default?: unknown; required?: boolean };

type TypeOf<D> = D extends 'string' | { type: 'string' }
  ? string
  : D extends 'number' | { type: 'number' }
    ? number
    : D extends 'boolean' | { type: 'boolean' }
      ? boolean
      : unknown;

/** The inputs a workflow's function gets, typed from its declarations. */
export type InputsOf<I extends Record<string, InputDecl>> = { [K in keyof I]: TypeOf<I[K]> };

export interface WorkflowMeta<I extends Record<string, InputDecl> = Record<string, InputDecl>> {
  name: string;
  description?: string;
  version?: string;
  inputs?: I;
  /** Variables every step's commands get (`ctx.sh`), on top of baton's environment. */
  environment?: Record<string, string>;
  /** Names of environment variables holding secrets: their values are masked in logs and results. */
  secrets?: string[];
  /** Whole-run time limit ('2h', or milliseconds). */
  timeout?: string | number;
  /** Largest step result kept, in bytes of JSON; default 1 MiB. */
  step_result_limit?: number;
  /**
   * What starts its runs under `baton serve`, as `triggers:` in a workflow file:
   * `[{ type: 'webhook', config: { webhook: '/deploy', secret_env: 'HOOK_SECRET' } }]`
   * (docs/server.md#triggers). The code reads what fired a run as `ctx.trigger`.
   */
  triggers?: Array<{ type: 'manual' | 'schedule' | 'webhook' | 'file_change' | 'event' | 'message'; config?: Record<string, unknown> }>;
}

export type WorkflowFunction<I extends Record<string, InputDecl>> = (ctx: Context, inputs: InputsOf<I>) => unknown;

/** A workflow whatever its inputs, as the runner handles it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflow = WorkflowDefinition<any>;

/** What `workflow()` returns: the default export of a workflow file. */
export interface WorkflowDefinition<I extends Record<string, InputDecl> = Record<string, InputDecl>> {
  readonly [WORKFLOW_BRAND]: true;
  readonly meta: WorkflowMeta<I>;
  readonly fn: WorkflowFunction<I>;
}

/**
 * A workflow written as code: `export default workflow({ name, inputs }, async (ctx, inputs) => ...)`.
 * Every `ctx.step` is recorded; a resumed run calls the function again from the top and
 * recorded steps return their results at once (docs/code-workflows.md).
 */
export function workflow<I extends Record<string, InputDecl>>(meta: WorkflowMeta<I>, fn: WorkflowFunction<I>): WorkflowDefinition<I> {
  if (meta === null || typeof meta !== 'object' || typeof meta.name !== 'string' || meta.name.trim() === '') {
    throw new BatonError('CODE_BAD_WORKFLOW', "workflow() needs a name first: workflow({ name: 'deploy' }, async (ctx) => ...)");
  }
  if (typeof fn !== 'function') {
    throw new BatonError('CODE_BAD_WORKFLOW', `workflow ${meta.name}: the second argument must be its function: async (ctx, inputs) => ...`);
  }
  return { [WORKFLOW_BRAND]: true, meta, fn };
}

/**
 * The workflow a code run records in RunCreated: its name, inputs and settings in the
 * normalized form every view reads, with no tasks (steps join the run as they start).
 */
export function describeWorkflow(definition: AnyWorkflow, file: string): Workflow & { step_result_limit?: number } {
  const meta = definition.meta;
  const bad = (field: string, why: string) => new BatonError('CODE_BAD_WORKFLOW', `workflow ${meta.name}: ${field} ${why}`, { details: { file, field } });
  const inputs: Record<string, InputSpec> = {};
  for (const [name, decl] of Object.entries((meta.inputs ?? {}) as Record<string, InputDecl>)) {
    const spec: Exclude<InputDecl, string> = typeof decl === 'string' ? { type: decl } : decl;
    if (!spec || !['string', 'number', 'boolean', 'json'].includes(spec.type)) throw bad(`inputs.${name}`, "must be 'string', 'number', 'boolean' or 'json' (or { type, default, description })");
    inputs[name] = {
      type: spec.type,
      required: spec.required ?? spec.default === undefined,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      ...(spec.default === undefined ? {} : { default: spec.default }),
    };
  }
  let timeout: number | undefined;
  if (meta.timeout !== undefined) {
    try {
      timeout = parseDuration(meta.timeout, 'ms');
    } catch {
      throw bad('timeout', `is not a duration: ${JSON.stringify(meta.timeout)} (write '30m', '2h', or milliseconds)`);
    }
  }
  const limit = meta.step_result_limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) throw bad('step_result_limit', 'must be a whole number of bytes');
  return {
    name: meta.name,
    ...(meta.version === undefined ? {} : { version: meta.version }),
    ...(meta.description === undefined ? {} : { description: meta.description }),
    environment: { ...(meta.environment ?? {}) },
    ...(meta.secrets === undefined ? {} : { secrets: [...meta.secrets] }),
    inputs,
    tasks: [],
    callbacks: [],
    ...(timeout === undefined ? {} : { timeout }),
    alerts: [],
    source: { file, format: 'canonical' },
    ...(limit === undefined ? {} : { step_result_limit: limit }),
  };
}

/** How a step is tried again: `3` (tries in all) or the fields of a workflow file's `retry:`. */
export type RetryOption =
  | number
  | {
      attempts: number;
      delay?: string | number;
      backoff?: 'fixed' | 'linear' | 'exponential' | number;
      max_delay?: string | number;
      jitter?: number;
      /** Only these failures are retried: `{ exit_codes?, http_statuses?, errors? }` (error codes such as EXEC_TIMEOUT). */
      retry_on?: RetryMatchOption;
      /** These failures are never retried. */
      no_retry_on?: RetryMatchOption;
      /** No retry starts this long after the first attempt started ('10m', or milliseconds). */
      max_duration?: string | number;
    };

/** Failures a retry option names; any of them matches. */
export interface RetryMatchOption {
  exit_codes?: number | number[];
  http_statuses?: number | number[];
  errors?: string | string[];
}

/** A step's retry option as the engine's policy (the same defaults as a workflow file's `retry:`). */
export function retryOf(step: string, retry: RetryOption | undefined): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  const bad = (why: string) => new BatonError('STEP_BAD_OPTIONS', `step ${step}: retry ${why}`, { details: { step } });
  const value = typeof retry === 'number' ? { attempts: retry } : retry;
  if (!Number.isInteger(value.attempts) || value.attempts < 1) throw bad('needs attempts: a whole number of tries, counting the first');
  if (value.attempts === 1) return undefined;
  const backoff = value.backoff;
  const policy: RetryPolicy = {
    attempts: value.attempts,
    delay: durationOr(value.delay, RETRY_DEFAULTS.delay, () => bad('delay is not a duration')),
    backoff: typeof backoff === 'number' || backoff === undefined ? 'exponential' : backoff,
    factor: typeof backoff === 'number' && backoff > 0 ? backoff : RETRY_DEFAULTS.factor,
    jitter: value.jitter ?? RETRY_DEFAULTS.jitter,
  };
  if (value.max_delay !== undefined) policy.max_delay = durationOr(value.max_delay, 0, () => bad('max_delay is not a duration'));
  if (value.max_duration !== undefined) policy.max_duration = durationOr(value.max_duration, 0, () => bad('max_duration is not a duration'));
  for (const field of ['retry_on', 'no_retry_on'] as const) {
    const { match, problem } = retryMatchOf(value[field]);
    if (problem !== undefined) throw bad(`${field} ${problem}`);
    if (match !== undefined) policy[field] = match;
  }
  return policy;
}

/** Milliseconds of a duration option ('10m', or milliseconds); `fallback` when absent. */
export function durationOr(value: string | number | undefined, fallback: number, bad: () => Error): number {
  if (value === undefined) return fallback;
  try {
    return parseDuration(value, 'ms');
  } catch {
    throw bad();
  }
}
