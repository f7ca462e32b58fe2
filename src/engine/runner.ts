import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutorError, toTaskError } from '../executors/errors.js';
import { executorFor } from '../executors/registry.js';
import type { Executor, ExecutorResult } from '../executors/types.js';
import { coerceError, errorCode } from '../observability/errors.js';
import type { LeafTask, Workflow } from '../spec/model.js';
import type { RunEvent, StoredEvent, TimedEvent } from '../store/events.js';
import { expansionSize } from '../store/expansion.js';
import { newRunId } from '../store/ids.js';
import { HEARTBEAT_MS, sameOwner } from '../store/ownership.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';
import { EngineError } from './errors.js';
import { resolveInputs } from './inputs.js';
import type { Masker } from './mask.js';
import { buildPlan } from './plan.js';
import { declaredOutputs, resolveTask } from './resolve.js';
import { runEnvironment, withoutSecrets } from './run-env.js';
import { Scheduler } from './scheduler.js';
import { ScopeBuilder } from './scope.js';
import { RunnerIO } from './task-io.js';
import { RunState } from './state.js';

/** How a run is driven, whether it is new or resumed. */
export interface DriveOptions {
  store: Store;
  /**
   * The process driving the run, recorded with a heartbeat so others can tell when it is
   * gone (src/store/ownership.ts); it also polls for `baton cancel` from other processes.
   * Default: none (an in-memory run nobody else can see).
   */
  owner?: RunOwner;
  /** Leaf tasks running at once; default the workflow's `concurrency`, else 16. */
  concurrency?: number;
  /** Cancels the run (Ctrl-C): running tasks are stopped, the run ends `cancelled`. */
  signal?: AbortSignal;
  /**
   * Stops driving the run without ending it (SIGTERM, SIGHUP): running tasks are stopped,
   * nothing more is recorded, and the run is left interrupted for `baton resume`, which
   * runs those tasks again. The drive then fails with RUN_INTERRUPTED. Default: none.
   */
  interrupt?: AbortSignal;
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
  now?: () => number;
  random?: () => number;
}

export interface RunOptions extends DriveOptions {
  workflow: Workflow;
  /** Folder relative paths resolve against; default: the current folder. */
  baseDir?: string;
  /** The file the workflow came from and a hash of its text, recorded for resume. */
  source?: { file: string; sha256: string };
  /** Inputs as given (strings from the CLI are converted by the declared types); default {}. */
  inputs?: Record<string, unknown>;
  /** Environment overrides for this run (`--env`), on top of the workflow's; default {}. */
  env?: Record<string, string>;
  runId?: string;
}

export interface RunResult {
  runId: string;
  state: RunState;
}

/** Sets up a new run and drives it to its end. */
export async function runWorkflow(options: RunOptions): Promise<RunResult> {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? newRunId(now());
  const state = new RunState(runId, buildPlan(options.workflow));
  state.inputs = resolveInputs(options.workflow.inputs, options.inputs ?? {});
  state.env = options.env ?? {};
  state.baseDir = options.baseDir;
  state.source = options.source;
  const runner = new Runner(state, options);
  await runner.start();
  return { runId, state: runner.state };
}

/** How continueRun goes on: see engine/resume.ts. */
export interface ContinueHow {
  resumed: boolean;
  reopen?: RunEvent;
  cancel?: string;
  /** For a resume: the previous owner's last sign of life, where its stretch of the run's time ends. */
  ranUntil?: number;
}

/**
 * Drives a run rebuilt from its events (engine/resume.ts): `reopened` events (a
 * RunReopened from `baton retry`) are recorded first; `cancel` cancels it at once.
 */
export async function continueRun(
  state: RunState,
  options: DriveOptions,
  how: ContinueHow,
): Promise<RunResult> {
  const runner = new Runner(state, options);
  await runner.continue(how);
  return { runId: state.runId, state: runner.state };
}

/**
 * The I/O side of a run: it asks the Scheduler what to do, records the resulting events
 * in the store, and only then acts on them (starts executors, aborts them, sets timers).
 * Completions that arrive together are recorded in one append (group commit), and a
 * task's result always shares that append with whatever it makes ready.
 */
class Runner {
  private readonly scheduler: Scheduler;
  private readonly scopes: ScopeBuilder;
  private outbox: TimedEvent[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly processEnv: Record<string, string>;
  private readonly workflowEnv: Record<string, string>;
  /**
   * What a shell or script task without `environment:` starts from (processEnv, then
   * workflowEnv): one object shared by them all, rather than a copy of ~50 variables per task.
   */
  private readonly taskEnv: Record<string, string>;
  private readonly scratchDir: string;
  /** The scratch folder exists: made on first use, once per drive, not once per task. */
  private scratchMade = false;
  private readonly scratch = (): string => {
    if (!this.scratchMade) {
      mkdirSync(this.scratchDir, { recursive: true });
      this.scratchMade = true;
    }
    return this.scratchDir;
  };
  private readonly runId: string;
  private readonly workflow: Workflow;
  private signalled = false;
  private waiter?: () => void;
  private heartbeat?: NodeJS.Timeout;
  /** Hides the workflow's secrets in what is recorded and shown; none when it has none. */
  private readonly masker?: Masker;
  /** Task output could not be stored (a full disk, say): the run stops as if the store had failed. */
  private logFailure?: unknown;
  private readonly onLogFailure = (err: unknown) => {
    this.logFailure ??= err;
    this.wake();
  };
  /** Another process took the run over: stop without recording anything more. */
  private lost?: RunRecord['owner'];
  /** options.interrupt fired: stop the tasks, record nothing more (see DriveOptions.interrupt). */
  private interrupted = false;
  /** When the loop last let the event loop run timers, signals and I/O (see breathe). */
  private lastBreath = performance.now();

  constructor(
    readonly state: RunState,
    private readonly options: DriveOptions,
  ) {
    this.runId = state.runId;
    this.workflow = state.plan.workflow;
    this.now = options.now ?? Date.now;
    const env = runEnvironment(state, options.processEnv ?? process.env);
    this.processEnv = env.processEnv;
    this.workflowEnv = env.workflowEnv;
    this.taskEnv = { ...this.processEnv, ...this.workflowEnv };
    this.masker = env.masker;
    this.scopes = new ScopeBuilder(this.state, this.taskEnv, env.secrets);
    const concurrency = options.concurrency ?? this.workflow.concurrency ?? 16;
    this.scheduler = new Scheduler(
      this.state,
      this.scopes,
      { emit: (event) => this.emit(event), now: this.now, random: options.random ?? Math.random },
      Math.max(1, concurrency),
    );
    this.scratchDir = path.join(options.scratchRoot ?? tmpdir(), `baton-${this.runId}`);
  }

  /** Records a new run and drives it. */
  async start(): Promise<void> {
    const { store, owner } = this.options;
    const { workflow, state } = this;
    const created = this.stamp({
      type: 'RunCreated',
      workflow,
      inputs: this.masker ? this.masker.deep(state.inputs) : state.inputs,
      // Secrets given with --env are not recorded at all: a resume takes them from its environment.
      env: this.masker ? this.masker.deep(withoutSecrets(state.env, workflow.secrets)) : state.env,
      ...(state.source ? { source: state.source } : {}),
      ...(state.baseDir !== undefined ? { base_dir: state.baseDir } : {}),
    });
    state.apply(created);
    const run = { id: this.runId, workflow: workflow.name, created_at: created.at, ...(owner ? { owner } : {}) };
    this.notifyEvents(await store.runs.createRun(run, [created]));
    await this.drive(() => this.scheduler.start());
  }

  /** Goes on with a run rebuilt from its events, which this process has claimed. */
  async continue(how: ContinueHow): Promise<void> {
    const owner = this.options.owner;
    await this.drive(() => {
      if (how.reopen) this.emit(how.reopen);
      if (how.resumed && owner) {
        const until = how.ranUntil === undefined ? {} : { ran_until: how.ranUntil };
        this.emit({ type: 'RunResumed', owner: { host: owner.host, pid: owner.pid }, ...until });
      }
      this.scheduler.resume(how.cancel);
    });
  }

  private async drive(begin: () => void): Promise<void> {
    const onAbort = () => this.cancel('cancelled by the user');
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    const onInterrupt = () => {
      this.interrupted = true;
      for (const controller of this.controllers.values()) controller.abort('interrupt');
      this.wake();
    };
    this.options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    const limit = this.workflow.timeout;
    if (limit !== undefined) {
      const since = this.state.activeSince ?? this.now();
      this.setTimer(since + limit - this.now(), () => this.runTimeout(limit));
    }
    this.startHeartbeat();
    try {
      if (this.options.signal?.aborted) this.scheduler.cancelRun('cancelled by the user');
      if (this.options.interrupt?.aborted) onInterrupt();
      begin();
      await this.loop();
    } catch (err) {
      // The store failed (disk full, say): stop the tasks, whose results could not be
      // recorded anyway. The run stays unfinished, and shows as interrupted once this
      // process lets go of it, to be resumed when the cause is fixed.
      for (const controller of this.controllers.values()) controller.abort('cancel');
      throw err;
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
      this.options.interrupt?.removeEventListener('abort', onInterrupt);
      for (const timer of this.timers) clearTimeout(timer);
      if (this.heartbeat) clearInterval(this.heartbeat);
      if (this.options.owner && !this.lost) await this.options.store.runs.releaseRun(this.runId, this.options.owner).catch(() => {});
      await rm(this.scratchDir, { recursive: true, force: true });
      this.scratchMade = false;
    }
    if (this.lost) {
      const by = this.lost;
      throw new EngineError('RUN_TAKEN_OVER', `run ${this.runId} was taken over by pid ${by.pid} on ${by.host}; this process stopped driving it`, {
        details: { run: this.runId },
      });
    }
    if (this.interrupted) {
      throw new EngineError('RUN_INTERRUPTED', `run ${this.runId} was stopped before it ended and is left interrupted: go on with \`baton resume ${this.runId}\``, {
        details: { run: this.runId },
      });
    }
  }

  /**
   * Renews this process's claim on the run and looks for a cancel request from another
   * process (`baton cancel`), so that one is seen within a second.
   */
  private startHeartbeat(): void {
    const owner = this.options.owner;
    if (!owner) return;
    let busy = false;
    this.heartbeat = setInterval(() => {
      if (busy) return;
      busy = true;
      this.options.store.runs
        .heartbeat(this.runId, owner, this.now())
        .then((record) => {
          if (record.owner && !sameOwner(record.owner, owner) && record.status === 'running') {
            this.lost = record.owner;
            for (const controller of this.controllers.values()) controller.abort('cancel');
            this.wake();
          } else if (record.cancel_requested !== undefined && this.state.cancelRequested === undefined) {
            this.cancel(record.cancel_requested);
          }
        })
        .catch(() => {})
        .finally(() => (busy = false));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.lost) return;
      if (this.interrupted) {
        // Wait for the stopped tasks' processes to be gone; what they say is not recorded.
        if (this.controllers.size === 0) return;
        await this.nextWake();
        continue;
      }
      if (this.logFailure !== undefined) throw this.logFailure;
      this.scheduler.dispatch();
      const { launch, abort, timers } = this.scheduler.effects;
      const toLaunch = launch.length > 0 ? launch.splice(0) : NOTHING;
      const toAbort = abort.length > 0 ? abort.splice(0) : NOTHING;
      const toTime = timers.length > 0 ? timers.splice(0) : NOTHING;
      // A long decision (a large loop expanding) is not followed at once by its long append.
      await this.breathe();
      // Decisions are recorded before they are acted on: a crash can lose an action, never a record.
      if (this.outbox.length > 0) await this.flush();
      if (this.interrupted) continue;
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
      // Woken while busy (a task that ended at once, say): go round again without a
      // round trip through the microtask queue; the flush above is where the loop yields.
      if (this.signalled) this.signalled = false;
      else await this.nextWake();
      await this.breathe();
    }
  }

  /**
   * Lets timers, signals and I/O in (heartbeat, `baton cancel`, Ctrl-C) at least every
   * BREATH_MS. Appends to SQLite and tasks that end at once (noop) resolve as microtasks,
   * so without this a long run of them would hold the event loop until the run ended.
   */
  private async breathe(): Promise<void> {
    if (performance.now() - this.lastBreath < BREATH_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastBreath = performance.now();
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
    if (executor.runNow) return this.launchNow(key, attempt, spec, executor.runNow);
    const controller = new AbortController();
    this.controllers.set(key, controller);
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeout !== undefined) timer = setTimeout(() => controller.abort('timeout'), spec.timeout);
    let io: RunnerIO | undefined;
    const settle = () => {
      if (timer) clearTimeout(timer);
      this.controllers.delete(key);
      io?.finish();
    };
    let run: Promise<ExecutorResult>;
    try {
      const resolved = resolveTask(spec, () => this.scopes.forTask(key));
      io = this.io(key, attempt, resolved);
      run = executor.run(resolved, io, controller.signal);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (result) => {
        settle();
        this.succeeded(key, attempt, spec, result);
      },
      (err) => {
        settle();
        this.failed(key, attempt, spec, err, controller.signal);
      },
    );
  }

  /** A task type that ends at once (noop): no controller, promise or timer, same records. */
  private launchNow(key: string, attempt: number, spec: LeafTask, runNow: NonNullable<Executor['runNow']>): void {
    let result: ExecutorResult;
    try {
      result = runNow(resolveTask(spec, () => this.scopes.forTask(key)));
    } catch (err) {
      return this.failed(key, attempt, spec, err);
    }
    this.succeeded(key, attempt, spec, result);
  }

  /** An attempt's executor returned: declared outputs are evaluated, then the success recorded. */
  private succeeded(key: string, attempt: number, spec: LeafTask, result: ExecutorResult): void {
    this.wake();
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
  }

  /** An attempt's executor failed, timed out (signal reason `timeout`) or was stopped by a cancel. */
  private failed(key: string, attempt: number, spec: LeafTask, err: unknown, signal?: AbortSignal): void {
    this.wake();
    const reason = signal?.aborted ? signal.reason : undefined;
    if (reason === 'interrupt') return;
    if (reason === 'timeout') {
      const message = `${key} timed out after ${formatMs(spec.timeout!)}`;
      return this.scheduler.failAttempt(key, attempt, { code: 'EXEC_TIMEOUT', message }, true);
    }
    if (reason !== undefined) return this.scheduler.cancelAttempt(key, attempt, this.state.cancelRequested ?? 'cancelled');
    const error = err instanceof ExecutorError ? toTaskError(err) : { code: errorCode(err), message: coerceError(err).message };
    this.scheduler.failAttempt(key, attempt, error, err instanceof ExecutorError ? err.retryable : false);
  }

  private io(key: string, attempt: number, spec: LeafTask): RunnerIO {
    const onOutput = spec.live_output || this.options.followAll ? this.options.onOutput : undefined;
    const needsEnv = spec.type === 'shell' || spec.type === 'script';
    const env = !needsEnv ? this.workflowEnv : hasEntries(spec.environment) ? { ...this.taskEnv, ...spec.environment } : this.taskEnv;
    const io = new RunnerIO(this.runId, key, attempt, env, this.state.baseDir ?? process.cwd(), this.scratch, this.options.store.logs, onOutput, this.masker, this.onLogFailure);
    const continuesFrom = this.state.task(key).continuesFrom;
    if (continuesFrom !== undefined) io.continuesFrom = continuesFrom;
    return io;
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
    const timed = this.stamp(this.masker ? this.masker.deep(event) : event);
    this.state.apply(timed);
    this.outbox.push(timed);
  }

  /**
   * Appends what was decided. A big outbox (a large loop that expanded, or cancelled, at
   * once) goes in slices of about FLUSH_ROWS rows, with a breath between, so no single
   * append holds the event loop long. A slice may end between a task's result and what it
   * made ready: a crash there leaves those tasks pending, and a resume decides them again.
   */
  private async flush(): Promise<void> {
    while (this.outbox.length > 0 && !this.interrupted && !this.lost) {
      const events = this.outbox;
      this.outbox = [];
      let from = 0;
      while (from < events.length) {
        let to = from;
        for (let rows = 0; to < events.length && rows < FLUSH_ROWS; to++) rows += rowsOf(events[to]);
        const batch = from === 0 && to === events.length ? events : events.slice(from, to);
        this.notifyEvents(await this.options.store.runs.append(this.runId, batch));
        from = to;
        if (from < events.length) {
          await this.breathe();
          if (this.interrupted || this.lost) return;
        }
      }
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

function hasEntries(record: Record<string, string> | undefined): boolean {
  for (const _ in record) return true;
  return false;
}
/** Longest stretch the run loop keeps the event loop to itself. */
const BREATH_MS = 50;
/** Rows (events, and tasks they add) per append when the outbox is big. */
const FLUSH_ROWS = 2_000;

/** What an event weighs in an append: a loop's expansion adds a task row per iteration. */
function rowsOf(event: TimedEvent): number {
  return event.type === 'TaskExpanded' ? 1 + expansionSize(event) : 1;
}


export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}
