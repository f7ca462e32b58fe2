/**
 * The fields of each leaf task type (shell, http, script, sleep), and retry policies.
 * Problems zod already reported (wrong kinds of values) are not reported again here:
 * such values read as absent. What is checked here is what a schema cannot say well:
 * fields that need each other, exclude each other, or depend on the type.
 */
import { parseDuration } from './duration.js';
import type { Reporter } from './diagnostics.js';
import { checkUrlAt } from './exprs.js';
import type { ExprSites } from './exprs.js';
import type { HttpTask, RetryPolicy, ScriptTask, ShellTask, SleepTask, TaskBase } from './model.js';
import { checkProgram } from './program-check.js';
import { retryMatchOf } from './retry-match.js';
import { has, isMap, map, num, scalarText, str } from './raw.js';
import type { RawMap } from './raw.js';
import type { SkillLookup } from './normalize-skill.js';

export interface LeafContext {
  rep: Reporter;
  /** Fields holding expressions, checked once the graph is known. */
  exprs: ExprSites;
  isOnPath?: (program: string) => boolean;
  programs: Map<string, boolean>;
  /** The skills `uses:` may name, to check them at load time (normalize-skill.ts). */
  skills?: SkillLookup;
  /** The channels of baton.config.yaml a notify task may name (normalize-notify.ts); default: not checked. */
  channels?: readonly string[];
}

export function missing(rep: Reporter, raw: RawMap, what: string, field: string, hint?: string): void {
  rep.error('SPEC_MISSING_FIELD', `${what} needs \`${field}\``, rep.value(raw), hint);
}

export function shellTask(base: TaskBase, raw: RawMap, ctx: LeafContext): ShellTask {
  const command = str(raw, 'command');
  if (command === undefined && !has(raw, 'command')) missing(ctx.rep, raw, 'a shell task', 'command');
  if (command !== undefined && command.trim() === '') ctx.rep.error('SPEC_INVALID_VALUE', 'the command is empty', ctx.rep.value(raw, 'command'));
  // The schema lets `command` be a list for docker tasks; a shell runs one line.
  if (Array.isArray(raw.command)) ctx.rep.error('SPEC_INVALID_VALUE', 'a shell command is one string, not a list', ctx.rep.value(raw, 'command'), 'join the words into one line (quote those that need it), or use `type: docker` for a list of arguments');
  ctx.exprs.template(raw, 'command', 'command');
  checkProgram(ctx.rep, raw, ctx.isOnPath, ctx.programs);
  const task: ShellTask = { ...base, type: 'shell', command: command ?? '' };
  const shell = str(raw, 'shell');
  if (shell !== undefined) task.shell = shell;
  return task;
}

export function httpTask(base: TaskBase, raw: RawMap, ctx: LeafContext): HttpTask {
  const { rep } = ctx;
  const url = str(raw, 'url');
  if (!has(raw, 'url')) missing(rep, raw, 'an http task', 'url');
  ctx.exprs.template(raw, 'url');
  checkUrlAt(rep, raw, 'url');
  const method = (str(raw, 'method') ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) rep.error('SPEC_INVALID_VALUE', `invalid HTTP method '${method}'`, rep.value(raw, 'method'), 'use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS');
  const headers: Record<string, string> = {};
  const rawHeaders = map(raw, 'headers');
  for (const [name, value] of Object.entries(rawHeaders ?? {})) {
    const text = scalarText(value);
    if (text === undefined) continue;
    headers[name] = text;
    ctx.exprs.template(rawHeaders!, name);
    // A line break would end the header and start another; a NUL byte cannot be sent.
    if (/[\r\n\0]/.test(text)) {
      const what = text.includes('\0') ? 'a NUL byte' : 'a line break (CR or LF)';
      rep.error('SPEC_INVALID_VALUE', `header "${name}" holds ${what}, which no header value may hold`, rep.value(rawHeaders!, name), 'write the value on one line');
    }
  }
  const task: HttpTask = { ...base, type: 'http', method, url: url ?? '', headers };
  if (has(raw, 'body') && has(raw, 'data')) rep.error('SPEC_CONFLICT', 'give either `body` or `data` (its alias), not both', rep.key(raw, 'data'));
  const bodyKey = has(raw, 'body') ? 'body' : has(raw, 'data') ? 'data' : undefined;
  if (bodyKey !== undefined) {
    task.body = raw[bodyKey];
    ctx.exprs.deep(raw, bodyKey);
  }
  const auth = map(raw, 'auth');
  if (auth !== undefined) {
    const bearer = str(auth, 'bearer');
    const username = str(auth, 'username');
    const password = str(auth, 'password');
    if (bearer !== undefined) task.auth = { bearer };
    else if (username !== undefined && password !== undefined) task.auth = { username, password };
    for (const key of ['bearer', 'username', 'password']) ctx.exprs.template(auth, key);
  }
  const status = raw.expect_status;
  const statuses = typeof status === 'number' ? [status] : Array.isArray(status) ? status.filter((s): s is number => typeof s === 'number') : undefined;
  if (statuses !== undefined) {
    statuses.forEach((s, i) => {
      if (!Number.isInteger(s) || s < 100 || s > 599) {
        rep.error('SPEC_INVALID_VALUE', `${s} is not an HTTP status (100-599)`, Array.isArray(status) ? rep.value(status, i) : rep.value(raw, 'expect_status'));
      }
    });
    task.expect_status = statuses;
  }
  return task;
}

/** Script languages by file extension (script tasks, data_processor processors). */
export const EXTENSIONS: Record<string, ScriptTask['language']> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  py: 'python',
};

export function scriptTask(base: TaskBase, raw: RawMap, ctx: LeafContext, typeAlias?: ScriptTask['language']): ScriptTask {
  const { rep } = ctx;
  const script = str(raw, 'script');
  const code = str(raw, 'code');
  if (has(raw, 'script') && has(raw, 'code')) rep.error('SPEC_CONFLICT', 'give either `script` (a file) or `code` (inline), not both', rep.key(raw, 'code'));
  if (!has(raw, 'script') && !has(raw, 'code')) missing(rep, raw, 'a script task', 'script', 'give `script: path/to/file` or `code: |` with the source');
  let language = str(raw, 'language') as ScriptTask['language'] | undefined;
  if (typeAlias !== undefined && language !== undefined && language !== typeAlias) {
    rep.error('SPEC_CONFLICT', `type '${typeAlias}' and language '${language}' disagree`, rep.value(raw, 'language'));
  }
  language ??= typeAlias;
  if (language === undefined && script !== undefined) {
    const extension = /\.([A-Za-z0-9]+)$/.exec(script)?.[1]?.toLowerCase();
    language = extension === undefined ? undefined : EXTENSIONS[extension];
    if (language === undefined) {
      rep.error('SPEC_MISSING_FIELD', `cannot tell the language of '${script}' from its extension`, rep.value(raw, 'script'), 'add `language: javascript`, `typescript` or `python`');
    }
  } else if (language === undefined && code !== undefined) {
    missing(rep, raw, 'an inline script', 'language', 'add `language: javascript`, `typescript` or `python`');
  }
  const args = Array.isArray(raw.args) ? raw.args.flatMap((a) => (scalarText(a) === undefined ? [] : [scalarText(a)!])) : [];
  ctx.exprs.template(raw, 'script');
  if (Array.isArray(raw.args)) raw.args.forEach((_, i) => ctx.exprs.template(raw.args as unknown[], i));
  ctx.exprs.deep(raw, 'inputs');
  const task: ScriptTask = { ...base, type: 'script', language: language ?? 'javascript', args, inputs: map(raw, 'inputs') ?? {} };
  if (script !== undefined) task.script = script;
  if (code !== undefined) task.code = code;
  return task;
}

export function sleepTask(base: TaskBase, raw: RawMap, ctx: LeafContext): SleepTask {
  if (!has(raw, 'duration')) missing(ctx.rep, raw, 'a sleep task', 'duration', 'e.g. `duration: 30s`');
  return { ...base, type: 'sleep', duration: durationOf(raw.duration, 's') ?? 0 };
}

/** A duration, or undefined when the value is not one (zod has said so already). */
export function durationOf(value: unknown, bareUnit: 'ms' | 's'): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value, bareUnit);
  } catch {
    return undefined;
  }
}

export const RETRY_DEFAULTS = { delay: 1000, backoff: 'exponential', factor: 2, jitter: 0.1 } as const;

/** `retry: 3` or `retry: {attempts, delay, backoff, max_delay, jitter}`; undefined when there is one try. */
export function retryPolicy(rep: Reporter, raw: RawMap): RetryPolicy | undefined {
  const value = raw.retry;
  if (typeof value === 'number') return Number.isInteger(value) && value > 1 ? { attempts: value, delay: RETRY_DEFAULTS.delay, backoff: 'exponential', factor: 2, jitter: 0.1 } : undefined;
  if (!isMap(value)) return undefined;
  const attempts = num(value, 'attempts');
  if (!has(value, 'attempts')) {
    rep.warning('SPEC_RETRY_NO_ATTEMPTS', 'retry has no `attempts`, so the task is tried once', rep.key(raw, 'retry'), 'add `attempts: 3` (tries in all, counting the first)');
  }
  if (attempts === undefined || !Number.isInteger(attempts) || attempts <= 1) return undefined;
  const backoff = value.backoff;
  const policy: RetryPolicy = {
    attempts,
    delay: durationOf(value.delay, 'ms') ?? RETRY_DEFAULTS.delay,
    backoff: typeof backoff === 'number' ? 'exponential' : backoff === 'fixed' || backoff === 'linear' ? backoff : 'exponential',
    factor: typeof backoff === 'number' && backoff > 0 ? backoff : RETRY_DEFAULTS.factor,
    jitter: num(value, 'jitter') ?? RETRY_DEFAULTS.jitter,
  };
  const maxDelay = durationOf(value.max_delay, 'ms');
  if (maxDelay !== undefined) policy.max_delay = maxDelay;
  const maxDuration = durationOf(value.max_duration, 'ms');
  if (maxDuration !== undefined) policy.max_duration = maxDuration;
  for (const field of ['retry_on', 'no_retry_on'] as const) {
    // A shape the schema refused was reported there, at its line.
    const { match } = retryMatchOf(value[field]);
    if (match !== undefined) policy[field] = match;
  }
  return policy;
}

/** A task's `headers:` (notify, publish): templates, each checked to hold no line break or NUL, which no header may. */
export function headersOf(raw: RawMap, ctx: LeafContext): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = map(raw, 'headers');
  for (const [name, value] of Object.entries(headers ?? {})) {
    const text = scalarText(value);
    if (text === undefined) continue;
    out[name] = text;
    ctx.exprs.template(headers!, name);
    if (/[\r\n\0]/.test(text)) ctx.rep.error('SPEC_INVALID_VALUE', `header "${name}" holds a line break or a NUL byte, which no header value may hold`, ctx.rep.value(headers!, name), 'write the value on one line');
  }
  return out;
}
