import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatonError, coerceError, errorCode } from '../../observability/errors.js';
import type { Compensation, StepInfo, TaskError } from '../../store/events.js';
import { TERMINAL_TASK_STATUSES } from '../../store/events.js';
import type { runEnvironment } from '../run-env.js';
import type { DriveOptions } from '../runner.js';
import type { RunDriver, RunSession } from '../session.js';
import type { RunState } from '../state.js';
import { Answers } from './answers.js';
import { Determinism } from './determinism.js';
import { MAIN_KEY, type ChildTarget, type MapHandle, type ProgramEnd, type StepAttempt, type StepHost, type StepOptions, type StepProgram, type WaitSpec } from './program.js';
import { StepFailed, stepResultLimit } from './results.js';
import { cancelled, checkKey, type Outcome } from './outcomes.js';
import { OpenWaits } from './open-waits.js';
import { recordedResult } from './recorded.js';
import { RemoteSteps } from './remote-steps.js';
import { StepAttempts } from './step-attempts.js';
import { fileKind } from '../../spec/file-kind.js';
import { runChild } from '../child-run.js';
import { runSkill, skillOutputs } from '../skill-run.js';
import { newRunId } from '../../store/ids.js';

/**
 * Drives a code run: runs its program (engine/steps/program.ts) from the top and records
 * each step the code asks for as a task of the run, with the same events a workflow file's
 * tasks have. On a resume the program runs from the top again: a step the history has
 * ended returns its recorded result at once; one that was running runs again (same
 * idempotency key); only then does new work start.
 *
 * A step's result is recorded before the code sees it: its end is queued, the loop flushes,
 * and only then is the step's promise resolved (group commit: steps that end together
 * share one append). Its start is queued too but not waited for: a crash before it is
 * recorded loses nothing a resume would not redo anyway.
 */
export class StepDriver implements RunDriver, StepHost {
  readonly runId: string;
  readonly inputs: Record<string, unknown>;
  get trigger() {
    return this.state.trigger;
  }
  /** Results recorded but not yet durable: handed to the code after the next flush. */
  private acks: Array<() => void> = [];
  private readonly attempts: StepAttempts;
  private readonly waits: OpenWaits;
  /** Uses of each step id in this execution of the code, for `id#2` keys. */
  private readonly uses = new Map<string, number>();
  /** Made when the code starts, after a `baton retry` reopened what it reopens. */
  private determinism!: Determinism;
  private readonly answers: Answers;
  private programEnd?: { ok: true; end: ProgramEnd } | { ok: false; error: unknown };
  private summaryText?: string;
  /** How the code's compensations went, when it ran any (sdk/compensations.ts). */
  private compensation?: Compensation;
  /** The code cannot go on as recorded (RUN_NONDETERMINISTIC): the run fails with this. */
  private divergence?: TaskError;
  /** The run has only approvals and events open: this process lets it go. */
  private detached = false;
  /** Steps with a `queue`, when workers drive the run (engine/steps/remote-steps.ts). */
  private readonly remote?: RemoteSteps;
  /** Remote steps a worker still runs as this drive begins: not interrupted (RemoteSteps.adopt). */
  private stillRemote: ReadonlySet<string> = new Set();
  /** Only for a run that workers drive: its remote steps still running elsewhere are found first. */
  prepare?: () => Promise<void>;

  constructor(
    private readonly session: RunSession,
    readonly state: RunState,
    private readonly options: DriveOptions,
    private readonly env: ReturnType<typeof runEnvironment>,
    private readonly program: StepProgram,
    private readonly first: (driver: StepDriver) => void,
  ) {
    this.runId = state.runId;
    this.inputs = state.inputs;
    this.answers = new Answers(session, state, (key) => this.waits.answered(key));
    const ack = (settle: () => void) => this.acks.push(settle);
    const resultLimit = stepResultLimit(state.plan.workflow);
    if (state.workersQueue !== undefined) {
      const remote = (this.remote = new RemoteSteps(options.store, state, session, options.localSlots?.queues));
      this.prepare = async () => {
        this.stillRemote = await remote.adopt();
      };
    }
    this.attempts = new StepAttempts(session, state, options, resultLimit, ack, this.remote);
    this.waits = new OpenWaits(session, state, this.answers, ack);
  }

  /** The environment steps' commands start from (the process's, then the workflow's). */
  get taskEnv(): Record<string, string> {
    return { ...this.env.processEnv, ...this.env.workflowEnv };
  }

  get scratchDir(): string {
    return path.join(this.options.scratchRoot ?? tmpdir(), `baton-${this.runId}`);
  }

  get baseDir(): string {
    return this.state.baseDir ?? process.cwd();
  }

  begin(): void {
    this.first(this);
  }

  /** A new run: the code runs from the top with nothing recorded. */
  start(): void {
    this.session.emit({ type: 'RunStarted' });
    this.launchProgram();
  }

  /**
   * A stored run picked up: what was running when its owner died is interrupted and runs
   * again when the code asks for it; waits stay open (a sleep keeps its wake time).
   */
  resume(cancel?: string): void {
    const state = this.state;
    if (state.status === 'pending') this.session.emit({ type: 'RunStarted' });
    if (cancel !== undefined && state.cancelRequested === undefined) this.session.emit({ type: 'RunCancelRequested', reason: cancel });
    for (const [key, task] of state.tasks) {
      const kind = state.nodes.get(key)?.step?.kind;
      if (task.status === 'running' && kind !== 'map' && !this.stillRemote.has(key)) this.session.emit({ type: 'TaskInterrupted', task: key, attempt: task.attempt });
    }
    if (state.cancelRequested !== undefined) {
      // Cancelled with nobody driving it (`baton cancel`): the code does not run again.
      this.cancelOpenTasks(state.cancelRequested);
      this.determinism = new Determinism(state);
      this.programEnd = { ok: false, error: cancelled('run', state.cancelRequested) };
      return;
    }
    this.launchProgram();
  }

  private launchProgram(): void {
    this.determinism = new Determinism(this.state);
    let run: Promise<ProgramEnd>;
    try {
      run = this.program.run(this);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (end) => this.ended({ ok: true, end }),
      (error) => this.ended({ ok: false, error }),
    );
  }

  private ended(outcome: NonNullable<StepDriver['programEnd']>): void {
    this.programEnd = outcome;
    this.session.wake();
  }

  cancel(reason: string, timedOut = false): void {
    if (this.state.cancelRequested !== undefined) return;
    if (timedOut) this.timedOut = true;
    this.session.emit({ type: 'RunCancelRequested', reason });
    this.attempts.stopAll('cancel');
    this.cancelOpenTasks(reason);
    this.program.stop?.('cancel');
    this.session.wake();
  }

  private timedOut = false;

  /** Ends the waits and retry delays of a run being cancelled; their code gets a cancellation. */
  private cancelOpenTasks(reason: string): void {
    for (const key of this.waits.keys()) {
      this.session.emit({ type: 'TaskCancelled', task: key, reason });
      this.waits.remove(key)!.settle({ ok: false, error: cancelled(key, reason) });
    }
    for (const [key, task] of this.state.tasks) {
      if (task.status === 'retrying' || task.status === 'ready' || task.status === 'waiting') this.session.emit({ type: 'TaskCancelled', task: key, reason });
    }
  }

  stopAll(reason: 'cancel' | 'interrupt'): void {
    this.attempts.stopAll(reason);
    for (const key of this.waits.keys()) this.waits.remove(key);
    this.program.stop?.(reason);
  }

  async cleanUp(): Promise<void> {
    this.remote?.close();
    this.answers.stop();
    for (const key of this.waits.keys()) this.waits.remove(key);
    await this.program.cleanUp?.();
    await rm(this.scratchDir, { recursive: true, force: true });
  }

  async loop(): Promise<void> {
    // Code that awaits a promise nothing will ever settle (outside any step) would let the
    // event loop drain and the process exit as if all were well: fail the run instead.
    const stalled = () => {
      if (this.programEnd !== undefined || this.detached || this.divergence !== undefined) return;
      this.divergence = {
        code: 'CODE_STALLED',
        message: 'the workflow function is waiting for something that can never happen: a promise outside any step that nothing settles (await every step, and keep timers and I/O inside steps)',
      };
      this.session.wake();
    };
    process.on('beforeExit', stalled);
    try {
      await this.drive();
    } finally {
      process.off('beforeExit', stalled);
    }
  }

  private async drive(): Promise<void> {
    const session = this.session;
    for (;;) {
      if (session.stopping) return;
      session.checkLogs();
      if (this.remote) await this.remote.collect();
      if (session.unflushed > 0) {
        // A wait that leaves the run with nothing to do is recorded with the RunWaiting it
        // causes, in one append: a kill between the two would show the run interrupted.
        if (this.state.status !== 'waiting' && this.shouldWait()) session.emit({ type: 'RunWaiting', waits: this.waits.list() });
        await session.flush();
        if (session.stopping) return;
      }
      if (this.acks.length > 0) {
        const acks = this.acks;
        this.acks = [];
        for (const ack of acks) ack();
      }
      if (this.divergence !== undefined && this.attempts.running.size === 0) return this.fail(this.divergence);
      if (this.programEnd !== undefined && this.acks.length === 0 && session.unflushed === 0) return this.finish();
      if (this.state.cancelRequested !== undefined && this.attempts.running.size === 0 && this.programEnd === undefined && this.idleAfterCancel()) return this.finish();
      if (this.shouldWait()) {
        await this.markWaiting();
        if (this.detached) return;
      }
      if (!session.takeSignal()) await session.nextWake();
      await session.breathe();
    }
  }

  /** After a cancel, code that goes on with no step running is given a moment, then the run ends. */
  private idleAfterCancel(): boolean {
    if (this.cancelIdleSince === undefined) {
      this.cancelIdleSince = this.session.now();
      this.session.setTimer(CANCEL_GRACE_MS, () => {});
      return false;
    }
    return this.session.now() - this.cancelIdleSince >= CANCEL_GRACE_MS;
  }

  private cancelIdleSince?: number;

  /** Nothing runs and the code waits only on durable waits: the run is waiting. */
  private shouldWait(): boolean {
    if (this.waits.size === 0 || !this.attempts.idle || this.acks.length > 0) return false;
    if (this.programEnd !== undefined || this.state.cancelRequested !== undefined || this.determinism.checking) return false;
    if (this.state.status === 'waiting') return this.waits.onlyAnswers;
    // A short sleep is not worth two records.
    return this.waits.soonestSleep - this.session.now() >= WAITING_AFTER_MS;
  }


  /**
   * Records that the run waits. With only approvals and events open, this process lets the
   * run go (the session releases it): `baton approve`, `baton emit` or a daemon continue it.
   * An answer recorded just before that is looked for first, so none is missed.
   */
  private async markWaiting(): Promise<void> {
    if (this.state.status !== 'waiting') {
      this.session.emit({ type: 'RunWaiting', waits: this.waits.list() });
      await this.session.flush();
    }
    if (!this.waits.onlyAnswers) return;
    if (await this.answers.poll()) return;
    this.detached = true;
    this.program.stop?.('interrupt');
  }

  /** How the run ends once its code returned or failed. */
  private finish(): Promise<void> {
    const end = this.programEnd;
    const summary = (end?.ok ? end.end.summary : undefined) ?? this.summaryText;
    const withSummary = summary === undefined ? {} : { summary };
    if (this.state.cancelRequested !== undefined) {
      this.session.emit(
        this.timedOut
          ? { type: 'RunFailed', error: { code: 'RUN_TIMEOUT', message: 'the run exceeded its time limit' }, ...withSummary }
          : { type: 'RunCancelled', reason: this.state.cancelRequested },
      );
    } else if (end?.ok) {
      this.session.emit({ type: 'RunSucceeded', ...withSummary, ...(end.end.result === undefined ? {} : { result: end.end.result }) });
    } else {
      this.session.emit({ type: 'RunFailed', error: this.programError(end?.error), ...withSummary, ...(this.compensation ? { compensation: this.compensation } : {}) });
    }
    return this.session.flush();
  }

  private fail(error: TaskError): Promise<void> {
    this.program.stop?.('cancel');
    this.session.emit({ type: 'RunFailed', error, ...(this.summaryText === undefined ? {} : { summary: this.summaryText }) });
    return this.session.flush();
  }

  /** The run's error from what the code threw: a step's failure keeps its code, named after the step. */
  private programError(error: unknown): TaskError {
    if (error instanceof StepFailed) return { ...error.taskError, message: `step ${error.key} failed: ${error.taskError.message}`, not_retried: undefined };
    const failure = error as { error?: TaskError } | undefined;
    if (failure && typeof failure === 'object' && failure.error && typeof failure.error.code === 'string') return failure.error;
    const err = coerceError(error);
    const code = error instanceof BatonError ? errorCode(error) : 'CODE_FAILED';
    const where = err.stack?.split('\n').slice(1, 4).map((line) => line.trim()).join('; ');
    return { code, message: where ? `${err.message} (${where})` : err.message };
  }

  // ---- StepHost ----

  keyFor(id: string): string {
    const n = (this.uses.get(id) ?? 0) + 1;
    this.uses.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  }

  summary(text: string): void {
    this.summaryText = text;
  }

  compensated(compensation: Compensation): void {
    this.compensation = compensation;
  }

  output(stream: 'stdout' | 'stderr', chunk: string): void {
    this.attempts.log(MAIN_KEY, 0, stream, chunk);
  }

  step(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown): Promise<unknown> {
    checkKey(key);
    const task = this.state.tasks.get(key);
    if (task !== undefined && task.status !== 'pending') {
      this.determinism.asked(key);
      if (TERMINAL_TASK_STATUSES.has(task.status)) return recordedResult(this.state, key);
      if (this.state.cancelRequested !== undefined) return Promise.reject(cancelled(key, this.state.cancelRequested));
      const adopted = this.remote?.takeAdopted(key);
      if (adopted !== undefined) return new Promise((resolve, reject) => this.attempts.resumeRemote(key, options, work, adopted, { resolve, reject }));
      // Was running (interrupted) or waiting for a retry: it goes on, its attempts counted on.
      return new Promise((resolve, reject) => {
        const go = () => this.attempts.run(key, options, work, task.attempt + 1, undefined, { resolve, reject });
        if (task.status === 'retrying') this.attempts.afterDelay((task.retryAt ?? 0) - this.session.now(), go);
        else go();
      });
    }
    return this.startNew(key, () =>
      new Promise((resolve, reject) => this.attempts.run(key, options, work, (task?.attempt ?? 0) + 1, stepInfo(options), { resolve, reject })),
    );
  }

  child(key: string, what: ChildTarget, inputs: Record<string, unknown>, options: StepOptions): Promise<unknown> {
    checkKey(key);
    // Chosen once, recorded with the step: every attempt, and a resume, go on with the same child.
    const childId = this.state.nodes.get(key)?.step?.child ?? newRunId(this.session.now());
    if ('skill' in what) {
      const call = { childId, name: what.skill, inputs, baseDir: this.baseDir };
      return this.step(key, { ...options, kind: 'run', child: childId }, async (attempt) => skillOutputs(await runSkill(this.options, { ...call, signal: attempt.signal })));
    }
    const file = path.resolve(this.baseDir, what.file);
    const target = { file, kind: fileKind(file), baseDir: path.dirname(file), label: path.basename(file) };
    return this.step(key, { ...options, kind: 'run', child: childId }, (attempt) => runChild(this.options, childId, target, inputs, attempt.signal));
  }

  openMap(key: string, items: number): MapHandle {
    checkKey(key);
    const task = this.state.tasks.get(key);
    const recorded = task !== undefined && task.status !== 'pending';
    if (recorded) this.determinism.asked(key);
    else if (this.state.cancelRequested === undefined) {
      this.session.emit({ type: 'TaskStarted', task: key, attempt: (task?.attempt ?? 0) + 1, step: { kind: 'map', items } });
      this.session.wake();
    }
    return {
      close: (failed) => {
        const now = this.state.tasks.get(key);
        if (now?.status !== 'running') return;
        this.session.emit(
          failed === undefined
            ? { type: 'TaskSucceeded', task: key, attempt: now.attempt, outputs: { items } }
            : { type: 'TaskFailed', task: key, attempt: now.attempt, error: failed, retryable: false },
        );
        this.session.wake();
      },
    };
  }

  wait(key: string, spec: WaitSpec): Promise<Record<string, unknown>> {
    checkKey(key);
    const task = this.state.tasks.get(key);
    if (task !== undefined && task.status !== 'pending') {
      this.determinism.asked(key);
      if (TERMINAL_TASK_STATUSES.has(task.status)) return recordedResult(this.state, key) as Promise<Record<string, unknown>>;
      if (this.state.cancelRequested !== undefined) return Promise.reject(cancelled(key, this.state.cancelRequested));
      // Open when the run stopped: it keeps what was recorded (a sleep its wake time).
      const recordedSpec = { ...spec, ...this.state.nodes.get(key)!.step } as WaitSpec;
      return new Promise((resolve, reject) => {
        this.waits.add(key, recordedSpec, settler(resolve, reject));
        this.session.wake();
      });
    }
    return this.startNew(key, () =>
      new Promise((resolve, reject) => {
        this.session.emit({ type: 'TaskStarted', task: key, attempt: (task?.attempt ?? 0) + 1, step: spec });
        this.waits.add(key, spec, settler(resolve, reject));
        this.session.wake();
      }),
    ) as Promise<Record<string, unknown>>;
  }

  // ---- steps ----

  /**
   * A step the history does not have. While the history still has steps this execution has
   * not asked for, that may be the code taking another path: it is checked once the replay
   * has had its turn (engine/steps/determinism.ts).
   */
  private startNew<T>(key: string, go: () => Promise<T>): Promise<T> {
    if (this.state.cancelRequested !== undefined) return Promise.reject(cancelled(key, this.state.cancelRequested));
    if (this.divergence !== undefined) return new Promise(() => {});
    if (!this.determinism.outstanding) return go();
    return new Promise<void>((resolve) => this.determinism.check(resolve)).then(() => {
      const recorded = this.determinism.divergence(key);
      if (recorded === undefined) return go();
      this.divergence = recorded;
      this.program.stop?.('cancel');
      this.session.wake();
      // The code does not get to go on: the run fails with the divergence.
      return new Promise<T>(() => {});
    });
  }

}

function stepInfo(options: StepOptions): StepInfo {
  return {
    kind: options.kind ?? 'step',
    ...(options.parent === undefined ? {} : { parent: options.parent }),
    ...(options.child === undefined ? {} : { child: options.child }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
  };
}

function settler(resolve: (value: Record<string, unknown>) => void, reject: (err: unknown) => void): (outcome: Outcome) => void {
  return (outcome) => (outcome.ok ? resolve(outcome.value as Record<string, unknown>) : reject(outcome.error));
}

/** A run whose only open waits are sleeps records that it waits only when the nearest is this far off. */
const WAITING_AFTER_MS = 1000;
/** How long code that goes on after a cancel (with no step running) has before the run ends anyway. */
const CANCEL_GRACE_MS = 2000;
