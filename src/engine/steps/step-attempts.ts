import type { StepInfo } from '../../store/events.js';
import { formatMs } from '../attempts.js';
import { budgetSpent, notRetried, retryDelay } from '../retry.js';
import type { DriveOptions } from '../runner.js';
import type { RunSession } from '../session.js';
import type { RunState } from '../state.js';
import { cancelled, isRetryable, toTaskError, type Outcome, type Settle } from './outcomes.js';
import type { StepAttempt, StepOptions } from './program.js';
import type { RemoteSteps } from './remote-steps.js';
import { recordable, StepError, StepFailed } from './results.js';
import { ProgressRecorder } from '../progress-recorder.js';

/**
 * The attempts of a code run's steps: each one recorded as started, its work run with a
 * signal and a time limit, its end recorded (a result that is JSON and small enough, or a
 * failure that the retry policy may try again after a delay), and its promise settled once
 * that end is durable (`ack`: after the driver's next flush).
 */
export class StepAttempts {
  /** Steps whose work is running, by key. */
  readonly running = new Map<string, AbortController>();
  /** Attempts waiting for a slot under `--concurrency`. */
  readonly queued: Array<() => void> = [];
  /** Steps waiting for a retry's delay. */
  retrying = 0;

  constructor(
    private readonly session: RunSession,
    private readonly state: RunState,
    private readonly options: DriveOptions,
    private readonly resultLimit: number,
    /** Settles a promise after the next flush, once what it reports is recorded. */
    private readonly ack: (settle: () => void) => void,
    /** Remote steps, when workers drive the run. */
    private readonly remote?: RemoteSteps,
  ) {}

  /** Nothing running, queued or waiting for a retry. */
  get idle(): boolean {
    return this.running.size === 0 && this.queued.length === 0 && this.retrying === 0;
  }

  stopAll(reason: 'cancel' | 'interrupt'): void {
    for (const controller of this.running.values()) controller.abort(reason);
  }

  /** Runs attempt `attempt` of `key` (`step`: what it is, on the attempt that brings it into the run). */
  run(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown, attempt: number, step: StepInfo | undefined, promise: Settle): void {
    if (this.state.cancelRequested !== undefined) return promise.reject(cancelled(key, this.state.cancelRequested));
    // `--concurrency`: a step past the limit starts when a running one ends.
    if (this.options.concurrency !== undefined && this.running.size >= this.options.concurrency) {
      this.queued.push(() => this.run(key, options, work, attempt, step, promise));
      return;
    }
    this.session.emit(step === undefined ? { type: 'TaskStarted', task: key, attempt } : { type: 'TaskStarted', task: key, attempt, step });
    this.start(key, options, work, attempt, promise, false);
  }

  /** Awaits the attempt a worker still runs of a remote step (RemoteSteps.adopt): no new TaskStarted, no new item. */
  resumeRemote(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown, attempt: number, promise: Settle): void {
    this.start(key, options, work, attempt, promise, true);
  }

  private start(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown, attempt: number, promise: Settle, adopted: boolean): void {
    this.session.wake();
    const queue = this.remote?.queueFor(options.queue);
    const controller = new AbortController();
    this.running.set(key, controller);
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let progress: ProgressRecorder | undefined;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // Its last progress is recorded before its end; an interrupted attempt records nothing.
      progress?.finish(controller.signal.reason !== 'interrupt');
      this.running.delete(key);
      this.queued.shift()?.();
      // A remote step's log is the worker's to end.
      if (queue === undefined && !adopted) this.options.store.logs.end(this.state.runId, key, attempt);
      this.ended(key, options, work, attempt, outcome, controller.signal, promise);
    };
    if (options.timeout !== undefined) {
      timer = setTimeout(() => {
        // Recorded first, then the work told: a remote step's wait ends with the abort.
        done({ ok: false, error: new StepError('EXEC_TIMEOUT', `${key} timed out after ${formatMs(options.timeout!)}`, true) });
        controller.abort('timeout');
      }, options.timeout);
    }
    if (this.remote !== undefined && (queue !== undefined || adopted)) {
      // Its worker died, stopped, or lost the database: the attempt was interrupted, and runs again.
      const lost = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.running.delete(key);
        this.queued.shift()?.();
        this.session.emit({ type: 'TaskInterrupted', task: key, attempt });
        this.run(key, options, work, attempt + 1, undefined, promise);
      };
      if (adopted) this.remote.await(key, attempt, controller.signal, done, lost);
      else this.remote.launch(key, attempt, queue!, controller.signal, done, lost);
      return;
    }
    const io: StepAttempt = {
      key,
      attempt,
      signal: controller.signal,
      idempotencyKey: `${this.state.runId}/${key}`,
      ...(this.options.tracing ? { traceparent: this.options.tracing.traceparent(this.state.runId, key, attempt) } : {}),
      output: (stream, chunk) => this.log(key, attempt, stream, chunk),
      progress: (input) => (progress ??= this.progressOf(key, attempt)).report(input),
    };
    let result: unknown;
    try {
      result = work(io);
    } catch (error) {
      return done({ ok: false, error });
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      (result as Promise<unknown>).then(
        (value) => done({ ok: true, value }),
        (error) => done({ ok: false, error }),
      );
    } else done({ ok: true, value: result });
  }

  /** Records attempt `attempt` of step `key`'s progress as TaskProgress events, throttled. */
  private progressOf(key: string, attempt: number): ProgressRecorder {
    return new ProgressRecorder((fields) => {
      if (this.state.task(key).status !== 'running') return;
      this.session.emit({ type: 'TaskProgress', task: key, attempt, ...fields });
      this.session.wake();
    });
  }

  /** Output of a step (or of the code outside steps, attempt 0), masked, to the log store. */
  log(key: string, attempt: number, stream: 'stdout' | 'stderr', chunk: string): void {
    const masked = this.session.masker ? this.session.masker.text(chunk) : chunk;
    try {
      this.options.store.logs.write(this.state.runId, key, attempt, stream, masked);
    } catch (err) {
      this.session.logFailure ??= err;
      this.session.wake();
      return;
    }
    if (this.options.followAll) this.options.onOutput?.(key, stream, masked);
  }

  private ended(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown, attempt: number, outcome: Outcome, signal: AbortSignal, promise: Settle): void {
    const session = this.session;
    session.wake();
    if (signal.aborted && signal.reason === 'interrupt') return;
    if (signal.aborted && signal.reason === 'cancel') {
      const reason = this.state.cancelRequested ?? 'cancelled';
      if (this.state.task(key).status === 'running') session.emit({ type: 'TaskCancelled', task: key, reason });
      return promise.reject(cancelled(key, reason));
    }
    if (outcome.ok) {
      const checked = recordable(`step ${key}`, outcome.value, this.resultLimit);
      if (checked.ok) {
        session.emit({ type: 'TaskSucceeded', task: key, attempt, outputs: checked.value === undefined ? {} : { value: checked.value } });
        this.ack(() => promise.resolve(checked.value));
        return;
      }
      outcome = { ok: false, error: new StepError(checked.error.code, checked.error.message, false) };
    }
    const error = toTaskError(outcome.error);
    const retryable = isRetryable(outcome.error);
    const task = this.state.task(key);
    let why = notRetried({ error, retryable, policy: options.retry, counted: attempt - task.attemptOffset, cancelled: this.state.cancelRequested !== undefined });
    const delay = why === undefined ? retryDelay(options.retry!, attempt - task.attemptOffset, (this.options.random ?? Math.random)()) : 0;
    if (why === undefined && task.firstStartedAt !== undefined) why = budgetSpent(options.retry!, session.now() + delay - task.firstStartedAt);
    session.emit({ type: 'TaskFailed', task: key, attempt, error: why === undefined ? error : { ...error, not_retried: why }, retryable });
    if (why === undefined) {
      session.emit({ type: 'TaskRetryScheduled', task: key, attempt: attempt + 1, at_due: session.now() + delay });
      this.afterDelay(delay, () => this.run(key, options, work, attempt + 1, undefined, promise));
      return;
    }
    const failure = new StepFailed(key, { ...error, not_retried: why });
    this.ack(() => promise.reject(failure));
  }

  /** Runs `go` after a retry's delay (counted, so the run is not taken for waiting meanwhile). */
  afterDelay(delay: number, go: () => void): void {
    this.retrying++;
    this.session.setTimer(delay, () => {
      this.retrying--;
      go();
    });
  }
}
