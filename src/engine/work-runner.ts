/**
 * The worker's half of a task that workers run (docs/decisions/0019-postgres.md): given a
 * work item it claimed, it finds the attempt in the run's events, resolves the task as
 * the run's driver would (inputs, upstream outputs, the workflow's environment), and runs
 * its executor here, with this machine's environment and secrets. Output goes to the
 * store's logs; the result goes back to the caller, who completes the item (the driver
 * then evaluates declared outputs and records it). Nothing here writes the run's log.
 *
 * A run's state is kept between items (most items of a big run are its siblings), and
 * brought up to date by reading only the events after it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executorFor } from '../executors/registry.js';
import type { Executor, ExecutorResult } from '../executors/types.js';
import type { LeafTask } from '../spec/model.js';
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import type { RunOwner, Store } from '../store/store.js';
import type { WorkItem, WorkProgress, WorkResult } from '../store/work.js';
import type { ProgressInput } from '../executors/progress-input.js';
import { ProgressRecorder } from './progress-recorder.js';
import { attemptEnv, heartbeatError, taskErrorOf, timeoutError } from './attempts.js';
import { CircuitBreakers, guardAttempt, type CircuitChange, type CircuitsContext } from './circuits.js';
import type { Masker } from './mask.js';
import { resolveTask } from './resolve.js';
import { replayRun } from './resume.js';
import type { DriveOptions } from './runner.js';
import { runRemoteStep } from './steps/replay-host.js';
import { stepResultLimit } from './steps/results.js';
import { runEnvironment } from './run-env.js';
import { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';
import { childRunners, equip, type TaskExtras } from './task-extras.js';
import { RunnerIO } from './task-io.js';

export interface WorkRunnerOptions {
  store: Store;
  /** Executors by type; default: the built-in registry. */
  executors?: (type: LeafTask['type']) => Executor;
  /** The environment tasks start from (this worker's); default process.env. */
  processEnv?: NodeJS.ProcessEnv;
  /** Where runs' scratch folders go; default the OS temp folder. */
  scratchRoot?: string;
  /** The program of a code run, for its remote steps (DriveOptions.programs); absent: such items fail. */
  programs?: DriveOptions['programs'];
  /** baton.config.yaml's circuits, for a task naming one its run's snapshot lacks (DriveOptions.circuits). */
  circuits?: DriveOptions['circuits'];
  /**
   * The process this is, as the owner of the child runs that skill and workflow tasks start
   * here (driven here, inside the attempt); absent: such tasks fail (EXEC_NO_SKILLS, EXEC_NO_CHILD_RUNS).
   */
  owner?: RunOwner;
  /** How those child runs load code and find skills (runs/drive-options.ts). */
  loadCode?: DriveOptions['loadCode'];
  skills?: DriveOptions['skills'];
  /** The named channels of notify tasks (baton.config.yaml). */
  channels?: DriveOptions['channels'];
  /** Tracing: each attempt is handed its traceparent (DriveOptions.tracing). */
  tracing?: DriveOptions['tracing'];
  /** How long those child runs' claims hold without a heartbeat; default LEASE_MS. */
  leaseMs?: number;
}

/** Runs whose state is kept; the least recently used is dropped beyond this. */
const MAX_RUNS = 32;

interface RunContext {
  state: RunState;
  scopes: ScopeBuilder;
  workflowEnv: Record<string, string>;
  taskEnv: Record<string, string>;
  masker?: Masker;
  scratchDir: string;
  scratchMade: boolean;
  extras: TaskExtras;
}

export class WorkRunner {
  private readonly runs = new Map<string, Promise<RunContext>>();

  /** The store's circuit breakers, and the config's for a name a run's snapshot lacks. */
  private readonly circuits: CircuitsContext;

  constructor(private readonly options: WorkRunnerOptions) {
    this.circuits = { breakers: CircuitBreakers.of(options.store.circuits), ...(options.circuits ? { config: options.circuits } : {}) };
  }

  /**
   * Runs the attempt `item` names. Resolves with its result, also when the task failed;
   * rejects only when `signal` stopped it (the claim was lost, or the worker is stopping):
   * then there is nothing to report.
   */
  async run(item: WorkItem, signal: AbortSignal, onProgress?: (progress: WorkProgress) => void): Promise<WorkResult> {
    const changes: CircuitChange[] = [];
    // The attempt's progress: reported at most about once a second while it runs (the
    // worker records it on the item, where the driver reads it), and its last with the result.
    let recorder: ProgressRecorder | undefined;
    const progress = (input: ProgressInput) => (recorder ??= new ProgressRecorder((fields) => onProgress?.(fields))).report(input);
    let result: WorkResult;
    try {
      result = await this.runAttempt(item, signal, changes, progress);
    } finally {
      recorder?.finish(false);
    }
    const last = recorder?.latest();
    if (changes.length > 0) result = { ...result, circuit_changes: changes };
    return last === undefined ? result : { ...result, progress: last };
  }

  /** run(), noting what the attempt changed of its task's circuit breaker in `changes`. */
  private async runAttempt(item: WorkItem, signal: AbortSignal, changes: CircuitChange[], progress: (input: ProgressInput) => void): Promise<WorkResult> {
    let context: RunContext;
    let spec: LeafTask | undefined;
    try {
      context = await this.context(item);
      if (context.state.code !== undefined) return await this.runStep(context, item, signal, progress);
      spec = context.state.nodes.has(item.task) ? context.state.attemptSpec(item.task) : undefined;
      if (spec === undefined || (context.state.tasks.get(item.task)?.attempt ?? 0) < item.attempt) {
        return failure({ code: 'WORK_UNKNOWN_ATTEMPT', message: `run ${item.run_id} has no attempt ${item.attempt} of task ${item.task}` }, false);
      }
    } catch (err) {
      return { ok: false, ...taskErrorOf(err) };
    }
    let executor: Executor;
    try {
      executor = (this.options.executors ?? executorFor)(spec.type);
      if (spec.circuit !== undefined) executor = guardAttempt(executor, this.circuits, context.state, item.task, item.attempt, spec, (change) => changes.push(change));
      if (executor.runNow) return success(executor.runNow(resolveTask(spec, () => context.scopes.forTask(item.task))));
    } catch (err) {
      return { ok: false, ...taskErrorOf(err) };
    }
    const controller = new AbortController();
    const stop = () => controller.abort(signal.reason ?? 'interrupt');
    signal.addEventListener('abort', stop, { once: true });
    const timer = spec.timeout === undefined ? undefined : setTimeout(() => controller.abort('timeout'), spec.timeout);
    const heartbeat = spec.heartbeat_timeout === undefined ? undefined : setTimeout(() => controller.abort('heartbeat'), spec.heartbeat_timeout);
    let io: RunnerIO | undefined;
    // Output that could not be stored fails the attempt (as it stops a run driven here), and may be retried.
    let logFailure: unknown;
    try {
      const resolved = resolveTask(spec, () => context.scopes.forTask(item.task));
      io = this.io(context, item, resolved, (err) => (logFailure ??= err));
      if (heartbeat) io.onActivity = () => heartbeat.refresh();
      io.progress = progress;
      const result = await executor.run(resolved, io, controller.signal);
      if (logFailure !== undefined) return { ok: false, error: taskErrorOf(logFailure).error, retryable: true };
      return success(result);
    } catch (err) {
      if (signal.aborted) throw err;
      if (controller.signal.reason === 'timeout') return failure(timeoutError(item.task, spec), true);
      if (controller.signal.reason === 'heartbeat') return failure(heartbeatError(item.task, spec), true);
      return { ok: false, ...taskErrorOf(err) };
    } finally {
      if (timer) clearTimeout(timer);
      if (heartbeat) clearTimeout(heartbeat);
      signal.removeEventListener('abort', stop);
      io?.finish();
    }
  }

  /**
   * A remote step of a code run (engine/steps/replay-host.ts): the run's code, loaded as its
   * driver loads it, runs again up to the step, whose work runs here. Rejects only when
   * `signal` stopped it.
   */
  private async runStep(context: RunContext, item: WorkItem, signal: AbortSignal, progress: (input: ProgressInput) => void): Promise<WorkResult> {
    const { state } = context;
    if (state.nodes.get(item.task)?.step?.queue === undefined || (state.tasks.get(item.task)?.attempt ?? 0) < item.attempt) {
      return failure({ code: 'WORK_UNKNOWN_ATTEMPT', message: `run ${item.run_id} has no attempt ${item.attempt} of remote step ${item.task}` }, false);
    }
    if (this.options.programs === undefined) return failure({ code: 'WORK_NO_PROGRAMS', message: `this worker cannot run the code of run ${item.run_id}` }, false);
    const program = await this.options.programs(state.code!, state);
    const logs = this.options.store.logs;
    let logFailure: unknown;
    const place = {
      taskEnv: context.taskEnv,
      baseDir: state.baseDir ?? process.cwd(),
      scratchDir: this.scratch(context),
      resultLimit: stepResultLimit(state.plan.workflow),
      progress,
      output: (stream: 'stdout' | 'stderr', chunk: string) => {
        try {
          logs.write(item.run_id, item.task, item.attempt, stream, context.masker ? context.masker.text(chunk) : chunk);
        } catch (err) {
          logFailure ??= err;
        }
      },
    };
    try {
      const result = await runRemoteStep(program, state, { key: item.task, attempt: item.attempt }, place, signal);
      return logFailure === undefined ? result : { ok: false, error: taskErrorOf(logFailure).error, retryable: true };
    } finally {
      logs.end(item.run_id, item.task, item.attempt);
    }
  }

  /** Forgets every run and removes their scratch folders (the worker stops). */
  close(): void {
    for (const runId of [...this.runs.keys()]) this.forget(runId);
  }

  /** The run's state, with the events up to the item's attempt. */
  private async context(item: WorkItem): Promise<RunContext> {
    let pending = this.runs.get(item.run_id);
    if (pending === undefined) {
      pending = this.load(item.run_id);
      this.runs.set(item.run_id, pending);
      pending.catch(() => this.runs.delete(item.run_id));
      if (this.runs.size > MAX_RUNS) this.forget(this.runs.keys().next().value!);
    } else {
      // Most recently used last.
      this.runs.delete(item.run_id);
      this.runs.set(item.run_id, pending);
    }
    const context = await pending;
    if ((context.state.tasks.get(item.task)?.attempt ?? 0) < item.attempt) {
      for (const event of await this.options.store.runs.readEvents(item.run_id, context.state.lastSeq)) {
        context.state.apply(event);
        if ('task' in event && TERMINAL_TASK_STATUSES.has(context.state.task(event.task).status)) context.scopes.taskEnded(event.task);
      }
    }
    return context;
  }

  private async load(runId: string): Promise<RunContext> {
    const state = replayRun(runId, await this.options.store.runs.readEvents(runId));
    const env = runEnvironment(state, this.options.processEnv ?? process.env);
    const taskEnv = { ...env.processEnv, ...env.workflowEnv };
    const scopes = new ScopeBuilder(state, taskEnv, env.secrets);
    // What tasks read of the ones that ended (their outputs), as the driver's scopes have it.
    for (const [key, task] of state.tasks) if (TERMINAL_TASK_STATUSES.has(task.status)) scopes.taskEnded(key);
    return {
      state,
      scopes,
      workflowEnv: env.workflowEnv,
      taskEnv,
      ...(env.masker ? { masker: env.masker } : {}),
      scratchDir: path.join(this.options.scratchRoot ?? tmpdir(), `baton-${runId}-worker-${process.pid}`),
      scratchMade: false,
      extras: this.extras(state),
    };
  }

  /** Child runs (driven here, by this process) and channels, for the tasks that need them. */
  private extras(state: RunState): TaskExtras {
    const { store, owner, programs, loadCode, skills, channels, processEnv, leaseMs, tracing } = this.options;
    const extras: TaskExtras = { ...(channels ? { channels } : {}), ...(tracing ? { tracing } : {}) };
    if (owner === undefined) return extras;
    const drive: DriveOptions = { store, owner, ...(programs ? { programs } : {}), ...(loadCode ? { loadCode } : {}), ...(skills ? { skills } : {}), ...(channels ? { channels } : {}), ...(processEnv ? { processEnv } : {}), ...(leaseMs ? { leaseMs } : {}), ...(tracing ? { tracing } : {}) };
    return { ...extras, ...childRunners(drive, state) };
  }

  /** The run's scratch folder here, made on first use. */
  private scratch(context: RunContext): string {
    if (!context.scratchMade) {
      mkdirSync(context.scratchDir, { recursive: true });
      context.scratchMade = true;
    }
    return context.scratchDir;
  }

  private forget(runId: string): void {
    const pending = this.runs.get(runId);
    this.runs.delete(runId);
    void pending?.then((context) => rmSync(context.scratchDir, { recursive: true, force: true })).catch(() => {});
  }

  private io(context: RunContext, item: WorkItem, spec: LeafTask, onLogFailure: (err: unknown) => void): RunnerIO {
    const env = attemptEnv(spec, context.workflowEnv, context.taskEnv);
    const scratch = () => this.scratch(context);
    const io = new RunnerIO(item.run_id, item.task, item.attempt, env, context.state.baseDir ?? process.cwd(), scratch, this.options.store.logs, undefined, context.masker, onLogFailure);
    const continuesFrom = context.state.task(item.task).continuesFrom;
    if (continuesFrom !== undefined) io.continuesFrom = continuesFrom;
    equip(io, item.task, spec, context.extras, context.state.plan.workflow.name);
    return io;
  }
}

function success(result: ExecutorResult): WorkResult {
  return result.exit_code === undefined ? { ok: true, outputs: result.outputs } : { ok: true, outputs: result.outputs, exit_code: result.exit_code };
}

function failure(error: { code: string; message: string }, retryable: boolean): WorkResult {
  return { ok: false, error, retryable };
}
