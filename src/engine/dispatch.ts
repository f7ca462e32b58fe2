/**
 * The driver's half of a run that workers drive (docs/decisions/0019-postgres.md). It
 * stands where Attempts stands for a run whose tasks run here: an attempt the scheduler
 * starts becomes a work item, written with its TaskStarted (RunSession.enqueue), for a
 * worker to run; results come back as items a worker completed, which the driver records
 * (declared outputs evaluated here, as for an attempt run here) and takes out of the queue
 * in the same append (RunSession.consume).
 *
 * The exception is an attempt of a queue the driving worker serves while that worker has a
 * free slot (LocalSlots): it runs here, as in `baton run`, without a work item: the round
 * trips of the queue (a notification, a claim, a completion, a read of results) are saved,
 * which is most of a short task's time. Like Temporal's eager activities. If the driver dies
 * meanwhile, the run's next driver finds the attempt running with no item, and runs it again.
 *
 * An item whose claim ran out (its worker died, stopped, or lost the database) is `lost`:
 * the attempt is recorded as interrupted and the task runs again as a new attempt, with a
 * new item. An item that no longer matches a running attempt (the task was cancelled or
 * timed out meanwhile) is taken out: its worker's next renewal finds it gone and stops it.
 */
import { executorFor } from '../executors/registry.js';
import type { LeafTask } from '../spec/model.js';
import type { Store } from '../store/store.js';
import { DEFAULT_QUEUE, type WorkRecord } from '../store/work.js';
import { ResultsWatch } from './results-watch.js';
import { recordWorkerProgress } from './progress-recorder.js';
import { deadlineError, recordSuccess, timeoutError, type AbortReason, type Attempts } from './attempts.js';
import type { Scheduler } from './scheduler.js';
import type { ScopeBuilder } from './scope.js';
import type { RunSession } from './session.js';
import type { RunState } from './state.js';


/** The free slots of the worker driving a run (runs/worker.ts), shared by every run it drives. */
export interface LocalSlots {
  /** The queues the worker serves. */
  readonly queues: readonly string[];
  /** Takes a slot if one is free; false when the worker is full (or stopping). */
  take(): boolean;
  /** An attempt that took a slot ended. */
  give(): void;
}

export interface DispatchContext {
  store: Store;
  state: RunState;
  scheduler: Scheduler;
  scopes: ScopeBuilder;
  session: RunSession;
  /** Attempts that run here (LocalSlots), with the slots they take; none: all go to the work queue. */
  local?: { slots: LocalSlots; attempts: Attempts; executors?: (type: LeafTask['type']) => { runNow?: unknown } };
}

export class Dispatch {
  /** Attempts a worker runs (or will): task -> attempt. */
  private readonly inFlight = new Map<string, number>();
  /** Attempts that run here (in `local`): those launched and not yet started, then started. */
  private readonly toStart: Array<{ key: string; slot: boolean }> = [];
  /** Attempts running here: task -> whether it holds one of the worker's slots. */
  private readonly here = new Map<string, boolean>();
  /** Results and lost claims of the items, as workers record them. */
  private readonly watch: ResultsWatch;

  constructor(private readonly run: DispatchContext) {
    this.watch = new ResultsWatch(run.store, run.state.runId, () => run.session.wake(), () => this.inFlight.size > 0);
  }

  get running(): number {
    return this.inFlight.size + (this.run.local?.attempts.running ?? 0);
  }

  /** Attempts running here: what an interrupted drive waits for before it returns. */
  get runningHere(): number {
    return this.run.local?.attempts.running ?? 0;
  }

  /**
   * Before a resumed run goes on: the attempts its items say a worker still runs (or will)
   * stay running, and their results are awaited; the others were lost with the previous driver.
   */
  async adopt(): Promise<Set<string>> {
    const { state } = this.run;
    this.watch.looked();
    // A run with no running task (a new one) has no items yet: no need to look.
    if (![...state.tasks.values()].some((task) => task.status === 'running')) return new Set();
    for (const item of await this.run.store.work.ofRun(state.runId)) {
      const task = state.tasks.get(item.task);
      if (task?.status === 'running' && task.attempt === item.attempt && !item.lost) this.inFlight.set(item.task, item.attempt);
    }
    if (this.inFlight.size > 0) {
      // Some may have ended already: their results are read at the first look.
      this.watch.poke();
      this.watch.start();
    }
    return new Set(this.inFlight.keys());
  }

  /**
   * The attempt the scheduler just started goes to the work queue, with its TaskStarted; or,
   * when it can run here, waits for startHere() once its TaskStarted is recorded.
   */
  launch(key: string): void {
    const { state, session } = this.run;
    const spec = state.attemptSpec(key);
    const queue = spec.queue ?? state.plan.workflow.queue ?? state.workersQueue ?? DEFAULT_QUEUE;
    const here = this.runsHere(spec, queue);
    if (here !== undefined) {
      this.toStart.push({ key, slot: here === 'slot' });
      return;
    }
    const attempt = state.task(key).attempt;
    this.inFlight.set(key, attempt);
    session.enqueue({ run_id: state.runId, task: key, attempt, queue, namespace: state.namespace });
    this.watch.start();
  }

  /** Starts the attempts launch() kept here, now that they are recorded as started. */
  startHere(): void {
    const local = this.run.local;
    if (local === undefined) return;
    for (const { key, slot } of this.toStart.splice(0)) {
      this.here.set(key, slot);
      local.attempts.launch(key);
    }
  }

  /** An attempt that ran here ended (Attempts' settle): its slot goes back. */
  endedHere(key: string): void {
    const slot = this.here.get(key);
    this.here.delete(key);
    if (slot) this.run.local!.slots.give();
  }

  /**
   * An attempt runs here when the worker serves its queue and has a slot free (`slot`); one
   * that ends at once (noop) takes no slot (`now`), and never waits for a worker. Undefined:
   * it goes to the work queue.
   */
  private runsHere(spec: LeafTask, queue: string): 'slot' | 'now' | undefined {
    const local = this.run.local;
    if (local === undefined || !local.slots.queues.includes(queue)) return undefined;
    let endsAtOnce = false;
    try {
      endsAtOnce = (local.executors ?? executorFor)(spec.type).runNow !== undefined;
    } catch {
      // An unknown type fails when it runs, here as anywhere.
    }
    if (endsAtOnce) return 'now';
    return local.slots.take() ? 'slot' : undefined;
  }

  /** Stops an attempt (a cancel, or its time limits as the driver counts them): recorded here; its item goes at the next look. */
  abort(key: string, reason: AbortReason): void {
    if (this.here.has(key)) return this.run.local!.attempts.abort(key, reason);
    const attempt = this.inFlight.get(key);
    if (attempt === undefined) return;
    this.inFlight.delete(key);
    const { scheduler, state } = this.run;
    const spec = state.attemptSpec(key);
    if (reason === 'timeout') scheduler.failAttempt(key, attempt, timeoutError(key, spec), true);
    else if (reason === 'deadline') scheduler.failAttempt(key, attempt, deadlineError(key, spec), false);
    else scheduler.cancelAttempt(key, attempt, state.cancelRequested ?? 'cancelled');
    this.watch.poke();
    this.run.session.wake();
  }

  /**
   * The drive stops. `interrupt`: the items stay, for the next driver to adopt. `cancel`
   * (the store failed, or the run was taken over): likewise, nothing more can be recorded.
   * Attempts running here are stopped either way; what they say is not recorded.
   */
  abortAll(reason: 'cancel' | 'interrupt'): void {
    this.watch.close();
    this.run.local?.attempts.abortAll(reason);
  }

  async cleanUp(): Promise<void> {
    this.watch.close();
    await this.run.local?.attempts.cleanUp();
  }

  /**
   * Records what came back since the last look: the results of the run's items when a
   * worker woke the driver, and, every LOST_CHECK_MS, lost claims and items of attempts no
   * longer running (taken out). Cheap when nothing woke it.
   */
  async collect(): Promise<void> {
    const items = await this.watch.take();
    if (items === undefined) return;
    const { scheduler, scopes, session } = this.run;
    for (const item of items) {
      const attempt = this.inFlight.get(item.task);
      if (attempt !== item.attempt) {
        session.consume(item.id);
        continue;
      }
      if (item.state === 'done') {
        this.inFlight.delete(item.task);
        session.consume(item.id);
        this.record(item, scheduler, scopes);
      } else if (item.lost) {
        this.inFlight.delete(item.task);
        session.consume(item.id);
        scheduler.interrupt(item.task, item.attempt);
      } else recordWorkerProgress(this.run.state, (event) => scheduler.emit(event), item.task, item.attempt, item.progress);
    }
  }

  private record(item: WorkRecord, scheduler: Scheduler, scopes: ScopeBuilder): void {
    const result = item.result!;
    // Its last progress before its end.
    recordWorkerProgress(this.run.state, (event) => scheduler.emit(event), item.task, item.attempt, result.progress ?? item.progress);
    for (const change of result.circuit_changes ?? []) scheduler.emit({ type: 'CircuitChanged', task: item.task, attempt: item.attempt, ...change });
    if (!result.ok) return scheduler.failAttempt(item.task, item.attempt, result.error, result.retryable);
    const spec = this.run.state.attemptSpec(item.task);
    recordSuccess(scheduler, scopes, item.task, item.attempt, spec, { outputs: result.outputs, ...(result.exit_code === undefined ? {} : { exit_code: result.exit_code }) });
  }

}
