import type { LeafTask, NotifyChannel } from '../spec/model.js';
import type { ProgressInput } from './progress-input.js';

/**
 * An executor runs one task type. It gets a task whose templates are already
 * resolved, a way to stream output, and an AbortSignal (timeout or cancel); it returns
 * outputs or throws an ExecutorError. It knows nothing of the store or the graph.
 */
export interface Executor<T extends LeafTask = LeafTask> {
  run(task: T, io: TaskIO, signal: AbortSignal): Promise<ExecutorResult>;
  /**
   * For a task type that ends at once, without output or waiting (noop: tens of thousands
   * per run): the engine calls this instead of `run`, and arms no AbortController, promise
   * or timer for it. Returns the result or throws like `run` would reject.
   */
  runNow?(task: T): ExecutorResult;
}

export interface TaskIO {
  runId: string;
  taskKey: string;
  attempt: number;
  /** `runId/taskKey`: the same across attempts and resumes, for deduping side effects. */
  idempotencyKey: string;
  /**
   * Base environment for child processes (process env + workflow env + task env), already
   * merged. Read only: tasks without an `environment:` of their own share one object.
   */
  env: Record<string, string>;
  /** Folder relative paths are resolved against (the workflow file's folder). */
  baseDir: string;
  /** A folder for temporary files, shared by the run's tasks (name files uniquely); it exists once read, and is removed when the run ends. */
  scratchDir: string;
  /**
   * When this attempt continues an interrupted one (its owner died and the run was
   * resumed): when that one started (ms since epoch). A sleep counts from there, so a
   * resume does not start a wait over. Undefined for a fresh attempt.
   */
  continuesFrom?: number;
  /**
   * Runs a skill as a child run of this task, resolving with the child's id and the
   * skill's outputs. Given by the engine to skill tasks; absent where no run drives the task.
   */
  runSkill?(name: string, inputs: Record<string, unknown>, signal: AbortSignal): Promise<{ runId: string; outputs: Record<string, unknown> }>;
  /**
   * Runs a workflow file (relative to `baseDir`) as a child run of this task, resolving with
   * the child's id and its outputs. Given by the engine to workflow tasks; absent where
   * nothing can start child runs.
   */
  runWorkflow?(file: string, inputs: Record<string, unknown>, signal: AbortSignal): Promise<{ runId: string; outputs: Record<string, unknown> }>;
  /** The run's workflow, by name (what a notification says it came from). */
  workflow?: string;
  /** The named notification channels (baton.config.yaml `notifications.channels`); given to notify tasks. */
  channels?: Readonly<Record<string, NotifyChannel>>;
  /**
   * The attempt's W3C trace context when tracing is on (`00-<trace>-<span>-01`): its
   * processes get it as TRACEPARENT, an http task sends it as `traceparent`. Absent: off.
   */
  traceparent?: string;
  /**
   * The attempt's progress, as the task reported it (checked: progress-input.ts). The engine
   * records at most about one report a second, and the last one before the attempt ends
   * (engine/progress-recorder.ts). Absent where nothing records progress.
   */
  progress?(input: ProgressInput): void;
  /** Output as it arrives; the engine sends it to the log store (and the terminal if live). */
  stdout(chunk: string): void;
  stderr(chunk: string): void;
}

export interface ExecutorResult {
  /** What dependants see as `tasks.<id>.outputs`. */
  outputs: Record<string, unknown>;
  exit_code?: number;
}
