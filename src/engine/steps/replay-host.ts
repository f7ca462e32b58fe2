/**
 * The worker's half of a remote step (engine/steps/remote-steps.ts): the workflow's code
 * runs again from the top, here, against the run's history, and the one step the work item
 * names is the only work done. Every step the history ended gives its recorded result at
 * once, as on a resume; any other step, wait or child run never settles (this is not
 * where they run), and nothing is recorded: the item's result goes back to the driver,
 * which records it.
 *
 * The code reaches the step as it did the first time: a step starts only when the code
 * asks for it, and by then every result the code awaited to get there was recorded. Code
 * that takes another path here (it is not deterministic) never asks for the step, and the
 * attempt fails with STEP_NOT_REACHED.
 */
import type { RunTrigger } from '../../store/events.js';
import type { WorkResult } from '../../store/work.js';
import { TERMINAL_TASK_STATUSES } from '../../store/events.js';
import { formatMs } from '../attempts.js';
import type { RunState } from '../state.js';
import { isRetryable, toTaskError } from './outcomes.js';
import type { ChildTarget, MapHandle, StepAttempt, StepHost, StepOptions, StepProgram, WaitSpec } from './program.js';
import { recordedResult } from './recorded.js';
import { recordable } from './results.js';

export interface ReplayTarget {
  key: string;
  attempt: number;
}

export interface ReplayPlace {
  /** The environment commands start from: this worker's, then the workflow's. */
  taskEnv: Record<string, string>;
  baseDir: string;
  scratchDir: string;
  /** The step's output, to its log. */
  output: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** The largest result a step may record, in bytes (results.ts stepResultLimit). */
  resultLimit: number;
  /** The step's progress (ctx.progress), for the worker to report; absent: none is kept. */
  progress?: StepAttempt['progress'];
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

class ReplayHost implements StepHost {
  readonly runId: string;
  readonly inputs: Record<string, unknown>;
  readonly trigger?: RunTrigger;
  private readonly uses = new Map<string, number>();
  /** Settles once: the step's work ended, or the code ended without asking for it. */
  private settle!: (result: WorkResult) => void;
  readonly result = new Promise<WorkResult>((resolve) => (this.settle = resolve));
  private reached = false;

  constructor(
    private readonly state: RunState,
    private readonly target: ReplayTarget,
    private readonly place: ReplayPlace,
    private readonly signal: AbortSignal,
  ) {
    this.runId = state.runId;
    this.inputs = state.inputs;
    if (state.trigger) this.trigger = state.trigger;
  }

  get taskEnv(): Record<string, string> {
    return this.place.taskEnv;
  }

  get baseDir(): string {
    return this.place.baseDir;
  }

  get scratchDir(): string {
    return this.place.scratchDir;
  }

  /** The code ended (or failed) here: if it never asked for the step, that is the attempt's failure. */
  programEnded(error?: unknown): void {
    if (this.reached) return;
    const why = error === undefined ? 'the code returned' : `the code failed (${(error as Error)?.message ?? String(error)})`;
    this.settle({
      ok: false,
      error: { code: 'STEP_NOT_REACHED', message: `run again on this worker, the workflow's code did not ask for step ${this.target.key}: ${why} first. Code must take the same path every time it runs (keep clocks, randomness and I/O inside steps)` },
      retryable: false,
    });
  }

  keyFor(id: string): string {
    const n = (this.uses.get(id) ?? 0) + 1;
    this.uses.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  }

  step(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown): Promise<unknown> {
    if (key === this.target.key && !this.reached) {
      this.reached = true;
      void this.runTarget(key, options, work);
      // The code goes no further here: what follows the step is the driver's.
      return never();
    }
    return this.recorded(key);
  }

  child(key: string, _what: ChildTarget, _inputs: Record<string, unknown>, _options: StepOptions): Promise<unknown> {
    return this.recorded(key);
  }

  openMap(): MapHandle {
    return { close: () => {} };
  }

  wait(key: string, _spec: WaitSpec): Promise<Record<string, unknown>> {
    return this.recorded(key) as Promise<Record<string, unknown>>;
  }

  summary(): void {}

  /** The code's own output was logged when the driver ran it; not again. */
  output(): void {}

  private recorded(key: string): Promise<unknown> {
    const task = this.state.tasks.get(key);
    return task !== undefined && TERMINAL_TASK_STATUSES.has(task.status) ? recordedResult(this.state, key) : never();
  }

  private async runTarget(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort(this.signal.reason ?? 'interrupt');
    this.signal.addEventListener('abort', stop, { once: true });
    const timer = options.timeout === undefined ? undefined : setTimeout(() => controller.abort('timeout'), options.timeout);
    try {
      const value = await work({
        key,
        attempt: this.target.attempt,
        signal: controller.signal,
        idempotencyKey: `${this.runId}/${key}`,
        output: this.place.output,
        ...(this.place.progress ? { progress: this.place.progress } : {}),
      });
      if (controller.signal.reason === 'timeout') return this.timedOut(key, options);
      const checked = recordable(`step ${key}`, value, this.place.resultLimit);
      this.settle(checked.ok ? { ok: true, outputs: checked.value === undefined ? {} : { value: checked.value } } : { ok: false, error: checked.error, retryable: false });
    } catch (error) {
      if (controller.signal.reason === 'timeout') return this.timedOut(key, options);
      this.settle({ ok: false, error: toTaskError(error), retryable: isRetryable(error) });
    } finally {
      if (timer) clearTimeout(timer);
      this.signal.removeEventListener('abort', stop);
    }
  }

  private timedOut(key: string, options: StepOptions): void {
    this.settle({ ok: false, error: { code: 'EXEC_TIMEOUT', message: `${key} timed out after ${formatMs(options.timeout!)}` }, retryable: true });
  }
}

/**
 * Runs `program` up to the step `target` and that step's work; resolves with its result.
 * Rejects when `signal` stopped it (the claim was lost, or the worker is stopping).
 */
export async function runRemoteStep(program: StepProgram, state: RunState, target: ReplayTarget, place: ReplayPlace, signal: AbortSignal): Promise<WorkResult> {
  const host = new ReplayHost(state, target, place, signal);
  let running: Promise<unknown>;
  try {
    running = program.run(host);
  } catch (err) {
    running = Promise.reject(err);
  }
  running.then(
    () => host.programEnded(),
    (err: unknown) => host.programEnded(err ?? new Error('failed')),
  );
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([host.result, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    program.stop?.('interrupt');
    await program.cleanUp?.().catch(() => {});
  }
}
