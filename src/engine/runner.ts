import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Executor } from '../executors/types.js';
import type { LeafTask, Workflow } from '../spec/model.js';
import type { RunEvent, StoredEvent, TimedEvent } from '../store/events.js';
import { expansionSize } from '../store/expansion.js';
import { newRunId } from '../store/ids.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';
import { Attempts, formatMs } from './attempts.js';
import { EngineError } from './errors.js';
import { startHeartbeat } from './heartbeat.js';
import { resolveInputs } from './inputs.js';
import type { Masker } from './mask.js';
import { buildPlan } from './plan.js';
import { runEnvironment, withoutSecrets } from './run-env.js';
import { Scheduler } from './scheduler.js';
import { ScopeBuilder } from './scope.js';
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
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly attempts: Attempts;
  private readonly runId: string;
  private readonly workflow: Workflow;
  private signalled = false;
  private waiter?: () => void;
  private stopHeartbeat?: () => void;
  /** Hides the workflow's secrets in what is recorded and shown; none when it has none. */
  private readonly masker?: Masker;
  /** Task output could not be stored (a full disk, say): the run stops as if the store had failed. */
  private logFailure?: unknown;
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
    const taskEnv = { ...env.processEnv, ...env.workflowEnv };
    this.masker = env.masker;
    this.scopes = new ScopeBuilder(this.state, taskEnv, env.secrets);
    const concurrency = options.concurrency ?? this.workflow.concurrency ?? 16;
    this.scheduler = new Scheduler(
      this.state,
      this.scopes,
      { emit: (event) => this.emit(event), now: this.now, random: options.random ?? Math.random },
      Math.max(1, concurrency),
    );
    this.attempts = new Attempts({
      runId: this.runId,
      state,
      scheduler: this.scheduler,
      scopes: this.scopes,
      logs: options.store.logs,
      executors: options.executors,
      onOutput: options.onOutput,
      followAll: options.followAll,
      workflowEnv: env.workflowEnv,
      taskEnv,
      masker: this.masker,
      scratchDir: path.join(options.scratchRoot ?? tmpdir(), `baton-${this.runId}`),
      onLogFailure: (err) => {
        this.logFailure ??= err;
        this.wake();
      },
      wake: () => this.wake(),
    });
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
      this.attempts.abortAll('interrupt');
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
      this.attempts.abortAll('cancel');
      throw err;
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
      this.options.interrupt?.removeEventListener('abort', onInterrupt);
      for (const timer of this.timers) clearTimeout(timer);
      this.stopHeartbeat?.();
      if (this.options.owner && !this.lost) await this.options.store.runs.releaseRun(this.runId, this.options.owner).catch(() => {});
      await this.attempts.cleanUp();
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

  private startHeartbeat(): void {
    const owner = this.options.owner;
    if (!owner) return;
    this.stopHeartbeat = startHeartbeat(this.options.store, this.runId, owner, this.now, {
      lost: (by) => {
        this.lost = by;
        this.attempts.abortAll('cancel');
        this.wake();
      },
      cancelRequested: (reason) => {
        if (this.state.cancelRequested === undefined) this.cancel(reason);
      },
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.lost) return;
      if (this.interrupted) {
        // Wait for the stopped tasks' processes to be gone; what they say is not recorded.
        if (this.attempts.running === 0) return;
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
      for (const key of toLaunch) this.attempts.launch(key);
      for (const { key, reason } of toAbort) this.attempts.abort(key, reason);
      for (const timer of toTime) {
        const onDue = timer.kind === 'retry' ? () => this.scheduler.retryDue(timer.key) : () => this.scheduler.compositeTimedOut(timer.key);
        this.setTimer(timer.at - this.now(), onDue);
      }
      if (this.scheduler.finishIfDone()) return this.flush();
      if (this.attempts.running === 0 && this.timers.size === 0 && !this.scheduler.hasReady() && !this.signalled) {
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

/** Longest stretch the run loop keeps the event loop to itself. */
const BREATH_MS = 50;
/** Rows (events, and tasks they add) per append when the outbox is big. */
const FLUSH_ROWS = 2_000;

/** What an event weighs in an append: a loop's expansion adds a task row per iteration. */
function rowsOf(event: TimedEvent): number {
  return event.type === 'TaskExpanded' ? 1 + expansionSize(event) : 1;
}

