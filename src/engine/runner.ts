import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutorError, toTaskError } from '../executors/errors.js';
import { executorFor } from '../executors/registry.js';
import type { Executor, TaskIO } from '../executors/types.js';
import { coerceError, errorCode } from '../observability/errors.js';
import type { LeafTask, Workflow } from '../spec/model.js';
import type { RunEvent, StoredEvent, TimedEvent } from '../store/events.js';
import { newRunId } from '../store/ids.js';
import type { LogStore, Store } from '../store/store.js';
import { resolveInputs } from './inputs.js';
import { buildPlan } from './plan.js';
import { declaredOutputs, renderStrings, resolveTask } from './resolve.js';
import { Scheduler } from './scheduler.js';
import { ScopeBuilder } from './scope.js';
import { RunState } from './state.js';

export interface RunOptions {
  store: Store;
  workflow: Workflow;
  /** Folder relative paths resolve against; default: the workflow file's folder. */
  baseDir?: string;
  /** Inputs as given (strings from the CLI are converted by the declared types); default {}. */
  inputs?: Record<string, unknown>;
  /** Environment overrides for this run (`--env`), on top of the workflow's; default {}. */
  env?: Record<string, string>;
  /** Leaf tasks running at once; default the workflow's `concurrency`, else 16. */
  concurrency?: number;
  /** Cancels the run (Ctrl-C): running tasks are stopped, the run ends `cancelled`. */
  signal?: AbortSignal;
  /** Every event, as soon as it is recorded, with the run's state after it. */
  onEvent?: (event: StoredEvent, state: RunState) => void;
  /** Output of tasks with `live_output` as it arrives (for live views); default: none. */
  onOutput?: (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Send every task's output to onOutput, not only live_output tasks (`--follow`); default false. */
  followAll?: boolean;
  /** Executors by type; default: the built-in registry. */
  executors?: (type: LeafTask['type']) => Executor;
  /** Environment of the processes tasks start; default process.env. */
  processEnv?: NodeJS.ProcessEnv;
  /** Where task scratch folders go; default the OS temp folder. Removed when the run ends. */
  scratchRoot?: string;
  runId?: string;
  now?: () => number;
  random?: () => number;
}

export interface RunResult {
  runId: string;
  state: RunState;
}

/** Sets up a new run and drives it to its end. */
export async function runWorkflow(options: RunOptions): Promise<RunResult> {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? newRunId(now());
  const inputs = resolveInputs(options.workflow.inputs, options.inputs ?? {});
  const runner = new Runner(runId, options, inputs);
  await runner.run();
  return { runId, state: runner.state };
}

/**
 * The I/O side of a run: it asks the Scheduler what to do, records the resulting events
 * in the store, and only then acts on them (starts executors, aborts them, sets timers).
 * Completions that arrive together are recorded in one append (group commit), and a
 * task's result always shares that append with whatever it makes ready.
 */
class Runner {
  readonly state: RunState;
  private readonly scheduler: Scheduler;
  private readonly scopes: ScopeBuilder;
  private outbox: TimedEvent[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly processEnv: Record<string, string>;
  private readonly workflowEnv: Record<string, string>;
  private readonly scratchDir: string;
  private signalled = false;
  private waiter?: () => void;

  constructor(
    readonly runId: string,
    private readonly options: RunOptions,
    inputs: Record<string, unknown>,
  ) {
    this.now = options.now ?? Date.now;
    this.state = new RunState(runId, buildPlan(options.workflow));
    this.processEnv = stringEnv(options.processEnv ?? process.env);
    const runEnv = options.env ?? {};
    this.state.inputs = inputs;
    // The workflow's own env may use inputs and the process env: render it once, up front.
    const early = new ScopeBuilder(this.state, { ...this.processEnv, ...runEnv });
    this.workflowEnv = { ...renderStrings(options.workflow.environment, early.forTask('')), ...runEnv };
    this.scopes = new ScopeBuilder(this.state, { ...this.processEnv, ...this.workflowEnv });
    const concurrency = options.concurrency ?? options.workflow.concurrency ?? 16;
    this.scheduler = new Scheduler(
      this.state,
      this.scopes,
      { emit: (event) => this.emit(event), now: this.now, random: options.random ?? Math.random },
      Math.max(1, concurrency),
    );
    this.scratchDir = path.join(options.scratchRoot ?? tmpdir(), `baton-${runId}`);
  }

  async run(): Promise<void> {
    const { workflow, store } = this.options;
    const created = this.stamp({ type: 'RunCreated', workflow, inputs: this.state.inputs, env: this.options.env ?? {} });
    this.state.apply(created);
    this.notifyEvents(await store.runs.createRun({ id: this.runId, workflow: workflow.name, created_at: created.at }, [created]));
    const onAbort = () => this.cancel('cancelled by the user');
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    if (workflow.timeout !== undefined) this.setTimer(workflow.timeout, () => this.runTimeout(workflow.timeout!));
    try {
      if (this.options.signal?.aborted) this.scheduler.cancelRun('cancelled by the user');
      this.scheduler.start();
      await this.loop();
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
      for (const timer of this.timers) clearTimeout(timer);
      await rm(this.scratchDir, { recursive: true, force: true });
    }
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.scheduler.dispatch();
      const { launch, abort, timers } = this.scheduler.effects;
      const toLaunch = launch.length > 0 ? launch.splice(0) : NOTHING;
      const toAbort = abort.length > 0 ? abort.splice(0) : NOTHING;
      const toTime = timers.length > 0 ? timers.splice(0) : NOTHING;
      // Decisions are recorded before they are acted on: a crash can lose an action, never a record.
      if (this.outbox.length > 0) await this.flush();
      for (const key of toLaunch) this.launch(key);
      for (const { key, reason } of toAbort) this.controllers.get(key)?.abort(reason);
      for (const timer of toTime) {
        const onDue = timer.kind === 'retry' ? () => this.scheduler.retryDue(timer.key) : () => this.scheduler.compositeTimedOut(timer.key);
        this.setTimer(timer.at - this.now(), onDue);
      }
      if (this.scheduler.finishIfDone()) return this.flush();
      if (this.controllers.size === 0 && this.timers.size === 0 && !this.scheduler.hasReady() && !this.signalled) {
        this.stuck();
        return this.flush();
      }
      await this.nextWake();
    }
  }

  private launch(key: string): void {
    const spec = this.state.nodes.get(key)!.spec as LeafTask;
    const attempt = this.state.task(key).attempt;
    let executor: Executor;
    try {
      executor = (this.options.executors ?? executorFor)(spec.type);
    } catch (err) {
      executor = { run: () => Promise.reject(err) };
    }
    // An instant executor ends on its own within a microtask: it gets a signal that never
    // fires instead of a fresh AbortController (otherwise the costliest allocation per task).
    const controller = executor.instant ? NEVER_ABORTED : new AbortController();
    this.controllers.set(key, controller);
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeout !== undefined) timer = setTimeout(() => controller.abort('timeout'), spec.timeout);
    const settle = (act: () => void) => {
      if (timer) clearTimeout(timer);
      this.controllers.delete(key);
      act();
      this.wake();
    };
    let run: Promise<{ outputs: Record<string, unknown>; exit_code?: number }>;
    try {
      const resolved = resolveTask(spec, () => this.scopes.forTask(key));
      run = executor.run(resolved, this.io(key, attempt, resolved), controller.signal);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (result) =>
        settle(() => {
          let outputs = result.outputs;
          if (Object.keys(spec.outputs).length > 0) {
            try {
              const scope = this.scopes.forTask(key, undefined, { result: { ...outputs, exit_code: result.exit_code } });
              outputs = { ...outputs, ...declaredOutputs(spec, scope) };
            } catch (err) {
              return this.scheduler.failAttempt(key, attempt, { code: errorCode(err), message: coerceError(err).message }, false);
            }
          }
          this.scheduler.succeed(key, attempt, outputs, result.exit_code);
        }),
      (err) =>
        settle(() => {
          const reason = controller.signal.aborted ? controller.signal.reason : undefined;
          if (reason === 'timeout') {
            const message = `${key} timed out after ${formatMs(spec.timeout!)}`;
            return this.scheduler.failAttempt(key, attempt, { code: 'EXEC_TIMEOUT', message }, true);
          }
          if (reason !== undefined) return this.scheduler.cancelAttempt(key, attempt, this.state.cancelRequested ?? 'cancelled');
          const error = err instanceof ExecutorError ? toTaskError(err) : { code: errorCode(err), message: coerceError(err).message };
          this.scheduler.failAttempt(key, attempt, error, err instanceof ExecutorError ? err.retryable : false);
        }),
    );
  }

  private io(key: string, attempt: number, spec: LeafTask): TaskIO {
    const onOutput = spec.live_output || this.options.followAll ? this.options.onOutput : undefined;
    const needsEnv = spec.type === 'shell' || spec.type === 'script';
    const env = needsEnv ? { ...this.processEnv, ...this.workflowEnv, ...spec.environment } : this.workflowEnv;
    return new RunnerIO(this.runId, key, attempt, env, this.options.baseDir ?? process.cwd(), this.scratchDir, this.options.store.logs, onOutput);
  }

  private cancel(reason: string): void {
    this.scheduler.cancelRun(reason);
    this.wake();
  }

  private runTimeout(limit: number): void {
    this.scheduler.runTimedOut = true;
    this.scheduler.cancelRun(`the run timed out after ${formatMs(limit)}`);
  }

  /** Nothing runs, nothing waits, yet tasks are open: a bug, reported rather than hung on. */
  private stuck(): void {
    const open = [...this.state.tasks].filter(([, t]) => t.status === 'pending' || t.status === 'ready').map(([k]) => k);
    this.emit({
      type: 'RunFailed',
      error: { code: 'ENGINE_STUCK', message: `no task can start; still open: ${open.slice(0, 10).join(', ')}` },
    });
  }

  private setTimer(delay: number, fire: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fire();
      this.wake();
    }, Math.max(0, delay));
    this.timers.add(timer);
  }

  private stamp(event: RunEvent): TimedEvent {
    (event as TimedEvent).at = this.now();
    return event as TimedEvent;
  }

  private emit(event: RunEvent): void {
    const timed = this.stamp(event);
    this.state.apply(timed);
    this.outbox.push(timed);
  }

  private async flush(): Promise<void> {
    while (this.outbox.length > 0) {
      const batch = this.outbox;
      this.outbox = [];
      this.notifyEvents(await this.options.store.runs.append(this.runId, batch));
    }
  }

  private notifyEvents(events: StoredEvent[]): void {
    const onEvent = this.options.onEvent;
    if (onEvent) for (const event of events) onEvent(event, this.state);
  }

  private wake(): void {
    this.signalled = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private nextWake(): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        this.signalled = false;
        resolve();
      };
    });
  }
}

const NOTHING: never[] = [];

const NEVER_ABORTED = { signal: new AbortController().signal, abort() {} } as unknown as AbortController;

/** What an executor sees of its run: identity, environment, folders, and where output goes. */
class RunnerIO implements TaskIO {
  readonly idempotencyKey: string;

  constructor(
    readonly runId: string,
    readonly taskKey: string,
    readonly attempt: number,
    readonly env: Record<string, string>,
    readonly baseDir: string,
    private readonly runScratch: string,
    private readonly logs: LogStore,
    private readonly onOutput: RunOptions['onOutput'],
  ) {
    this.idempotencyKey = `${runId}/${taskKey}`;
  }

  /**
   * One folder per run, shared by its tasks: executors name their files uniquely, and
   * creating a folder per attempt cost more than a tenth of a millisecond per task here.
   */
  get scratchDir(): string {
    return this.runScratch;
  }

  stdout(chunk: string): void {
    this.logs.write(this.runId, this.taskKey, this.attempt, 'stdout', chunk);
    this.onOutput?.(this.taskKey, 'stdout', chunk);
  }

  stderr(chunk: string): void {
    this.logs.write(this.runId, this.taskKey, this.attempt, 'stderr', chunk);
    this.onOutput?.(this.taskKey, 'stderr', chunk);
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}
