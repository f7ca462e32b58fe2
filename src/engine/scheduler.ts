import { evaluateCondition, usesStatusFunction } from '../expr/index.js';
import type { LeafTask, TaskSpec } from '../spec/model.js';
import type { RunEvent, TaskError } from '../store/events.js';
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import { coerceError, errorCode } from '../observability/errors.js';
import { Callbacks } from './callbacks.js';
import { Composites } from './composites.js';
import { quoted } from './reasons.js';
import { runEndEvent } from './run-end.js';
import { compensatedEnd, toCompensate } from './compensation.js';
import { compensationKey } from './state.js';
import { afterFailure } from './retry.js';
import { deadlineError, type AbortReason } from './attempts.js';
import type { ResourceGate } from './resources.js';
import type { GraphWaits } from './waits.js';
import type { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';
import { Upstream } from './upstream.js';

/**
 * Decides what happens next in a run; does no I/O and reads no clock. Every decision is
 * an event passed to `emit`, which stamps it, folds it into the state and queues it for
 * the store. What needs the outside world (start an executor, abort one, set a timer) is
 * left in `effects` for the runner to carry out.
 *
 * A task's life: pending -> (deps ended, parent started) decide: skipped | ready ->
 * running -> succeeded | failed [-> retrying -> ready ...] | cancelled.
 * Composites (parallel, loop, conditional) start without an executor and end when their
 * children say so (engine/composites.ts).
 */
export interface Effects {
  /** Leaf tasks whose TaskStarted was emitted: the runner starts their executors. */
  launch: string[];
  /** Running leaf tasks to stop. */
  abort: Array<{ key: string; reason: AbortReason }>;
  /** Timers to set: a retry coming due, or a composite's time limit. */
  /** `retry`: a retry's delay is over; `timeout`: a composite's time limit; `deadline`: a leaf task's schedule_timeout. */
  timers: Array<{ key: string; at: number; kind: 'retry' | 'timeout' | 'deadline' }>;
}

export interface SchedulerDeps {
  emit(event: RunEvent): void;
  now(): number;
  random(): number;
}

/** Nested task ends handled at once before the rest is queued (see Scheduler.ended). */
const MAX_END_DEPTH = 100;

export class Scheduler {
  readonly effects: Effects = { launch: [], abort: [], timers: [] };
  /** Tasks not yet ended; the run ends when it reaches 0. */
  open = 0;
  /** Leaf tasks running (holding a concurrency slot). */
  running = 0;
  runTimedOut = false;
  private readonly readyQueue: string[] = [];
  /** Depth of nested ended() calls, and the ends left for the outermost one (see ended). */
  private endDepth = 0;
  private readonly endQueue: string[] = [];
  private readyHead = 0;
  private readonly composites: Composites;
  private readonly callbacks: Callbacks;
  readonly upstream: Upstream;
  /** Where ready tasks that ask for pools wait for them (engine/resources.ts); none when no task asks. */
  gate?: ResourceGate;
  /** Where wait tasks start and failed tasks may pause (engine/waits.ts); set by the graph driver. */
  waits?: GraphWaits;

  constructor(
    readonly state: RunState,
    readonly scopes: ScopeBuilder,
    private readonly deps: SchedulerDeps,
    /** Leaf tasks running at once. */
    private readonly concurrency: number,
  ) {
    this.upstream = new Upstream(state);
    this.composites = new Composites(this);
    this.callbacks = new Callbacks(this);
  }

  emit(event: RunEvent): void {
    this.deps.emit(event);
  }

  now(): number {
    return this.deps.now();
  }

  /** Starts a new run: every task is pending; roots are decided now. */
  start(): void {
    this.emit({ type: 'RunStarted' });
    for (const [key, node] of this.state.nodes) {
      const task = this.state.task(key);
      task.waiting = node.deps.length + (node.parent ? 1 : 0);
      task.triggersLeft = this.state.plan.triggerCount.get(key) ?? 0;
      this.open++;
    }
    for (const [key, node] of this.state.nodes) {
      if (!node.callback && this.state.task(key).waiting === 0) this.decide(key);
    }
  }

  /**
   * Picks up a run rebuilt from its events (`baton resume`, `baton retry`): attempts that
   * were running when the previous owner died are marked interrupted and run again; the
   * counters a fresh start would have set are recomputed from the recorded facts; ready
   * tasks queue again, retries and time limits keep their recorded due times.
   */
  resume(cancel?: string, inFlight?: ReadonlySet<string>): void {
    const state = this.state;
    // The owner died before the run got going: nothing was decided yet.
    if (state.status === 'pending') this.emit({ type: 'RunStarted' });
    if (cancel !== undefined && state.cancelRequested === undefined) this.emit({ type: 'RunCancelRequested', reason: cancel });
    // Under a cancel, a task being stopped stays stopped; cleanup (always()) goes on.
    const stopped = (key: string) => {
      const condition = this.specOf(key).condition;
      return state.cancelRequested !== undefined && !(condition && usesStatusFunction(condition)) && state.nodes.get(key)?.compensates === undefined;
    };
    for (const [key, task] of state.tasks) {
      if (task.status !== 'running' || Composites.isComposite(this.specOf(key))) continue;
      // A worker still runs it (engine/dispatch.ts): its result is still to come.
      if (inFlight?.has(key)) continue;
      if (stopped(key)) this.emit({ type: 'TaskCancelled', task: key, reason: state.cancelRequested! });
      else this.emit({ type: 'TaskInterrupted', task: key, attempt: task.attempt });
    }
    const triggersLeft = this.callbacks.triggersLeft();
    this.open = 0;
    // Attempts a worker still runs hold their slots.
    this.running = inFlight === undefined ? 0 : [...inFlight].filter((key) => state.task(key).status === 'running').length;
    for (const [key, node] of state.nodes) {
      const task = state.task(key);
      if (TERMINAL_TASK_STATUSES.has(task.status)) {
        this.scopes.taskEnded(key);
        continue;
      }
      this.open++;
      let waiting = node.parent !== undefined && state.task(node.parent).status !== 'running' ? 1 : 0;
      for (const dep of node.deps) if (!TERMINAL_TASK_STATUSES.has(state.task(dep).status)) waiting++;
      task.waiting = waiting;
      task.triggersLeft = triggersLeft.get(key) ?? 0;
    }
    this.composites.resume();
    for (const [key, task] of [...state.tasks]) {
      if ((task.status === 'ready' || task.status === 'retrying') && stopped(key)) this.settle(key, 'TaskCancelled', state.cancelRequested!);
      else if (task.status === 'ready') this.readyQueue.push(key);
      else if (task.status === 'retrying') this.effects.timers.push({ key, at: task.retryAt ?? this.now(), kind: 'retry' });
      const deadline = (this.specOf(key) as LeafTask).schedule_timeout;
      if (deadline !== undefined && task.firstReadyAt !== undefined && !TERMINAL_TASK_STATUSES.has(task.status)) this.effects.timers.push({ key, at: task.firstReadyAt + deadline, kind: 'deadline' });
      else if (task.status === 'running') {
        const timeout = this.specOf(key).timeout;
        if (timeout !== undefined) this.effects.timers.push({ key, at: (task.startedAt ?? this.now()) + timeout, kind: 'timeout' });
      }
    }
    for (const [key, node] of [...state.nodes]) {
      const task = state.task(key);
      if (task.status !== 'pending' || task.waiting > 0) continue;
      if (!node.callback) this.decide(key);
      else if (task.triggersLeft === 0) this.callbacks.decide(key);
    }
  }

  /** Counts a task created while the run goes (loop iterations and what they contain). */
  added(key: string): void {
    const node = this.state.nodes.get(key)!;
    const parentStarted = node.parent !== undefined && this.state.task(node.parent).status === 'running';
    this.state.task(key).waiting = node.deps.length + (node.parent && !parentStarted ? 1 : 0);
    this.open++;
  }

  /** A pending task whose deps have ended and whose parent started: run it or skip it. */
  decide(key: string): void {
    const state = this.state;
    const task = state.task(key);
    if (task.status !== 'pending') return;
    const node = state.nodes.get(key)!;
    if (node.parent) {
      const parent = state.task(node.parent);
      if (parent.status !== 'running') return this.settle(key, 'TaskCancelled', `${node.parent} already ${parent.status}`);
    }
    let success = true;
    let failure = false;
    if (node.callback) {
      failure = state.tasks.get(task.trigger!)?.status === 'failed';
    } else if (!node.orderOnly) {
      for (const dep of node.deps) {
        const depState = state.task(dep);
        if (depState.status === 'succeeded' || this.upstream.failedButContinues(dep)) continue;
        success = false;
        if (depState.status === 'failed' || this.upstream.failed(dep)) failure = true;
      }
    }
    // A compensation runs because the run is ending, cancelled or not.
    const cancelled = state.cancelRequested !== undefined && node.compensates === undefined;
    const condition = node.spec.condition;
    let run: boolean;
    let reason = '';
    if (condition === undefined) {
      run = success && !cancelled;
      if (!run) reason = cancelled ? 'run cancelled' : this.upstream.blockedReason(key);
    } else {
      try {
        run = evaluateCondition(condition, this.scopes.forTask(key, { success, failure, cancelled }));
      } catch (err) {
        return this.fail(key, 0, { code: errorCode(err), message: coerceError(err).message }, false);
      }
      if (!run) {
        const implicit = !usesStatusFunction(condition);
        reason = implicit && !success ? this.upstream.blockedReason(key) : `condition is false: ${quoted(condition)}`;
        if (cancelled && !success) reason = 'run cancelled';
      }
    }
    if (!run) return this.settle(key, cancelled && reason === 'run cancelled' ? 'TaskCancelled' : 'TaskSkipped', reason);
    const first = task.firstReadyAt === undefined;
    this.emit(node.callback ? { type: 'TaskReady', task: key, trigger: task.trigger } : { type: 'TaskReady', task: key });
    this.readyQueue.push(key);
    const limit = (node.spec as LeafTask).schedule_timeout;
    if (first && limit !== undefined) this.effects.timers.push({ key, at: task.firstReadyAt! + limit, kind: 'deadline' });
  }

  /**
   * Starts ready tasks while slots are free. Composites start at once (they hold no
   * slot); leaf tasks go to effects.launch.
   */
  dispatch(): void {
    while (this.readyHead < this.readyQueue.length) {
      const key = this.readyQueue[this.readyHead];
      const node = this.state.nodes.get(key)!;
      // A wait task (approval, wait) runs nothing: no slot, no executor.
      const isWait = this.waits?.opens(key) === true;
      const isLeaf = !Composites.isComposite(node.spec) && !isWait;
      if (isLeaf && this.running >= this.concurrency) break;
      this.readyHead++;
      if (this.state.task(key).status !== 'ready') continue;
      if (!this.composites.admit(key)) continue;
      if (isLeaf && this.gate?.parks(key)) continue;
      const attempt = this.state.task(key).attempt + 1;
      if (isWait) {
        this.waits!.open(key, attempt);
        continue;
      }
      this.emit({ type: 'TaskStarted', task: key, attempt });
      if (isLeaf) {
        this.running++;
        this.effects.launch.push(key);
      } else {
        this.composites.started(key);
      }
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.readyQueue.length) {
      this.readyQueue.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  /** Puts a task (back) at the end of the ready queue, e.g. when a group slot frees. */
  requeue(key: string): void {
    this.readyQueue.push(key);
  }

  /** A leaf attempt succeeded. */
  succeed(key: string, attempt: number, outputs: Record<string, unknown>, exitCode?: number): void {
    if (this.state.task(key).attempt !== attempt || this.state.task(key).status !== 'running') return;
    this.running--;
    this.emit(
      exitCode === undefined
        ? { type: 'TaskSucceeded', task: key, attempt, outputs }
        : { type: 'TaskSucceeded', task: key, attempt, outputs, exit_code: exitCode },
    );
    this.ended(key);
  }

  /** A leaf attempt failed; schedules a retry when the policy and the error allow. */
  failAttempt(key: string, attempt: number, error: TaskError, retryable: boolean): void {
    const task = this.state.task(key);
    if (task.attempt !== attempt || task.status !== 'running') return;
    this.running--;
    this.fail(key, attempt, error, retryable);
  }

  /** A leaf attempt was stopped because the run or its parent was cancelled. */
  cancelAttempt(key: string, attempt: number, reason: string): void {
    const task = this.state.task(key);
    if (task.attempt !== attempt || task.status !== 'running') return;
    this.settle(key, 'TaskCancelled', reason);
  }

  /**
   * A leaf attempt was lost with the worker that ran it (its claim ran out): it runs again
   * as a new attempt, which, like a resume's, does not count against its retry policy.
   */
  interrupt(key: string, attempt: number): void {
    const task = this.state.task(key);
    if (task.attempt !== attempt || task.status !== 'running') return;
    this.running--;
    this.emit({ type: 'TaskInterrupted', task: key, attempt });
    this.readyQueue.push(key);
  }

  /** A retry's wait is over. */
  retryDue(key: string): void {
    if (this.state.task(key).status !== 'retrying') return;
    this.emit({ type: 'TaskReady', task: key });
    this.readyQueue.push(key);
  }

  /**
   * Records a failure of any task (leaf or composite) and what follows from it. A
   * composite's failure may keep `outputs` (what its children gave).
   */
  fail(key: string, attempt: number, error: TaskError, retryable: boolean, outputs?: Record<string, unknown>): void {
    const spec = this.state.nodes.get(key)!.spec;
    const next = Composites.isComposite(spec)
      ? undefined
      : afterFailure({ task: this.state.task(key), spec: spec as LeafTask, attempt, error, retryable, cancelled: this.state.cancelRequested !== undefined, now: this.now(), random: this.deps.random });
    if (next?.why !== undefined) error = { ...error, not_retried: next.fallback ? `${next.why}; its fallback runs` : next.why };
    if (next?.fallback) {
      this.emit({ type: 'TaskFailed', task: key, attempt, error, retryable });
      return this.scheduleAttempt(key, attempt + 1, this.now(), true);
    }
    // Nothing more to try, and it pauses on failure: it waits for `baton resolve` instead.
    if (next?.why !== undefined && this.waits?.pauses(key, attempt, error)) return;
    this.emit(outputs === undefined
      ? { type: 'TaskFailed', task: key, attempt, error, retryable }
      : { type: 'TaskFailed', task: key, attempt, error, retryable, outputs });
    if (next?.retryAt !== undefined) return this.scheduleAttempt(key, attempt + 1, next.retryAt, false);
    this.ended(key);
  }

  /** The next attempt of a failed task waits until `at` (a retry's delay; at once for its fallback). */
  private scheduleAttempt(key: string, attempt: number, at: number, fallback: boolean): void {
    this.emit(fallback ? { type: 'TaskRetryScheduled', task: key, attempt, at_due: at, fallback: true } : { type: 'TaskRetryScheduled', task: key, attempt, at_due: at });
    this.effects.timers.push({ key, at, kind: 'retry' });
    this.composites.release(key);
  }

  /** Ends a task that will not run (more): skipped or cancelled. */
  settle(key: string, type: 'TaskSkipped' | 'TaskCancelled', reason: string): void {
    const status = this.state.task(key).status;
    if (TERMINAL_TASK_STATUSES.has(status)) return;
    if (status === 'running' && !Composites.isComposite(this.state.nodes.get(key)!.spec)) this.running--;
    this.emit({ type, task: key, reason });
    this.ended(key);
  }

  /** A wait task's success (engine/waits.ts): no attempt ran, so no slot to give back. */
  succeedWait(key: string, attempt: number, outputs: Record<string, unknown>): void {
    if (this.state.task(key).status !== 'waiting') return;
    this.emit({ type: 'TaskSucceeded', task: key, attempt, outputs });
    this.ended(key);
  }

  /** A paused task given up (`baton resolve --abort`): it fails as it would have, without pausing again. */
  failPaused(key: string, error: TaskError): void {
    const task = this.state.task(key);
    if (task.status !== 'waiting') return;
    this.emit({ type: 'TaskFailed', task: key, attempt: task.attempt, error, retryable: false });
    this.ended(key);
  }

  /** Composite-level success (leaf successes go through succeed()). */
  succeedComposite(key: string, outputs: Record<string, unknown>): void {
    if (this.state.task(key).status !== 'running') return;
    this.emit({ type: 'TaskSucceeded', task: key, attempt: 1, outputs });
    this.ended(key);
  }

  /** Stops a task and everything inside it: pending ones are cancelled, running ones aborted. */
  cancelTree(key: string, reason: string, abortReason: 'cancel' | 'timeout' = 'cancel'): void {
    const task = this.state.task(key);
    const node = this.state.nodes.get(key)!;
    if (TERMINAL_TASK_STATUSES.has(task.status)) return;
    if (Composites.isComposite(node.spec)) {
      for (const child of this.composites.childrenOf(key)) this.cancelTree(child, reason, abortReason);
      if (task.status !== 'running') this.settle(key, 'TaskCancelled', reason);
      return;
    }
    if (task.status === 'running') this.effects.abort.push({ key, reason: abortReason });
    else this.settle(key, 'TaskCancelled', reason);
  }

  /** Cancels the run: nothing new starts (except always()/cancelled() tasks); running tasks stop. */
  cancelRun(reason: string, compensate = false): void {
    if (this.state.cancelRequested !== undefined) return;
    this.emit(compensate ? { type: 'RunCancelRequested', reason, compensate: true } : { type: 'RunCancelRequested', reason });
    // Decide the whole set first: settling one may make a cleanup (always()) task ready,
    // which must then run, not be cancelled by this same sweep.
    const waiting: string[] = [];
    for (const [key, task] of this.state.tasks) {
      if (task.status === 'running' && !Composites.isComposite(this.state.nodes.get(key)!.spec)) {
        this.effects.abort.push({ key, reason: 'cancel' });
      } else if (task.status === 'ready' || task.status === 'retrying' || task.status === 'waiting') {
        waiting.push(key);
      }
    }
    for (const key of waiting) this.settle(key, 'TaskCancelled', reason);
  }

  /**
   * A leaf task's schedule_timeout passed: whatever it was doing (waiting for a slot, a
   * retry's delay, an attempt), it fails, not retried. A running attempt is stopped first
   * (effects.abort `deadline`); its end records the failure.
   */
  deadlinePassed(key: string): void {
    const task = this.state.task(key);
    if (TERMINAL_TASK_STATUSES.has(task.status) || task.status === 'pending') return;
    if (task.status === 'running') {
      this.effects.abort.push({ key, reason: 'deadline' });
      return;
    }
    this.fail(key, task.attempt, deadlineError(key, this.specOf(key) as LeafTask), false);
  }

  /** A composite's time limit passed. */
  compositeTimedOut(key: string): void {
    if (this.state.task(key).status !== 'running') return;
    const timeout = this.state.nodes.get(key)!.spec.timeout ?? 0;
    for (const child of this.composites.childrenOf(key)) this.cancelTree(child, `${key} timed out`, 'timeout');
    this.fail(key, 1, { code: 'EXEC_TIMEOUT', message: `${key} timed out after ${timeout} ms` }, false);
  }

  /**
   * Ends the run once nothing is open (run-end.ts says how), or, when it would end failed
   * (or cancelled with `--compensate`) with tasks to undo, compensates first (compensation.ts).
   * Returns true when the run ended.
   */
  finishIfDone(): boolean {
    if (this.open > 0 || this.state.status !== 'running') return false;
    const compensation = this.state.compensation;
    if (compensation !== undefined) {
      this.emit(compensatedEnd(this.state, compensation));
      return true;
    }
    const end = runEndEvent(this.state, this.scopes, this.upstream, this.runTimedOut);
    const undo = toCompensate(this.state, end);
    if (undo.length === 0) {
      this.emit(end);
      return true;
    }
    this.emit({ type: 'RunCompensating', tasks: undo, end: end.type === 'RunFailed' ? { type: 'RunFailed', error: end.error } : { type: 'RunCancelled', reason: (end as { reason: string }).reason } });
    for (const task of undo) this.added(compensationKey(task));
    this.decide(compensationKey(undo[0]));
    return false;
  }

  /** Has the scheduler anything it could start now? */
  hasReady(): boolean {
    return this.readyHead < this.readyQueue.length;
  }

  /** A task reached its end: tell its dependants, callbacks and parent. */
  private ended(key: string): void {
    this.open--;
    this.scopes.taskEnded(key);
    // An end can end the next task, which ends the next... (a failed or cancelled task at
    // the head of a long chain or sequential loop). Past a depth the rest is queued and
    // handled by the outermost call, so a chain of any length cannot overflow the stack.
    if (this.endDepth >= MAX_END_DEPTH) {
      this.endQueue.push(key);
      return;
    }
    this.endDepth++;
    try {
      this.propagateEnd(key);
      if (this.endDepth === 1) {
        for (let i = 0; i < this.endQueue.length; i++) this.propagateEnd(this.endQueue[i]);
        this.endQueue.length = 0;
      }
    } finally {
      this.endDepth--;
    }
  }

  /** What a task's end means for its dependants, callbacks and parent. */
  private propagateEnd(key: string): void {
    const state = this.state;
    const dependents = state.dependentsOf(key);
    if (dependents) {
      for (const dependent of dependents) {
        const next = state.task(dependent);
        if (--next.waiting === 0) this.decide(dependent);
      }
    }
    const callbacks = state.plan.callbacksOf.get(key);
    if (callbacks) this.callbacks.triggerEnded(key, callbacks.on_success, callbacks.on_failure);
    const parent = state.nodes.get(key)!.parent;
    if (parent) this.composites.childEnded(parent, key);
  }

  specOf(key: string): TaskSpec {
    return this.state.nodes.get(key)!.spec;
  }
}
