import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { format } from 'node:util';
import type { ChildRunResult } from '../engine/child-run.js';
import { iterationLabels } from '../engine/expand.js';
import type { StepAttempt, StepHost } from '../engine/steps/program.js';
import { StepFailed } from '../engine/steps/results.js';
import type { RunTrigger } from '../store/events.js';
import { BatonError } from '../observability/errors.js';
import { checkProgress, progressWarning } from '../executors/progress-input.js';
import { makeHttp, type Http } from './http.js';
import { makeSh, type Sh } from './sh.js';
import { durationOr, retryOf, type RetryOption } from './workflow.js';
import { QUEUE_NAME } from '../spec/queue-name.js';
import type { Compensations } from './compensations.js';

/** Options of one step. */
export interface StepOptions {
  /** Tries in all (`3`), or `{ attempts, delay, backoff, max_delay, jitter }` as in a workflow file. */
  retry?: RetryOption;
  /** Per attempt: '30s', or milliseconds. The step's `signal` is aborted and the attempt fails (retryable). */
  timeout?: string | number;
  /**
   * Runs the step remotely: when workers drive the run (`baton worker`), on a worker serving
   * this queue (`baton worker --queues gpu`), which runs the workflow's code again up to the
   * step, with recorded results, and runs the step's function there. Not for `ctx.run`.
   * A run driven by `baton run` runs the step here. Default: in the process driving the run.
   */
  queue?: string;
  /**
   * How to undo the step once it succeeded, should the workflow function fail later: run as
   * the durable step `compensate[<key>]` with the step's result, with the step's retry and
   * timeout; compensations run the last to succeed first (docs/code-workflows.md#compensation).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the step's own result type; a step's options are not generic
  compensate?: (result: any, step: StepContext) => unknown;
}

export interface MapOptions<T> extends StepOptions {
  /** Items running at once; default 10. */
  concurrency?: number;
  /** The item's part of its step key (`renew[<key>]`); default the item itself when items are short unique names, else its index. */
  key?: (item: T, index: number) => string;
}

/** What a step's function gets: its attempt, its cancellation signal and its idempotency key. */
export interface StepContext {
  readonly key: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** `<run id>/<step key>`: the same on every attempt and after a resume; pass it to APIs that dedupe. */
  readonly idempotencyKey: string;
}

/** What `ctx.progress()` takes besides a bare percentage. */
export interface ProgressReport {
  /** 0 to 100; derived from done and total when only they are given. */
  percent?: number;
  done?: number;
  total?: number;
  /** Shown beside the numbers until replaced; '' clears it. */
  message?: string;
}

/** What `ctx.summary()` returns: returned from the workflow function, it is what the run reports. */
export interface Summary {
  readonly summary: string;
}

export interface ApprovalAnswer {
  approved: true;
  comment?: string;
  by?: string;
}

/** The `ctx` a workflow function gets. */
export interface Context {
  readonly runId: string;
  /**
   * What fired the run: `{type: 'webhook', payload, ...}` and the like when a trigger of
   * `baton serve` started it (docs/server.md#triggers), `{type: 'manual'}` otherwise.
   */
  readonly trigger: RunTrigger | { type: 'manual' };
  /** Runs `fn` once as the step `id` and records its (JSON) result; a resume returns the record. */
  step<T>(id: string, fn: (step: StepContext) => T): Promise<Awaited<T>>;
  step<T>(id: string, options: StepOptions, fn: (step: StepContext) => T): Promise<Awaited<T>>;
  /** The options after the function reads well with `compensate`: `ctx.step('charge', charge, { compensate: refund })`. */
  step<T>(id: string, fn: (step: StepContext) => T, options: StepOptions): Promise<Awaited<T>>;
  /** One step per item (`id[<item>]`), `concurrency` at a time; results in the items' order. */
  map<T, R>(id: string, items: readonly T[], fn: (item: T, step: StepContext, index: number) => R): Promise<Array<Awaited<R>>>;
  map<T, R>(id: string, items: readonly T[], options: MapOptions<T>, fn: (item: T, step: StepContext, index: number) => R): Promise<Array<Awaited<R>>>;
  /** A durable sleep: a run resumed after a restart wakes at the time first set. */
  sleep(id: string, duration: string | number): Promise<void>;
  /** Waits for `baton approve <run> <id>`; a rejection or the timeout throws. */
  approval(id: string, options?: { prompt?: string; timeout?: string | number }): Promise<ApprovalAnswer>;
  /** Waits for `baton emit <event>` and returns its data; the timeout throws. */
  waitForEvent<T = unknown>(id: string, options: { event: string; timeout?: string | number }): Promise<T>;
  /**
   * Runs a workflow file (relative to this file's folder) as a child run, in a step named
   * after the file; resolves with its id, status and its tasks' outputs. A failed child
   * throws RUN_CHILD_FAILED. After a crash or a retry the step goes on with the same child run.
   */
  run(file: string, inputs?: Record<string, unknown>, options?: StepOptions): Promise<ChildRunResult>;
  /**
   * Runs a skill (`baton skills list`) as a child run, in a step named after it, with
   * `inputs` checked against what it declares; resolves with its outputs (its workflow's
   * `outputs:`, or what its TypeScript entry returned). A failed skill throws
   * RUN_CHILD_FAILED. After a crash or a retry the step goes on with the same child run.
   */
  skill<T extends Record<string, unknown> = Record<string, unknown>>(name: string, inputs?: Record<string, unknown>, options?: StepOptions): Promise<T>;
  /** Sets what the run reports back; return it from the workflow function. */
  summary(text: string): Summary;
  /** Runs a command inside a step: interpolated values are quoted as single words. */
  readonly sh: Sh;
  /** An HTTP request inside a step, with the http task's rules. */
  readonly http: Http;
  /** A line in the current step's log (or the run's own, outside steps). */
  log(...args: unknown[]): void;
  /**
   * Reports the current step's progress: a percentage (`ctx.progress(40)`), or items done of
   * a total with an optional message (`ctx.progress({ done: 37, total: 120, message: 'b.tar' })`).
   * `baton run`, `baton status` and `baton monitor` show it; it is recorded at most about once
   * a second, and once more when the step ends, so calling it for every item costs little. A
   * value that is not a report is ignored, with one warning in the step's log.
   */
  progress(value: number | ProgressReport): void;
  /** The current step's idempotency key (inside a step only). */
  readonly idempotencyKey: string;
}

const SUMMARY = Symbol.for('baton.summary');

/** Step attempts already warned of a progress report that is not one: once per attempt is enough. */
const warned = new WeakSet<StepAttempt>();

/** The step whose function is running, for ctx.sh/http/log called from it. */
const current = new AsyncLocalStorage<StepAttempt>();

/** The environment commands run in, and the folder they start from. */
export interface CommandSetting {
  env: Record<string, string>;
  cwd: string;
}

export function makeContext(host: StepHost, setting: CommandSetting, compensations?: Compensations): Context {
  const inStep = (what: string): StepAttempt => {
    const attempt = current.getStore();
    if (!attempt) {
      throw new BatonError('STEP_REQUIRED', `${what} runs inside a step, so that it is recorded: ctx.step('name', () => ${what === 'ctx.sh' ? 'ctx.sh`...`' : `${what}(...)`})`);
    }
    return attempt;
  };
  const commandEnv = (attempt: StepAttempt) => ({
    ...setting.env,
    BATON_RUN_ID: host.runId,
    BATON_STEP: attempt.key,
    BATON_TASK: attempt.key,
    BATON_ATTEMPT: String(attempt.attempt),
    BATON_IDEMPOTENCY_KEY: attempt.idempotencyKey,
    ...(attempt.traceparent !== undefined ? { TRACEPARENT: attempt.traceparent } : {}),
  });
  const sh = makeSh(() => {
    const attempt = inStep('ctx.sh');
    return {
      cwd: setting.cwd,
      env: commandEnv(attempt),
      signal: attempt.signal,
      output: attempt.output,
      started: (line) => attempt.output('stderr', `$ ${line}\n`),
    };
  });
  const http = makeHttp(() => {
    const attempt = inStep('ctx.http');
    return { signal: attempt.signal, output: attempt.output, where: `step ${attempt.key}` };
  });

  const runStep = async (key: string, options: StepOptions, fn: (step: StepContext) => unknown, parent?: string) => {
    const hostOptions = { retry: retryOf(key, options.retry), timeout: timeoutOf(key, options.timeout), ...queueOf(key, options.queue), ...(parent === undefined ? {} : { parent }) };
    const undo = options.compensate;
    if (undo !== undefined && typeof undo !== 'function') throw usage(`step ${key}: compensate must be a function (result, step) => ...`);
    const result = await host.step(key, hostOptions, (attempt) => current.run(attempt, () => fn(stepContext(attempt))));
    if (undo !== undefined) {
      compensations?.add({ key, result, options: { retry: hostOptions.retry, timeout: hostOptions.timeout }, undo: (attempt) => current.run(attempt, () => undo(result, stepContext(attempt))) });
    }
    return result;
  };

  const ctx: Context = {
    runId: host.runId,
    trigger: host.trigger ?? { type: 'manual' },
    step(id: string, a: unknown, b?: unknown) {
      // (id, fn), (id, options, fn) or (id, fn, options).
      const [options, fn] = typeof a === 'function' ? [(b ?? {}) as StepOptions, a] : [(a ?? {}) as StepOptions, b];
      if (typeof fn !== 'function') return Promise.reject(usage(`ctx.step('${id}', ...) needs a function to run: ctx.step('${id}', async () => ...)`));
      return runStep(host.keyFor(stepId(id)), options, fn as (step: StepContext) => unknown) as Promise<never>;
    },
    async map(id: string, items: readonly unknown[], a: unknown, b?: unknown) {
      const [options, fn] = typeof a === 'function' ? [{} as MapOptions<unknown>, a] : [(a ?? {}) as MapOptions<unknown>, b];
      if (typeof fn !== 'function') throw usage(`ctx.map('${id}', items, ...) needs a function to run per item`);
      if (!Array.isArray(items)) throw usage(`ctx.map('${id}', items, ...): items must be an array`);
      const concurrency = options.concurrency ?? 10;
      if (!Number.isInteger(concurrency) || concurrency < 1) throw usage(`ctx.map('${id}'): concurrency must be a whole number from 1`);
      const key = host.keyFor(stepId(id));
      const labels = options.key ? items.map((item, index) => String(options.key!(item, index))) : iterationLabels(items);
      if (new Set(labels).size !== labels.length) throw usage(`ctx.map('${id}'): the key function gives two items the same key; each item needs its own`);
      const group = host.openMap(key, items.length);
      const results: unknown[] = new Array(items.length);
      let next = 0;
      let failure: unknown;
      const worker = async () => {
        while (next < items.length && failure === undefined) {
          const index = next++;
          try {
            results[index] = await runStep(`${key}[${labels[index]}]`, options, (step) => (fn as (item: unknown, step: StepContext, index: number) => unknown)(items[index], step, index), key);
          } catch (err) {
            failure ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
      if (failure !== undefined) {
        group.close(failure instanceof StepFailed ? failure.taskError : { code: 'STEP_FAILED', message: String((failure as Error)?.message ?? failure) });
        throw failure;
      }
      group.close();
      return results as never;
    },
    async sleep(id, duration) {
      const key = host.keyFor(stepId(id));
      const ms = durationOr(duration, 0, () => usage(`ctx.sleep('${id}', ...): ${JSON.stringify(duration)} is not a duration ('10m', '1h', or milliseconds)`));
      await host.wait(key, { kind: 'sleep', until: Date.now() + ms });
    },
    async approval(id, options = {}) {
      const key = host.keyFor(stepId(id));
      const timeout = options.timeout === undefined ? undefined : Date.now() + durationOr(options.timeout, 0, () => usage(`ctx.approval('${id}'): timeout is not a duration`));
      const outputs = await host.wait(key, { kind: 'approval', ...(options.prompt === undefined ? {} : { prompt: options.prompt }), ...(timeout === undefined ? {} : { timeout_at: timeout }) });
      return outputs as unknown as ApprovalAnswer;
    },
    async waitForEvent(id, options) {
      const key = host.keyFor(stepId(id));
      if (!options || typeof options.event !== 'string' || options.event === '') throw usage(`ctx.waitForEvent('${id}', { event: 'name' }) needs the event's name`);
      const timeout = options.timeout === undefined ? undefined : Date.now() + durationOr(options.timeout, 0, () => usage(`ctx.waitForEvent('${id}'): timeout is not a duration`));
      const outputs = await host.wait(key, { kind: 'event', event: options.event, ...(timeout === undefined ? {} : { timeout_at: timeout }) });
      return outputs.data as never;
    },
    run(file, inputs = {}, options = {}) {
      if (typeof file !== 'string' || file === '') return Promise.reject(usage("ctx.run('deploy.yaml', inputs) needs the workflow file to run"));
      const key = host.keyFor(stepId(path.basename(file)));
      return host.child(key, { file }, inputs, { retry: retryOf(key, options.retry), timeout: timeoutOf(key, options.timeout) }) as Promise<ChildRunResult>;
    },
    skill(name, inputs = {}, options = {}) {
      if (typeof name !== 'string' || name === '') return Promise.reject(usage("ctx.skill('http-health-check', inputs) needs the skill's name"));
      const key = host.keyFor(stepId(name));
      return host.child(key, { skill: name }, inputs, { retry: retryOf(key, options.retry), timeout: timeoutOf(key, options.timeout) }) as Promise<never>;
    },
    summary(text) {
      const summary = String(text);
      host.summary(summary);
      return { [SUMMARY]: true, summary } as Summary;
    },
    sh,
    http,
    log(...args) {
      const line = format(...args) + '\n';
      const attempt = current.getStore();
      if (attempt) attempt.output('stdout', line);
      else host.output('stdout', line);
    },
    progress(value) {
      const attempt = inStep('ctx.progress');
      const input = checkProgress(value);
      if (typeof input !== 'string') return attempt.progress?.(input);
      if (warned.has(attempt)) return;
      warned.add(attempt);
      attempt.output('stderr', progressWarning(`ctx.progress: ${input}`));
    },
    get idempotencyKey() {
      return inStep('ctx.idempotencyKey').idempotencyKey;
    },
  };
  return ctx;
}

/** The summary a workflow function's return value carries, if it is ctx.summary(...). */
export function summaryOf(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[SUMMARY] === true ? (value as Summary).summary : undefined;
}

function stepContext(attempt: StepAttempt): StepContext {
  return { key: attempt.key, attempt: attempt.attempt, signal: attempt.signal, idempotencyKey: attempt.idempotencyKey };
}

function stepId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw usage(`a step needs an id, a non-empty string (got ${typeof id === 'string' ? 'an empty one' : typeof id})`);
  return id;
}

function timeoutOf(step: string, timeout: string | number | undefined): number | undefined {
  return timeout === undefined ? undefined : durationOr(timeout, 0, () => usage(`step ${step}: timeout is not a duration ('30s', or milliseconds)`));
}

function queueOf(step: string, queue: unknown): { queue?: string } {
  if (queue === undefined) return {};
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) throw usage(`step ${step}: queue ${JSON.stringify(queue)} is not a queue name (1-64 letters, digits, '-', '_', '.')`);
  return { queue };
}

function usage(message: string): BatonError {
  return new BatonError('STEP_BAD_OPTIONS', message);
}
