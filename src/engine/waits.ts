import { renderTemplate } from '../expr/index.js';
import { coerceError, errorCode } from '../observability/errors.js';
import type { ApprovalTask, TaskSpec, WaitTask, WaitingTask } from '../spec/model.js';
import type { RunWait, StepInfo, TaskError, WaitAnswer } from '../store/events.js';
import { HEARTBEAT_MS } from '../store/ownership.js';
import { declaredOutputs } from './resolve.js';
import type { Scheduler } from './scheduler.js';
import type { ScopeBuilder } from './scope.js';
import type { RunSession } from './session.js';
import type { RunState } from './state.js';

/**
 * A workflow file's waits (a code run's are engine/steps/open-waits.ts): approval and wait
 * tasks, and tasks paused on failure (`on_failure: pause`). They share a code run's events,
 * commands and timers:
 *
 * - The scheduler starts a wait task like any task, but with no executor and no slot: its
 *   TaskStarted says what it waits for (StepInfo: an approval, a time, an event), which makes
 *   the task `waiting`. A task whose attempts failed pauses instead of failing (TaskPaused).
 * - A time to wait until, or a timeout, is a timer here; it fires in this process, or, once
 *   the run was let go, wherever the store's `wake` timer is fired (RunWaiting records it).
 * - An answer is recorded by whoever gives it (`baton approve`, `emit`, `resolve`, the API,
 *   MCP) as WaitAnswered, deferred: it does not end the task by itself. The driver reads it
 *   (every heartbeat while it drives the run, or when it picks the run up) and records the
 *   end with the scheduler's own events, so retries, a fallback, callbacks, continue_on_error
 *   and pause apply to a rejection or a timeout as to any failure.
 * - With nothing else to do, the run is `waiting`; with only answers to wait for, its process
 *   lets it go (graph-driver.ts), as a code run's does.
 */
export class GraphWaits {
  /** Tasks waiting here (a wait task, or a paused one); pruned of those ended otherwise (a cancel). */
  private readonly waiting = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private poller?: NodeJS.Timeout;
  private polling = false;
  /** Approvals opened since the last flush, whose `notify` is sent once they are recorded. */
  private readonly toNotify: string[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly session: RunSession,
    private readonly state: RunState,
    private readonly scopes: ScopeBuilder,
  ) {}

  /** Does the next attempt of `key` wait rather than run (an approval or wait task; never its fallback)? */
  opens(key: string): boolean {
    const node = this.state.nodes.get(key)!;
    return isWaitingTask(node.spec) && this.state.task(key).fallbackFrom === undefined;
  }

  /** Starts wait task `key`'s attempt: TaskStarted with what it waits for, then its timer. */
  open(key: string, attempt: number): void {
    const spec = this.state.nodes.get(key)!.spec as WaitingTask;
    let step: StepInfo;
    try {
      step = this.stepOf(key, spec);
    } catch (err) {
      // A prompt or time that cannot be made fails the attempt, as a template of any task does.
      this.scheduler.emit({ type: 'TaskStarted', task: key, attempt });
      return this.scheduler.fail(key, attempt, { code: errorCode(err), message: coerceError(err).message }, false);
    }
    this.scheduler.emit({ type: 'TaskStarted', task: key, attempt, step });
    if (spec.type === 'approval' && spec.notify !== undefined) this.toNotify.push(key);
    this.watch(key);
  }

  /**
   * `key`'s attempt failed and nothing more will be tried: with `on_failure: pause` (and no
   * cancel under way), it waits for a person instead of failing. True when it paused.
   */
  pauses(key: string, attempt: number, error: TaskError): boolean {
    if (this.state.nodes.get(key)!.spec.pause_on_failure !== true || this.state.cancelRequested !== undefined) return false;
    this.scheduler.emit({ type: 'TaskPaused', task: key, attempt, error });
    this.watch(key);
    return true;
  }

  /**
   * After the scheduler picked a stored run up: every wait still open is watched again (its
   * timer keeps its recorded due time), one answered meanwhile is taken up, and under a
   * cancel they all end cancelled.
   */
  resume(): void {
    for (const [key, task] of [...this.state.tasks]) {
      if (task.status !== 'waiting') continue;
      if (this.state.cancelRequested !== undefined) this.scheduler.settle(key, 'TaskCancelled', this.state.cancelRequested);
      else this.watch(key);
    }
  }

  /** Open waits, as RunWaiting records them. */
  list(): RunWait[] {
    const out: RunWait[] = [];
    for (const key of this.keys()) out.push(waitOf(this.state, key));
    return out;
  }

  /** How many waits are open. */
  get size(): number {
    return this.keys().length;
  }

  /** Only answers can end what is open (no time to wait for here): the process may let the run go. */
  get onlyAnswers(): boolean {
    return this.keys().every((key) => this.state.task(key).paused === true || this.state.nodes.get(key)!.step?.kind !== 'sleep');
  }

  /** Approvals opened since the last call (the caller sends their notifications, once recorded). */
  takeNotices(): string[] {
    return this.toNotify.splice(0);
  }

  /** A waiting run goes on: RunWoke before anything else it records. */
  wakeRun(): void {
    if (this.state.status === 'waiting') this.scheduler.emit({ type: 'RunWoke' });
  }

  /**
   * Reads answers other processes recorded since the last look, and takes up those for
   * waits open here. True when one was taken up.
   */
  async poll(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      const answered: string[] = [];
      for (const event of await this.session.foreignEvents()) {
        if (event.type !== 'WaitAnswered') continue;
        this.state.apply(event);
        if (this.waiting.has(event.task)) answered.push(event.task);
      }
      let any = false;
      for (const key of answered) any = this.take(key) || any;
      if (any) this.session.wake();
      return any;
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.stopPolling();
  }

  // ---- inside ----

  private keys(): string[] {
    for (const key of this.waiting) {
      if (this.state.task(key).status === 'waiting') continue;
      this.waiting.delete(key);
      this.clearTimer(key);
    }
    if (this.waiting.size === 0) this.stopPolling();
    return [...this.waiting];
  }

  /** Watches `key` (waiting now): its answer if one is recorded, else its timer and the answers to come. */
  private watch(key: string): void {
    this.waiting.add(key);
    if (this.take(key)) return;
    const task = this.state.task(key);
    const step = task.paused ? undefined : this.state.nodes.get(key)!.step;
    const due = step?.kind === 'sleep' ? step.until : step?.timeout_at;
    if (due !== undefined) {
      this.clearTimer(key);
      // Already due (a run picked up after its time, or its timeout): now, before the process could let the run go again.
      if (due <= this.session.now()) return this.due(key, task.attempt);
      this.timers.set(key, setTimeout(() => this.due(key, task.attempt), due - this.session.now()));
    }
    if (step?.kind !== 'sleep') this.startPolling();
  }

  /** The time `key` waited for came (a wait until a time), or its timeout did. */
  private due(key: string, attempt: number): void {
    this.timers.delete(key);
    const task = this.state.task(key);
    if (task.status !== 'waiting' || task.attempt !== attempt || task.paused) return;
    // An answer recorded in time wins over the timeout that came while it was on its way.
    if (this.take(key)) return;
    const spec = this.state.nodes.get(key)!.spec as WaitingTask;
    const step = this.state.nodes.get(key)!.step!;
    this.wakeRun();
    // When it timed out, as set (a run picked up later notices it later).
    const at = new Date(step.timeout_at ?? this.session.now()).toISOString();
    if (step.kind === 'sleep') this.succeed(key, attempt, { until: new Date(step.until!).toISOString() });
    else if (step.kind === 'approval' && step.on_timeout === 'approve') this.succeed(key, attempt, { approved: true, timed_out: true, at });
    else {
      const code = spec.type === 'approval' ? 'APPROVAL_TIMEOUT' : 'EVENT_TIMEOUT';
      const what = spec.type === 'approval' ? 'no answer to the approval' : `no event ${step.event}${step.filter === undefined ? '' : ` for which ${step.filter}`}`;
      this.scheduler.fail(key, attempt, { code, message: `${what} came before its timeout, ${at}` }, false);
    }
    this.session.wake();
  }

  /** Takes up the answer recorded for `key`, if any: records what it makes of the task. */
  private take(key: string): boolean {
    const task = this.state.task(key);
    const answer = task.answer;
    if (task.status !== 'waiting' || answer === undefined) return false;
    const step = this.state.nodes.get(key)!.step;
    const timeout = step?.timeout_at;
    // Recorded after the timeout: the timeout decides (it is taken as due now).
    if (!task.paused && timeout !== undefined && answer.at > timeout) return false;
    this.clearTimer(key);
    this.wakeRun();
    if (task.paused) this.resolve(key, answer);
    else if (step?.kind === 'approval') this.answerApproval(key, task.attempt, answer);
    else this.succeed(key, task.attempt, { event: answer.event, data: answer.data ?? null });
    this.session.wake();
    return true;
  }

  private answerApproval(key: string, attempt: number, answer: WaitAnswer & { at: number }): void {
    const by = answer.by === undefined ? '' : ` by ${answer.by}`;
    if (answer.approved === false) {
      const comment = answer.comment ? `: ${answer.comment}` : '';
      return this.scheduler.fail(key, attempt, { code: 'APPROVAL_REJECTED', message: `rejected${by}${comment}` }, false);
    }
    this.succeed(key, attempt, { approved: true, ...(answer.by ? { by: answer.by } : {}), ...(answer.comment ? { comment: answer.comment } : {}), at: new Date(answer.at).toISOString() });
  }

  /** A paused task's fate: run it again, skip it, or let it fail as it would have. */
  private resolve(key: string, answer: WaitAnswer): void {
    const task = this.state.task(key);
    const by = answer.by === undefined ? 'someone' : answer.by;
    const comment = answer.comment ? ` (${answer.comment})` : '';
    switch (answer.resolution) {
      case 'retry':
        this.scheduler.emit({ type: 'TaskReady', task: key });
        this.scheduler.requeue(key);
        return;
      case 'skip':
        return this.scheduler.settle(key, 'TaskSkipped', `skipped by ${by} after it failed${comment}: ${task.error?.message ?? ''}`);
      default:
        this.scheduler.failPaused(key, { ...task.error!, not_retried: `aborted by ${by}${comment}` });
    }
  }

  /** A wait's success: its outputs, and what its `outputs:` templates make of them. */
  private succeed(key: string, attempt: number, result: Record<string, unknown>): void {
    const spec = this.state.nodes.get(key)!.spec;
    let outputs = result;
    if (Object.keys(spec.outputs).length > 0) {
      try {
        outputs = { ...result, ...declaredOutputs(spec, this.scopes.forTask(key, undefined, { result })) };
      } catch (err) {
        return this.scheduler.fail(key, attempt, { code: errorCode(err), message: coerceError(err).message }, false);
      }
    }
    this.scheduler.succeedWait(key, attempt, outputs);
  }

  /** What the wait of `key` waits for, its templates rendered now (recorded with its TaskStarted). */
  private stepOf(key: string, spec: WaitingTask): StepInfo {
    const now = this.session.now();
    const timeout_at = spec.timeout === undefined ? undefined : now + spec.timeout;
    if (spec.type === 'approval') return approvalStep(key, spec, () => this.scopes.forTask(key), timeout_at);
    if (spec.event !== undefined) return { kind: 'event', event: spec.event, ...(spec.filter === undefined ? {} : { filter: spec.filter }), ...(timeout_at === undefined ? {} : { timeout_at }) };
    if (spec.duration !== undefined) return { kind: 'sleep', until: now + spec.duration };
    return { kind: 'sleep', until: timeOf(key, spec, () => this.scopes.forTask(key)) };
  }

  private startPolling(): void {
    if (this.poller) return;
    this.session.trackOwnEvents(true);
    this.poller = setInterval(() => void this.poll().catch(() => {}), HEARTBEAT_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (!this.poller) return;
    clearInterval(this.poller);
    this.poller = undefined;
    this.session.trackOwnEvents(false);
  }

  private clearTimer(key: string): void {
    const timer = this.timers.get(key);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(key);
  }
}

export function isWaitingTask(spec: TaskSpec): spec is WaitingTask {
  return spec.type === 'approval' || spec.type === 'wait';
}

function approvalStep(key: string, spec: ApprovalTask, scope: () => ReturnType<ScopeBuilder['forTask']>, timeout_at: number | undefined): StepInfo {
  const prompt = spec.prompt === undefined ? `approve ${key}?` : textOf(renderTemplate(spec.prompt, scope()));
  return { kind: 'approval', prompt, approvers: spec.approvers, ...(timeout_at === undefined ? {} : { timeout_at }), ...(spec.on_timeout === 'approve' ? { on_timeout: 'approve' as const } : {}) };
}

/** `until`, rendered: a time, or WAIT_BAD_TIME. */
function timeOf(key: string, spec: WaitTask, scope: () => ReturnType<ScopeBuilder['forTask']>): number {
  const text = textOf(renderTemplate(spec.until!, scope()));
  const at = Date.parse(text);
  if (Number.isNaN(at)) {
    throw Object.assign(new Error(`${key} waits until ${JSON.stringify(text)}, which is not a time: give one in ISO 8601, e.g. 2030-01-01T09:00:00Z`), { code: 'WAIT_BAD_TIME' });
  }
  return at;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One open wait of the run (a paused task, or a wait task), as RunWaiting and `baton status` show it. */
export function waitOf(state: RunState, key: string): RunWait {
  const task = state.task(key);
  if (task.paused) return { task: key, kind: 'pause', ...(task.error ? { error: { code: task.error.code, message: task.error.message } } : {}) };
  const step = state.nodes.get(key)!.step!;
  const wait: RunWait = { task: key, kind: step.kind as RunWait['kind'] };
  for (const field of ['until', 'timeout_at', 'prompt', 'approvers', 'event', 'filter'] as const) {
    if (step[field] !== undefined) (wait as unknown as Record<string, unknown>)[field] = step[field];
  }
  return wait;
}
