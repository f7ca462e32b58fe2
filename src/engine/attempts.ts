import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ExecutorError, toTaskError } from '../executors/errors.js';
import { executorFor } from '../executors/registry.js';
import type { Executor, ExecutorResult } from '../executors/types.js';
import { BatonError, coerceError, errorCode } from '../observability/errors.js';
import type { LeafTask } from '../spec/model.js';
import type { TaskError } from '../store/events.js';
import type { LogStore } from '../store/store.js';
import type { Masker } from './mask.js';
import { declaredOutputs, resolveTask } from './resolve.js';
import type { Scheduler } from './scheduler.js';
import type { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';
import { equip, type TaskExtras } from './task-extras.js';
import { RunnerIO } from './task-io.js';
import { ProgressRecorder } from './progress-recorder.js';
import { CircuitOpenError, guardAttempt, type CircuitsContext } from './circuits.js';

/** What the attempts of one run share: the run, where output goes, and their environment. */
export interface AttemptsContext {
  runId: string;
  state: RunState;
  scheduler: Scheduler;
  scopes: ScopeBuilder;
  logs: LogStore;
  /** Executors by type; default: the built-in registry. */
  executors?: (type: LeafTask['type']) => Executor;
  /** Output of tasks with `live_output` (or of every task with `followAll`) as it arrives. */
  onOutput?: (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;
  followAll?: boolean;
  /** The environment of tasks that start no process (the workflow's own variables). */
  workflowEnv: Record<string, string>;
  /**
   * What a shell or script task without `environment:` starts from (the process's, then
   * the workflow's): one object shared by them all, rather than a copy of ~50 variables per task.
   */
  taskEnv: Record<string, string>;
  masker?: Masker;
  /** The run's scratch folder, made on first use. */
  scratchDir: string;
  /** Task output could not be stored (a full disk, say). */
  onLogFailure: (err: unknown) => void;
  /** An attempt ended: the run loop has something to decide. */
  wake: () => void;
  /** An attempt ended, whichever way (for the slot it held, engine/dispatch.ts). */
  onEnded?: (key: string) => void;
  /** The child runs of skill and workflow tasks, notify tasks' channels (task-extras.ts); none: such tasks fail saying so. */
  extras?: TaskExtras;
  /** The circuit breakers tasks' `circuit:` names (engine/circuits.ts); none: a task naming one fails with CIRCUIT_UNKNOWN. */
  circuits?: CircuitsContext;
}

/**
 * The attempts of a run that are running: starts each one's executor, stops them on
 * request (cancel, timeout, interrupt), and turns how each ended into a scheduler call.
 */
export class Attempts {
  private readonly controllers = new Map<string, AbortController>();
  /** The scratch folder exists: made on first use, once per drive, not once per task. */
  private scratchMade = false;
  private readonly scratch = (): string => {
    if (!this.scratchMade) {
      mkdirSync(this.run.scratchDir, { recursive: true });
      this.scratchMade = true;
    }
    return this.run.scratchDir;
  };

  constructor(private readonly run: AttemptsContext) {}

  /** How many attempts are running. */
  get running(): number {
    return this.controllers.size;
  }

  abort(key: string, reason: AbortReason): void {
    this.controllers.get(key)?.abort(reason);
  }

  /** Stops every running attempt; `interrupt`: what they say is not recorded. */
  abortAll(reason: 'cancel' | 'interrupt'): void {
    for (const controller of this.controllers.values()) controller.abort(reason);
  }

  /** Removes the scratch folder once the drive is over. */
  async cleanUp(): Promise<void> {
    await rm(this.run.scratchDir, { recursive: true, force: true });
    this.scratchMade = false;
  }

  /** Starts the attempt of `key` that the scheduler recorded as started. */
  launch(key: string): void {
    const { state, scopes } = this.run;
    const spec = state.attemptSpec(key);
    const attempt = state.task(key).attempt;
    let executor: Executor;
    try {
      executor = (this.run.executors ?? executorFor)(spec.type);
      if (spec.circuit !== undefined) executor = this.behindCircuit(key, attempt, spec, executor);
    } catch (err) {
      executor = { run: () => Promise.reject(err) };
    }
    if (executor.runNow) return this.launchNow(key, attempt, spec, executor.runNow);
    const controller = new AbortController();
    this.controllers.set(key, controller);
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeout !== undefined) timer = setTimeout(() => controller.abort('timeout'), spec.timeout);
    // Silent for heartbeat_timeout: taken for hung. Every chunk of output puts it off.
    const heartbeat = spec.heartbeat_timeout === undefined ? undefined : setTimeout(() => controller.abort('heartbeat'), spec.heartbeat_timeout);
    let io: RunnerIO | undefined;
    let progress: ProgressRecorder | undefined;
    const settle = () => {
      if (timer) clearTimeout(timer);
      if (heartbeat) clearTimeout(heartbeat);
      this.controllers.delete(key);
      io?.finish();
      // Its last progress is recorded before its end; an interrupted attempt records nothing.
      progress?.finish(controller.signal.reason !== 'interrupt');
      this.run.onEnded?.(key);
    };
    let run: Promise<ExecutorResult>;
    try {
      const resolved = resolveTask(spec, () => scopes.forTask(key));
      io = this.io(key, attempt, resolved);
      if (heartbeat) io.onActivity = () => heartbeat.refresh();
      io.progress = (input) => (progress ??= this.progressOf(key, attempt)).report(input);
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

  /** The attempt's executor behind its task's circuit; what it changes of the circuit is recorded in the run's events. */
  private behindCircuit(key: string, attempt: number, spec: LeafTask, executor: Executor): Executor {
    const circuits = this.run.circuits;
    if (circuits === undefined) throw new BatonError('CIRCUIT_UNKNOWN', `task ${key} names circuit ${spec.circuit}, and this run was started without circuit breakers`);
    return guardAttempt(executor, circuits, this.run.state, key, attempt, spec, (change) => {
      this.run.scheduler.emit({ type: 'CircuitChanged', task: key, attempt, ...change });
      this.run.wake();
    });
  }

  /** Records attempt `attempt` of `key`'s progress as TaskProgress events, throttled. */
  private progressOf(key: string, attempt: number): ProgressRecorder {
    return new ProgressRecorder((fields) => {
      this.run.scheduler.emit({ type: 'TaskProgress', task: key, attempt, ...fields });
      this.run.wake();
    });
  }

  /** A task type that ends at once (noop): no controller, promise or timer, same records. */
  private launchNow(key: string, attempt: number, spec: LeafTask, runNow: NonNullable<Executor['runNow']>): void {
    let result: ExecutorResult;
    try {
      result = runNow(resolveTask(spec, () => this.run.scopes.forTask(key)));
    } catch (err) {
      this.run.onEnded?.(key);
      return this.failed(key, attempt, spec, err);
    }
    this.run.onEnded?.(key);
    this.succeeded(key, attempt, spec, result);
  }

  /** An attempt's executor returned: declared outputs are evaluated, then the success recorded. */
  private succeeded(key: string, attempt: number, spec: LeafTask, result: ExecutorResult): void {
    this.run.wake();
    recordSuccess(this.run.scheduler, this.run.scopes, key, attempt, spec, result);
  }

  /** An attempt's executor failed, timed out (signal reason `timeout`) or was stopped by a cancel. */
  private failed(key: string, attempt: number, spec: LeafTask, err: unknown, signal?: AbortSignal): void {
    const { scheduler, state } = this.run;
    this.run.wake();
    const reason = signal?.aborted ? signal.reason : undefined;
    if (reason === 'interrupt') return;
    if (reason === 'timeout') return scheduler.failAttempt(key, attempt, timeoutError(key, spec), true);
    if (reason === 'deadline') return scheduler.failAttempt(key, attempt, deadlineError(key, spec), false);
    if (reason === 'heartbeat') return scheduler.failAttempt(key, attempt, heartbeatError(key, spec), true);
    if (reason !== undefined) return scheduler.cancelAttempt(key, attempt, state.cancelRequested ?? 'cancelled');
    const { error, retryable } = taskErrorOf(err);
    scheduler.failAttempt(key, attempt, error, retryable);
  }

  private io(key: string, attempt: number, spec: LeafTask): RunnerIO {
    const { state, taskEnv } = this.run;
    const onOutput = spec.live_output || this.run.followAll ? this.run.onOutput : undefined;
    const env = attemptEnv(spec, this.run.workflowEnv, taskEnv);
    const io = new RunnerIO(this.run.runId, key, attempt, env, state.baseDir ?? process.cwd(), this.scratch, this.run.logs, onOutput, this.run.masker, this.run.onLogFailure);
    const continuesFrom = state.task(key).continuesFrom;
    if (continuesFrom !== undefined) io.continuesFrom = continuesFrom;
    equip(io, key, spec, this.run.extras ?? {}, state.plan.workflow.name);
    return io;
  }
}

/**
 * Records an attempt's success: its declared outputs evaluated over what the executor
 * returned, or, when one of them cannot be, the attempt failed with that error. Shared by
 * attempts run here and those a worker ran (engine/dispatch.ts).
 */
export function recordSuccess(scheduler: Scheduler, scopes: ScopeBuilder, key: string, attempt: number, spec: LeafTask, result: ExecutorResult): void {
  let outputs = result.outputs;
  if (Object.keys(spec.outputs).length > 0) {
    try {
      const scope = scopes.forTask(key, undefined, { result: { ...outputs, exit_code: result.exit_code } });
      outputs = { ...outputs, ...declaredOutputs(spec, scope) };
    } catch (err) {
      return scheduler.failAttempt(key, attempt, { code: errorCode(err), message: coerceError(err).message }, false);
    }
  }
  scheduler.succeed(key, attempt, outputs, result.exit_code);
}

/** What an executor's error records: its code and message, and whether a retry may help. */
export function taskErrorOf(err: unknown): { error: TaskError; retryable: boolean } {
  // A skill task's child run fails with the engine's RUN_CHILD_FAILED (a coded error that is no BatonError).
  const code = (err as { code?: unknown } | null)?.code;
  const stable = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : errorCode(err);
  if (err instanceof ExecutorError) return { error: toTaskError(err), retryable: err.retryable };
  if (err instanceof CircuitOpenError) return { error: err.taskError, retryable: true };
  return { error: { code: stable, message: coerceError(err).message }, retryable: false };
}

/** The error of an attempt stopped by its task's time limit. */
export function timeoutError(key: string, spec: LeafTask): TaskError {
  return { code: 'EXEC_TIMEOUT', message: `${key} timed out after ${formatMs(spec.timeout!)}` };
}

/** Why the scheduler stops an attempt: a cancel, its `timeout`, or its task's `schedule_timeout`. */
export type AbortReason = 'cancel' | 'timeout' | 'deadline';

/** The error of a task whose schedule_timeout passed (engine/scheduler.ts deadlinePassed). */
export function deadlineError(key: string, spec: LeafTask): TaskError {
  return { code: 'EXEC_DEADLINE', message: `${key} did not finish within its schedule_timeout of ${formatMs(spec.schedule_timeout ?? 0)} (from when it was first ready: waits, attempts and retries included)` };
}

/** The error of an attempt that printed nothing for its heartbeat_timeout. */
export function heartbeatError(key: string, spec: LeafTask): TaskError {
  return { code: 'EXEC_HEARTBEAT_TIMEOUT', message: `${key} printed nothing for ${formatMs(spec.heartbeat_timeout ?? 0)} (its heartbeat_timeout): taken for hung and stopped` };
}

/**
 * The environment an attempt starts with: a task that starts a process (shell, script,
 * docker, data_processor), or reads a secret from the environment (notify), gets the
 * process's and the workflow's variables with its own `environment:` on top (the shared
 * object when it has none, rather than a copy per task); the others the workflow's.
 */
export function attemptEnv(spec: LeafTask, workflowEnv: Record<string, string>, taskEnv: Record<string, string>): Record<string, string> {
  // A notify task reads its URL or signing key from this machine's environment (secret_env, url_env).
  if (spec.type === 'notify') return hasEntries(spec.environment) ? { ...taskEnv, ...spec.environment } : taskEnv;
  if (spec.type !== 'shell' && spec.type !== 'script' && spec.type !== 'docker' && spec.type !== 'data_processor') return workflowEnv;
  return hasEntries(spec.environment) ? { ...taskEnv, ...spec.environment } : taskEnv;
}

function hasEntries(record: Record<string, string> | undefined): boolean {
  for (const _ in record) return true;
  return false;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}
