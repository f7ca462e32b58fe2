import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutorError, toTaskError as executorTaskError } from '../../executors/errors.js';
import { BatonError, coerceError, errorCode } from '../../observability/errors.js';
import type { RunWait, TaskError } from '../../store/events.js';
import { TERMINAL_TASK_STATUSES } from '../../store/events.js';
import { isWait } from '../../store/projection.js';
import { formatMs } from '../attempts.js';
import { EngineError } from '../errors.js';
import { notRetried, retryDelay } from '../retry.js';
import type { runEnvironment } from '../run-env.js';
import type { DriveOptions } from '../runner.js';
import type { RunDriver, RunSession } from '../session.js';
import type { RunState } from '../state.js';
import { Answers } from './answers.js';
import { Determinism } from './determinism.js';
import { MAIN_KEY, type MapHandle, type ProgramEnd, type StepAttempt, type StepHost, type StepOptions, type StepProgram, type WaitSpec } from './program.js';
import { recordable, StepError, StepFailed } from './results.js';
import { runChild } from './child-run.js';
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
  /** Results recorded but not yet durable: handed to the code after the next flush. */
  private acks: Array<() => void> = [];
  /** Steps whose work is running, by key. */
  private readonly running = new Map<string, AbortController>();
  /** Open waits, by key: how to end each one. */
  private readonly waits = new Map<string, { spec: WaitSpec; settle: (outcome: Outcome) => void; timer?: NodeJS.Timeout }>();
  /** Attempts waiting for a slot under `--concurrency`. */
  private readonly queued: Array<() => void> = [];
  /** Steps waiting for a retry's delay. */
  private retrying = 0;
  /** Uses of each step id in this execution of the code, for `id#2` keys. */
  private readonly uses = new Map<string, number>();
  /** Made when the code starts, after a `baton retry` reopened what it reopens. */
  private determinism!: Determinism;
  private readonly answers: Answers;
  private programEnd?: { ok: true; end: ProgramEnd } | { ok: false; error: unknown };
  private summaryText?: string;
  /** The code cannot go on as recorded (RUN_NONDETERMINISTIC): the run fails with this. */
  private divergence?: TaskError;
  /** The run has only approvals and events open: this process lets it go. */
  private detached = false;
  private readonly resultLimit: number;

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
    this.answers = new Answers(session, state, (key) => this.answered(key));
    this.resultLimit = (state.plan.workflow as { step_result_limit?: number }).step_result_limit ?? DEFAULT_RESULT_LIMIT;
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
      if (task.status === 'running' && kind !== 'map') this.session.emit({ type: 'TaskInterrupted', task: key, attempt: task.attempt });
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
    for (const controller of this.running.values()) controller.abort('cancel');
    this.cancelOpenTasks(reason);
    this.program.stop?.('cancel');
    this.session.wake();
  }

  private timedOut = false;

  /** Ends the waits and retry delays of a run being cancelled; their code gets a cancellation. */
  private cancelOpenTasks(reason: string): void {
    for (const [key, wait] of [...this.waits]) {
      this.session.emit({ type: 'TaskCancelled', task: key, reason });
      this.clearWait(key);
      wait.settle({ ok: false, error: cancelled(key, reason) });
    }
    for (const [key, task] of this.state.tasks) {
      if (task.status === 'retrying' || task.status === 'ready' || task.status === 'waiting') this.session.emit({ type: 'TaskCancelled', task: key, reason });
    }
  }

  stopAll(reason: 'cancel' | 'interrupt'): void {
    for (const controller of this.running.values()) controller.abort(reason);
    for (const key of [...this.waits.keys()]) this.clearWait(key);
    this.program.stop?.(reason);
  }

  async cleanUp(): Promise<void> {
    this.answers.stop();
    for (const key of [...this.waits.keys()]) this.clearWait(key);
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
      if (session.unflushed > 0) {
        await session.flush();
        if (session.stopping) return;
      }
      if (this.acks.length > 0) {
        const acks = this.acks;
        this.acks = [];
        for (const ack of acks) ack();
      }
      if (this.divergence !== undefined && this.running.size === 0) return this.fail(this.divergence);
      if (this.programEnd !== undefined && this.acks.length === 0 && session.unflushed === 0) return this.finish();
      if (this.state.cancelRequested !== undefined && this.running.size === 0 && this.programEnd === undefined && this.idleAfterCancel()) return this.finish();
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
    if (this.waits.size === 0 || this.running.size > 0 || this.queued.length > 0 || this.retrying > 0 || this.acks.length > 0) return false;
    if (this.programEnd !== undefined || this.state.cancelRequested !== undefined || this.determinism.checking) return false;
    if (this.state.status === 'waiting') return this.onlyAnswers();
    // A short sleep is not worth two records.
    const soonest = Math.min(...[...this.waits.values()].map((w) => (w.spec.kind === 'sleep' ? w.spec.until : Infinity)));
    return soonest - this.session.now() >= WAITING_AFTER_MS;
  }

  private onlyAnswers(): boolean {
    return [...this.waits.values()].every((w) => w.spec.kind !== 'sleep');
  }

  /**
   * Records that the run waits. With only approvals and events open, this process lets the
   * run go (the session releases it): `baton approve`, `baton emit` or a daemon continue it.
   * An answer recorded just before that is looked for first, so none is missed.
   */
  private async markWaiting(): Promise<void> {
    if (this.state.status !== 'waiting') {
      const waits: RunWait[] = [...this.waits].map(([task, w]) => ({ task, ...w.spec }) as RunWait);
      this.session.emit({ type: 'RunWaiting', waits });
      await this.session.flush();
    }
    if (!this.onlyAnswers()) return;
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
      this.session.emit({ type: 'RunFailed', error: this.programError(end?.error), ...withSummary });
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

  output(stream: 'stdout' | 'stderr', chunk: string): void {
    this.log(MAIN_KEY, 0, stream, chunk);
  }

  step(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown): Promise<unknown> {
    checkKey(key);
    const task = this.state.tasks.get(key);
    if (task !== undefined && task.status !== 'pending') {
      this.determinism.asked(key);
      if (TERMINAL_TASK_STATUSES.has(task.status)) return this.recorded(key);
      if (this.state.cancelRequested !== undefined) return Promise.reject(cancelled(key, this.state.cancelRequested));
      // Was running (interrupted) or waiting for a retry: it goes on, its attempts counted on.
      return new Promise((resolve, reject) => {
        const go = () => this.attempt(key, options, work, task.attempt + 1, undefined, { resolve, reject });
        if (task.status === 'retrying') this.afterDelay((task.retryAt ?? 0) - this.session.now(), go);
        else go();
      });
    }
    return this.startNew(key, () =>
      new Promise((resolve, reject) => this.attempt(key, options, work, (task?.attempt ?? 0) + 1, stepInfo(options), { resolve, reject })),
    );
  }

  child(key: string, file: string, inputs: Record<string, unknown>, options: StepOptions): Promise<unknown> {
    checkKey(key);
    // Chosen once, recorded with the step: every attempt, and a resume, go on with the same child.
    const childId = this.state.nodes.get(key)?.step?.child ?? newRunId(this.session.now());
    const absolute = path.resolve(this.baseDir, file);
    return this.step(key, { ...options, kind: 'run', child: childId }, (attempt) => runChild(this.options, childId, absolute, inputs, attempt));
  }

  openMap(key: string, items: number): MapHandle {
    checkKey(key);
    const task = this.state.tasks.get(key);
    const recorded = task !== undefined && task.status !== 'pending';
    if (recorded) this.determinism.asked(key);
    else if (this.state.cancelRequested === undefined) {
      this.session.emit({ type: 'TaskStarted', task: key, attempt: (task?.attempt ?? 0) + 1, step: { kind: 'map' } });
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
      if (TERMINAL_TASK_STATUSES.has(task.status)) return this.recorded(key) as Promise<Record<string, unknown>>;
      if (this.state.cancelRequested !== undefined) return Promise.reject(cancelled(key, this.state.cancelRequested));
      // Open when the run stopped: it keeps what was recorded (a sleep its wake time).
      const recordedSpec = { ...spec, ...this.state.nodes.get(key)!.step } as WaitSpec;
      return new Promise((resolve, reject) => {
        this.openWait(key, recordedSpec, settler(resolve, reject));
        this.session.wake();
      });
    }
    return this.startNew(key, () =>
      new Promise((resolve, reject) => {
        this.session.emit({ type: 'TaskStarted', task: key, attempt: (task?.attempt ?? 0) + 1, step: spec });
        this.openWait(key, spec, settler(resolve, reject));
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
    return new Promise<void>((resolve) => this.determinism.check(key, resolve)).then(() => {
      const recorded = this.determinism.divergence(key);
      if (recorded === undefined) return go();
      this.divergence = recorded;
      this.program.stop?.('cancel');
      this.session.wake();
      // The code does not get to go on: the run fails with the divergence.
      return new Promise<T>(() => {});
    });
  }

  /** What the history recorded for an ended step, as the code gets it. */
  private recorded(key: string): Promise<unknown> {
    const task = this.state.task(key);
    if (task.status === 'succeeded') return Promise.resolve(task.outputs?.value ?? outputsOfWait(this.state, key, task.outputs));
    if (task.status === 'failed') return Promise.reject(new StepFailed(key, task.error ?? { code: 'STEP_FAILED', message: 'failed' }));
    return Promise.reject(cancelled(key, task.reason ?? 'cancelled'));
  }

  private attempt(
    key: string,
    options: StepOptions,
    work: (attempt: StepAttempt) => unknown,
    attempt: number,
    step: ReturnType<typeof stepInfo> | undefined,
    promise: { resolve: (value: unknown) => void; reject: (err: unknown) => void },
  ): void {
    if (this.state.cancelRequested !== undefined) return promise.reject(cancelled(key, this.state.cancelRequested));
    // `--concurrency`: a step past the limit starts when a running one ends.
    if (this.options.concurrency !== undefined && this.running.size >= this.options.concurrency) {
      this.queued.push(() => this.attempt(key, options, work, attempt, step, promise));
      return;
    }
    this.session.emit(step === undefined ? { type: 'TaskStarted', task: key, attempt } : { type: 'TaskStarted', task: key, attempt, step });
    this.session.wake();
    const controller = new AbortController();
    this.running.set(key, controller);
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      this.running.delete(key);
      this.queued.shift()?.();
      this.options.store.logs.end(this.runId, key, attempt);
      this.attemptEnded(key, options, work, attempt, outcome, controller.signal, promise);
    };
    if (options.timeout !== undefined) {
      timer = setTimeout(() => {
        controller.abort('timeout');
        done({ ok: false, error: new StepError('EXEC_TIMEOUT', `${key} timed out after ${formatMs(options.timeout!)}`, true) });
      }, options.timeout);
    }
    const io: StepAttempt = {
      key,
      attempt,
      signal: controller.signal,
      idempotencyKey: `${this.runId}/${key}`,
      output: (stream, chunk) => this.log(key, attempt, stream, chunk),
    };
    let result: unknown;
    try {
      result = work(io);
    } catch (error) {
      return done({ ok: false, error });
    }
    if (result instanceof Promise || (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function')) {
      (result as Promise<unknown>).then(
        (value) => done({ ok: true, value }),
        (error) => done({ ok: false, error }),
      );
    } else done({ ok: true, value: result });
  }

  private attemptEnded(
    key: string,
    options: StepOptions,
    work: (attempt: StepAttempt) => unknown,
    attempt: number,
    outcome: Outcome,
    signal: AbortSignal,
    promise: { resolve: (value: unknown) => void; reject: (err: unknown) => void },
  ): void {
    const session = this.session;
    session.wake();
    if (signal.aborted && signal.reason === 'interrupt') return;
    if (signal.aborted && signal.reason === 'cancel') {
      const reason = this.state.cancelRequested ?? 'cancelled';
      if (this.state.task(key).status === 'running') session.emit({ type: 'TaskCancelled', task: key, reason });
      return promise.reject(cancelled(key, reason));
    }
    if (outcome.ok) {
      const checked = recordable(key, outcome.value, this.resultLimit);
      if (checked.ok) {
        session.emit({ type: 'TaskSucceeded', task: key, attempt, outputs: checked.value === undefined ? {} : { value: checked.value } });
        this.acks.push(() => promise.resolve(checked.value));
        return;
      }
      outcome = { ok: false, error: new StepError(checked.error.code, checked.error.message, false) };
    }
    const error = toTaskError(outcome.error);
    const retryable = isRetryable(outcome.error);
    const task = this.state.task(key);
    const why = notRetried({ error, retryable, policy: options.retry, counted: attempt - task.attemptOffset, cancelled: this.state.cancelRequested !== undefined });
    session.emit({ type: 'TaskFailed', task: key, attempt, error: why === undefined ? error : { ...error, not_retried: why }, retryable });
    if (why === undefined) {
      const delay = retryDelay(options.retry!, attempt - task.attemptOffset, (this.options.random ?? Math.random)());
      session.emit({ type: 'TaskRetryScheduled', task: key, attempt: attempt + 1, at_due: session.now() + delay });
      this.afterDelay(delay, () => this.attempt(key, options, work, attempt + 1, undefined, promise));
      return;
    }
    const failure = new StepFailed(key, { ...error, ...(why === undefined ? {} : { not_retried: why }) });
    this.acks.push(() => promise.reject(failure));
  }

  /** Runs `go` after a retry's delay (counted, so the run is not taken for waiting meanwhile). */
  private afterDelay(delay: number, go: () => void): void {
    this.retrying++;
    this.session.setTimer(delay, () => {
      this.retrying--;
      go();
    });
  }

  // ---- waits ----

  private openWait(key: string, spec: WaitSpec, settle: (outcome: Outcome) => void): void {
    const due = spec.kind === 'sleep' ? spec.until : spec.timeout_at;
    const entry: { spec: WaitSpec; settle: (outcome: Outcome) => void; timer?: NodeJS.Timeout } = { spec, settle };
    this.waits.set(key, entry);
    if (spec.kind !== 'sleep') this.answers.watch();
    if (due === undefined) return;
    // Already due (a run picked up after its sleep's time, or after a wait's timeout): now.
    if (due <= this.session.now()) return this.waitDue(key);
    entry.timer = setTimeout(() => this.waitDue(key), due - this.session.now());
  }

  private clearWait(key: string): void {
    const wait = this.waits.get(key);
    if (wait?.timer) clearTimeout(wait.timer);
    this.waits.delete(key);
    if (![...this.waits.values()].some((w) => w.spec.kind !== 'sleep')) this.answers.unwatch();
  }

  /** A sleep came due, or an approval or event wait timed out. */
  private waitDue(key: string): void {
    const wait = this.waits.get(key);
    const task = this.state.tasks.get(key);
    if (!wait || task?.status !== 'waiting') return;
    this.wakeRun();
    this.clearWait(key);
    if (wait.spec.kind === 'sleep') {
      this.session.emit({ type: 'TaskSucceeded', task: key, attempt: task.attempt, outputs: {} });
      this.acks.push(() => wait.settle({ ok: true, value: {} }));
    } else {
      const what = wait.spec.kind === 'approval' ? 'approval' : `event ${wait.spec.event}`;
      const code = wait.spec.kind === 'approval' ? 'APPROVAL_TIMEOUT' : 'EVENT_TIMEOUT';
      const error: TaskError = { code, message: `no ${what} arrived before its timeout`, not_retried: 'a wait that timed out is not retried' };
      this.session.emit({ type: 'TaskFailed', task: key, attempt: task.attempt, error, retryable: false });
      this.acks.push(() => wait.settle({ ok: false, error: new StepFailed(key, error) }));
    }
    this.session.wake();
  }

  /** An answer (recorded by another process, or found in the store) ended the wait `key`. */
  private answered(key: string): void {
    const wait = this.waits.get(key);
    if (!wait) return;
    this.wakeRun();
    this.clearWait(key);
    // The answer is already in the log: no ack to wait for.
    wait.settle(this.state.task(key).status === 'succeeded' ? { ok: true, value: this.state.task(key).outputs ?? {} } : { ok: false, error: new StepFailed(key, this.state.task(key).error!) });
    this.session.wake();
  }

  private wakeRun(): void {
    if (this.state.status === 'waiting') this.session.emit({ type: 'RunWoke' });
  }

  private log(key: string, attempt: number, stream: 'stdout' | 'stderr', chunk: string): void {
    const masked = this.session.masker ? this.session.masker.text(chunk) : chunk;
    try {
      this.options.store.logs.write(this.runId, key, attempt, stream, masked);
    } catch (err) {
      this.session.logFailure ??= err;
      this.session.wake();
      return;
    }
    if (this.options.followAll) this.options.onOutput?.(key, stream, masked);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function isRetryable(error: unknown): boolean {
  const flag = (error as { retryable?: unknown } | null)?.retryable;
  return typeof flag === 'boolean' ? flag : true;
}

function toTaskError(error: unknown): TaskError {
  if (error instanceof StepFailed) return error.taskError;
  if (error instanceof ExecutorError) return executorTaskError(error);
  const err = coerceError(error);
  const code = (error as { code?: unknown } | null)?.code;
  // An error of the code's own (a plain Error) is STEP_ERROR; one with a stable code keeps it.
  const out: TaskError = { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : error instanceof BatonError ? errorCode(error) : 'STEP_ERROR', message: err.message };
  const details = (error as { details?: Record<string, unknown> } | null)?.details;
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode ?? details?.exit_code;
  if (typeof exitCode === 'number') out.exit_code = exitCode;
  const stderr = (error as { stderrTail?: unknown } | null)?.stderrTail ?? details?.stderr_tail;
  if (typeof stderr === 'string' && stderr !== '') out.stderr_tail = stderr;
  return out;
}

function stepInfo(options: StepOptions): { kind: 'step' | 'run'; parent?: string; child?: string } {
  return {
    kind: options.kind ?? 'step',
    ...(options.parent === undefined ? {} : { parent: options.parent }),
    ...(options.child === undefined ? {} : { child: options.child }),
  };
}

function settler(resolve: (value: Record<string, unknown>) => void, reject: (err: unknown) => void): (outcome: Outcome) => void {
  return (outcome) => (outcome.ok ? resolve(outcome.value as Record<string, unknown>) : reject(outcome.error));
}

/** A wait's recorded outputs; a sleep has none. */
function outputsOfWait(state: RunState, key: string, outputs: Record<string, unknown> | undefined): unknown {
  const kind = state.nodes.get(key)?.step?.kind;
  return kind !== undefined && isWait(kind) ? (outputs ?? {}) : undefined;
}

function cancelled(key: string, reason: string): StepFailed {
  return new StepFailed(key, { code: 'STEP_CANCELLED', message: reason });
}

/** Keys name tasks in commands (`baton logs <run> <key>`): printable, bounded, not the code's own log. */
function checkKey(key: string): void {
  if (key === MAIN_KEY || key.length === 0 || key.length > 200 || hasControl(key)) {
    const why = key === MAIN_KEY ? `"${MAIN_KEY}" is the key of the code's own output` : 'a step id is 1 to 200 printable characters';
    throw new EngineError('STEP_KEY_INVALID', `step id ${JSON.stringify(key.slice(0, 60))} cannot be used: ${why}`, { details: { step: key.slice(0, 200) } });
  }
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Default largest step result (JSON), configurable per workflow. */
export const DEFAULT_RESULT_LIMIT = 1024 * 1024;
/** A run whose only open waits are sleeps records that it waits only when the nearest is this far off. */
const WAITING_AFTER_MS = 1000;
/** How long code that goes on after a cancel (with no step running) has before the run ends anyway. */
const CANCEL_GRACE_MS = 2000;

