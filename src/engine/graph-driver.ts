import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attempts } from './attempts.js';
import { CircuitBreakers } from './circuits.js';
import { Dispatch } from './dispatch.js';
import { ResourceGate } from './resources.js';
import type { Masker } from './mask.js';
import { runEnvironment } from './run-env.js';
import { Scheduler } from './scheduler.js';
import { ScopeBuilder } from './scope.js';
import type { RunDriver, RunSession } from './session.js';
import type { RunState } from './state.js';
import type { DriveOptions } from './runner.js';
import { childRunners } from './task-extras.js';
import { GraphWaits } from './waits.js';
import { NOTICE_MS, sendApprovalNotice, type NoticeContext } from './approval-notice.js';
import { executorFor } from '../executors/registry.js';

/**
 * Drives a workflow file's run: it asks the Scheduler what to do, has the session record
 * the resulting events, and only then acts on them (starts executors, aborts them, sets
 * timers). Completions that arrive together are recorded in one append (group commit),
 * and a task's result always shares that append with whatever it makes ready.
 */
export class GraphDriver implements RunDriver {
  private readonly scheduler: Scheduler;
  /** Where attempts run: here, or (a run that workers drive) in the work queue. */
  private readonly attempts: Attempts | Dispatch;
  private readonly dispatch?: Dispatch;
  /** Attempts a worker still runs when a resumed run is picked up (Dispatch.adopt). */
  private inFlight?: Set<string>;
  /** Approval and wait tasks, and paused ones (engine/waits.ts). */
  private readonly waits: GraphWaits;
  /** Timers of the scheduler set and not yet fired (retries, time limits): the process keeps the run while any is. */
  private timersSet = 0;
  /** What an approval's `notify` needs, and the notices on their way (awaited before the run is let go). */
  private readonly notice: NoticeContext;
  private readonly notices = new Set<Promise<void>>();
  private readonly stopNotices = new AbortController();
  /** Ready tasks waiting for their pools; none when no task asks for any (engine/resources.ts). */
  private readonly gate?: ResourceGate;

  constructor(
    private readonly session: RunSession,
    readonly state: RunState,
    options: DriveOptions,
    env: ReturnType<typeof runEnvironment>,
    /** What to do first: start a new run, or pick a stored one up (leaving `inFlight` attempts running). */
    private readonly first: (scheduler: Scheduler, inFlight?: ReadonlySet<string>) => void,
  ) {
    const taskEnv = { ...env.processEnv, ...env.workflowEnv };
    const scopes = new ScopeBuilder(state, taskEnv, env.secrets);
    const concurrency = options.concurrency ?? state.plan.workflow.concurrency ?? 16;
    this.scheduler = new Scheduler(
      state,
      scopes,
      { emit: (event) => session.emit(event), now: session.now, random: options.random ?? Math.random },
      Math.max(1, concurrency),
    );
    this.waits = this.scheduler.waits = new GraphWaits(this.scheduler, session, state, scopes);
    this.notice = {
      state,
      scopes,
      notify: (options.executors?.('notify') ?? executorFor('notify')) as NoticeContext['notify'],
      logs: options.store.logs,
      taskEnv,
      ...(options.channels ? { channels: options.channels } : {}),
      ...(env.masker ? { masker: env.masker as Masker } : {}),
      scratchDir: path.join(options.scratchRoot ?? tmpdir(), `baton-${state.runId}`),
    };
    if (ResourceGate.needed(state.plan.workflow)) {
      const capacities = options.resources ?? {};
      this.gate = this.scheduler.gate = new ResourceGate({ scheduler: this.scheduler, session, pools: options.store.pools, capacities, concurrency: Math.max(1, concurrency), owner: options.owner });
    }
    const attempts = (onEnded?: (key: string) => void) => new Attempts({
      runId: state.runId,
      state,
      scheduler: this.scheduler,
      scopes,
      logs: options.store.logs,
      executors: options.executors,
      onOutput: options.onOutput,
      followAll: options.followAll,
      workflowEnv: env.workflowEnv,
      taskEnv,
      masker: env.masker as Masker | undefined,
      scratchDir: path.join(options.scratchRoot ?? tmpdir(), `baton-${state.runId}`),
      onLogFailure: (err) => {
        session.logFailure ??= err;
        session.wake();
      },
      wake: () => session.wake(),
      extras: { ...childRunners(options, state), ...(options.channels ? { channels: options.channels } : {}), ...(options.tracing ? { tracing: options.tracing } : {}) },
      circuits: { breakers: CircuitBreakers.of(options.store.circuits), ...(options.circuits ? { config: options.circuits } : {}) },
      onEnded,
    });
    if (state.workersQueue === undefined) {
      this.attempts = attempts();
      return;
    }
    // A run that workers drive: its attempts go to the work queue, or run here while the worker driving it has room.
    const slots = options.localSlots;
    const dispatch: Dispatch = new Dispatch({
      store: options.store,
      state,
      scheduler: this.scheduler,
      scopes,
      session,
      ...(slots ? { local: { slots, attempts: attempts((key) => dispatch.endedHere(key)), executors: options.executors } } : {}),
    });
    this.attempts = this.dispatch = dispatch;
  }

  async prepare(): Promise<void> {
    if (this.dispatch) this.inFlight = await this.dispatch.adopt();
  }

  begin(): void {
    this.first(this.scheduler, this.inFlight);
    this.waits.resume();
  }

  cancel(reason: string, timedOut = false, compensate = false): void {
    this.waits.wakeRun();
    if (timedOut) this.scheduler.runTimedOut = true;
    this.scheduler.cancelRun(reason, compensate);
  }

  stopAll(reason: 'cancel' | 'interrupt'): void {
    this.stopNotices.abort();
    if (this.dispatch) this.dispatch.abortAll(reason);
    else (this.attempts as Attempts).abortAll(reason);
  }

  async cleanUp(): Promise<void> {
    // A release that fails (the store is failing) leaves holds the next acquirer frees: the run has no owner by now.
    await this.gate?.close().catch(() => {});
    this.waits.close();
    // A notice on its way is sent before the process lets the run go (and may exit).
    await Promise.all(this.notices);
    await this.attempts.cleanUp();
  }

  async loop(): Promise<void> {
    const session = this.session;
    for (;;) {
      if (session.lost) return;
      if (session.interrupted) {
        // Wait for the stopped tasks' processes to be gone; what they say is not recorded.
        // Attempts a worker runs go on: the next driver awaits their results.
        if ((this.dispatch ? this.dispatch.runningHere : this.attempts.running) === 0) return;
        await session.nextWake();
        continue;
      }
      session.checkLogs();
      if (this.dispatch) await this.dispatch.collect();
      if (this.gate) await this.gate.step();
      this.scheduler.dispatch();
      const { launch, abort, timers } = this.scheduler.effects;
      const toLaunch = launch.length > 0 ? launch.splice(0) : NOTHING;
      const toAbort = abort.length > 0 ? abort.splice(0) : NOTHING;
      const toTime = timers.length > 0 ? timers.splice(0) : NOTHING;
      // Attempts for workers are written with their TaskStarted, in the flush below.
      if (this.dispatch) for (const key of toLaunch) this.dispatch.launch(key);
      // A long decision (a large loop expanding) is not followed at once by its long append.
      await session.breathe();
      // Decisions are recorded before they are acted on: a crash can lose an action, never a record.
      if (session.unflushed > 0) await session.flush();
      if (session.interrupted) continue;
      if (this.dispatch) this.dispatch.startHere();
      else for (const key of toLaunch) this.attempts.launch(key);
      for (const key of this.waits.takeNotices()) this.sendNotice(key);
      for (const { key, reason } of toAbort) this.attempts.abort(key, reason);
      for (const timer of toTime) {
        const onDue =
          timer.kind === 'retry' ? () => this.scheduler.retryDue(timer.key) : timer.kind === 'deadline' ? () => this.scheduler.deadlinePassed(timer.key) : () => this.scheduler.compositeTimedOut(timer.key);
        this.timersSet++;
        session.setTimer(timer.at - session.now(), () => {
          this.timersSet--;
          this.waits.wakeRun();
          onDue();
        });
      }
      const compensating = this.state.compensation;
      if (this.scheduler.finishIfDone()) return session.flush();
      // The run was to end, and its compensation began instead: its first task is ready.
      if (this.state.compensation !== compensating) continue;
      if (this.waits.size > 0 && (await this.waitOrLetGo())) return;
      if (this.attempts.running === 0 && session.pendingTimers === 0 && !this.scheduler.hasReady() && !session.woken && !this.gate?.waiting && this.waits.size === 0) {
        this.stuck();
        return session.flush();
      }
      // Woken while busy (a task that ended at once, say): go round again without a
      // round trip through the microtask queue; the flush above is where the loop yields.
      if (!session.takeSignal()) await session.nextWake();
      await session.breathe();
    }
  }

  /**
   * Nothing runs or is about to, and waits are open: the run is waiting (RunWaiting). With
   * only answers to wait for and no timer of this process to come, the process lets the run
   * go (true), as a code run's does: `baton approve`, `emit`, `resolve`, or a server firing
   * the store's timers, continue it. With a time to wait for, it stays and sleeps.
   */
  private async waitOrLetGo(): Promise<boolean> {
    const session = this.session;
    if (this.attempts.running > 0 || this.scheduler.hasReady() || session.woken || this.gate?.waiting || session.unflushed > 0) return false;
    if (this.state.status !== 'running' && this.state.status !== 'waiting') return false;
    // A retry is coming: the run is not waiting, only pausing between attempts.
    for (const task of this.state.tasks.values()) if (task.status === 'retrying') return false;
    if (this.state.status !== 'waiting') {
      session.emit({ type: 'RunWaiting', waits: this.waits.list() });
      await session.flush();
    }
    if (!this.waits.onlyAnswers || this.timersSet > 0 || session.stopping) return false;
    // An answer recorded just before the process lets go is taken up, not missed.
    return !(await this.waits.poll());
  }

  /** Tells an approval's `notify` that it waits, now that its TaskStarted is recorded (approval-notice.ts). */
  private sendNotice(key: string): void {
    const sent: Promise<void> = sendApprovalNotice(this.notice, key, AbortSignal.any([this.stopNotices.signal, AbortSignal.timeout(NOTICE_MS)])).finally(() => this.notices.delete(sent));
    this.notices.add(sent);
  }

  /** Nothing runs, nothing waits, yet tasks are open: a bug, reported rather than hung on. */
  private stuck(): void {
    const open = [...this.state.tasks].filter(([, t]) => t.status === 'pending' || t.status === 'ready').map(([k]) => k);
    this.session.emit({
      type: 'RunFailed',
      error: { code: 'ENGINE_STUCK', message: `no task can start; still open: ${open.slice(0, 10).join(', ')}` },
    });
  }
}

const NOTHING: never[] = [];
