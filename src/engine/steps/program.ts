import type { ProgressInput } from '../../executors/progress-input.js';
import type { RetryPolicy } from '../../spec/model.js';
import type { Compensation, RunTrigger, TaskError } from '../../store/events.js';

/**
 * The code a code run runs, as the step driver sees it: something that runs from the top
 * and asks the driver (its StepHost) for every step. A TypeScript workflow (sdk/) and a
 * script using `baton step` (sdk/script-program.ts) are both programs.
 */
export interface StepProgram {
  /**
   * Runs the code from the top. Resolves with what the run reports back when the code
   * returns; rejects with a ProgramFailure (or any error) when it fails.
   */
  run(host: StepHost): Promise<ProgramEnd>;
  /** Stops the code (a script's process): the run is cancelled or interrupted. */
  stop?(reason: 'cancel' | 'interrupt'): void;
  /** After the drive, whatever it ended like. */
  cleanUp?(): Promise<void>;
}

export interface ProgramEnd {
  /** What the code returned (JSON). */
  result?: unknown;
  /** What the run reports back; default: what the host was told with `summary()`. */
  summary?: string;
}

/** How a program failed, when it can say better than an exception (a script's exit code and stderr). */
export class ProgramFailure extends Error {
  constructor(readonly error: TaskError) {
    super(error.message);
  }
}

/** One attempt of a step, as its work sees it. */
export interface StepAttempt {
  key: string;
  attempt: number;
  /** Aborted when the step times out, or the run is cancelled or interrupted. */
  signal: AbortSignal;
  /** `<run id>/<step key>`: the same on every attempt and after a resume, to dedupe side effects. */
  idempotencyKey: string;
  /** The attempt's W3C trace context when tracing is on (observability/tracing/): TRACEPARENT of its commands. */
  traceparent?: string;
  /** Output of the step, to its log (masked, streamed to the log store). */
  output(stream: 'stdout' | 'stderr', chunk: string): void;
  /** The step's progress (ctx.progress, a `baton step` command's progress lines), checked; absent where nothing records it. */
  progress?(input: ProgressInput): void;
}

export interface StepOptions {
  retry?: RetryPolicy;
  /** Per attempt, ms. */
  timeout?: number;
  /** The map this step is an item of. */
  parent?: string;
  /** What it is; default 'step'. */
  kind?: 'step' | 'run';
  /** kind 'run': the child run's id (chosen before it starts). */
  child?: string;
  /**
   * A remote step: when workers drive the run, its attempts run on a worker serving this
   * queue (engine/steps/remote-steps.ts), unless the driving worker serves it itself. A run
   * driven here runs it here.
   */
  queue?: string;
}

/** What a child-run step runs: a file, or a skill by name. */
export type ChildTarget = { file: string } | { skill: string };

export type WaitSpec =
  | { kind: 'sleep'; until: number }
  | { kind: 'approval'; prompt?: string; timeout_at?: number }
  | { kind: 'event'; event: string; timeout_at?: number };

/** What the step driver offers the code it runs. */
export interface StepHost {
  readonly runId: string;
  /** The run's inputs, as recorded. */
  readonly inputs: Record<string, unknown>;
  /** What fired the run, when a trigger of `baton serve` started it. */
  readonly trigger?: RunTrigger;
  /** The environment commands of steps start from: baton's, then the workflow's `environment`. */
  readonly taskEnv: Record<string, string>;
  /** The folder commands start in: the workflow file's. */
  readonly baseDir: string;
  /** Where the run's scratch files go (made on first use, removed when the drive ends). */
  readonly scratchDir: string;
  /**
   * The key for the next use of `id` in this execution of the code: `id`, then `id#2`,
   * `id#3`... (by the order the code asks, never the order steps end in).
   */
  keyFor(id: string): string;
  /**
   * Runs `work` as the durable step `key`, or gives its recorded result at once. The result
   * is JSON: what the code gets back is the recorded JSON, on the first run as on a replay.
   * A failure (after retries) rejects with a StepFailed.
   */
  step(key: string, options: StepOptions, work: (attempt: StepAttempt) => unknown): Promise<unknown>;
  /**
   * Runs a child run in a step `key` (engine/child-run.ts): the workflow, TypeScript
   * workflow or script `file` (relative to baseDir), resolving with the child's id, status,
   * result and its tasks' outputs; or the skill `skill` (engine/skill-run.ts), resolving
   * with its outputs.
   */
  child(key: string, what: ChildTarget, inputs: Record<string, unknown>, options: StepOptions): Promise<unknown>;
  /** Opens the map `key` (its items are steps with `parent: key`); `close` records how it ended. */
  openMap(key: string, items: number): MapHandle;
  /** A durable wait: a sleep, an approval or an event. Resolves with the answer's outputs. */
  wait(key: string, spec: WaitSpec): Promise<Record<string, unknown>>;
  /** Sets what the run reports back. */
  summary(text: string): void;
  /** The code undid its succeeded steps after failing (sdk/compensations.ts): recorded on the run's end. */
  compensated?(compensation: Compensation): void;
  /** Output of the code outside any step (its `main` log). */
  output(stream: 'stdout' | 'stderr', chunk: string): void;
}

export interface MapHandle {
  close(failed?: TaskError): void;
}

/** The key the code's own output (outside steps) is logged under. */
export const MAIN_KEY = 'main';
