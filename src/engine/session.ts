import type { RunEvent, StoredEvent, TimedEvent } from '../store/events.js';
import { expansionSize } from '../store/expansion.js';
import { queueFields } from '../store/queue.js';
import type { Admission } from './admission.js';
import { LEASE_MS, type AppendOptions, type RunRecord } from '../store/store.js';
import type { WorkItem } from '../store/work.js';
import type { OutboxItem } from '../store/outbox.js';
import type { RunKey } from '../store/idempotency.js';
import { formatMs } from './attempts.js';
import { EngineError } from './errors.js';
import { startHeartbeat } from './heartbeat.js';
import type { Masker } from './mask.js';
import type { DriveOptions } from './runner.js';
import type { RunState } from './state.js';
import { namespaceOf } from '../store/events.js';
import { errorCode } from '../observability/errors.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';

/**
 * What decides what a run does next: the graph driver for a workflow file
 * (engine/graph-driver.ts), the step driver for code (engine/steps/driver.ts). The session
 * calls it; it records through the session.
 */
export interface RunDriver {
  /** What must be read before the first decisions (a run that workers drive: what they still run); optional. */
  prepare?(): Promise<void>;
  /** The first decisions of a new run, or picking a stored one up (after RunResumed/RunReopened). */
  begin(): void;
  /** Drives the run until it ended, must stop (session.stopping), or waits with nothing to do here. */
  loop(): Promise<void>;
  /** Cancels the run: Ctrl-C, `baton cancel` (`compensate`: its succeeded tasks undone first), or its time limit (`timedOut`). */
  cancel(reason: string, timedOut?: boolean, compensate?: boolean): void;
  /**
   * Stops everything running. `interrupt`: the run is left as it is, nothing they say is
   * recorded; `cancel`: the store failed or another process took the run over.
   */
  stopAll(reason: 'cancel' | 'interrupt'): void;
  /** After the drive, whatever it ended like (scratch folders, sockets). */
  cleanUp(): Promise<void>;
}

/**
 * What every run needs whoever decides its steps: recording (stamp, mask, outbox, group
 * commit in slices), the owner's heartbeat and what it sees (a cancel request, a takeover),
 * Ctrl-C and SIGTERM, the run's time limit, store and log failures, the wake-up the loop
 * sleeps on, and letting go of the run at the end.
 */
export class RunSession {
  readonly runId: string;
  readonly now: () => number;
  private outbox: TimedEvent[] = [];
  /** Work items to write, and the run's items to take out, with the next append (engine/dispatch.ts). */
  private toEnqueue: WorkItem[] = [];
  private toConsume: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private signalled = false;
  private waiter?: () => void;
  private stopHeartbeat?: () => void;
  /** Task output could not be stored (a full disk, say): the run stops as if the store had failed. */
  logFailure?: unknown;
  /** Another process took the run over: stop without recording anything more. */
  lost?: RunRecord['owner'];
  /** The fence of this process's claim on the run (DriveOptions.fence), named by every append. */
  private fence?: number;
  /** What the drive does when the run is taken over: stop its tasks (set by drive()). */
  private onLost?: () => void;
  /** options.interrupt fired: stop the tasks, record nothing more (see DriveOptions.interrupt). */
  interrupted = false;
  /** When the loop last let the event loop run timers, signals and I/O (see breathe). */
  private lastBreath = performance.now();

  constructor(
    readonly state: RunState,
    readonly options: DriveOptions,
    /** Hides the workflow's secrets in what is recorded and shown; none when it has none. */
    readonly masker?: Masker,
  ) {
    this.runId = state.runId;
    this.now = options.now ?? Date.now;
    this.seenSeq = state.lastSeq;
    this.fence = options.fence;
  }

  /**
   * Records a new run with its RunCreated (already applied to the state), and with what
   * `admission` decides in the same transaction (RunQueued, or RunCancelled: skipped). With
   * `key`, a KeyHeldError when another run holds it (nothing recorded).
   */
  async create(created: TimedEvent, admission?: Admission, key?: RunKey): Promise<void> {
    const owner = this.options.owner;
    const run = { id: this.runId, workflow: this.state.plan.workflow.name, created_at: created.at, ...(owner ? { owner } : {}), ...(key ? { idempotency: key } : {}) };
    const ask = created.type === 'RunCreated' ? created.admission : undefined;
    // The new run as the store records it: held by its owner's first claim, when it has one.
    const claim = owner ? { heartbeat_at: created.at, lease_until: created.at + LEASE_MS, fence: 1 } : {};
    const record: RunRecord = { ...run, ...claim, namespace: namespaceOf(created), status: 'pending', updated_at: created.at, ...queueFields(ask) };
    const decide = admission && ask ? admission.decide(record, ask) : undefined;
    const stored = await this.options.store.runs.createRun(run, [created], decide);
    // A run created with its owner is held by that owner's first claim.
    if (owner) this.fence = 1;
    for (const event of stored.slice(1)) this.state.apply(event);
    this.notifyEvents(stored);
  }

  /** A run recorded queued: waits for its turn (Admission.wait), and folds in what came of it. */
  async awaitTurn(admission: Admission): Promise<void> {
    if (admission.wait === undefined) return;
    const events = await this.options.store.runs.readEvents(this.runId);
    const queued = events.findLast((event) => event.type === 'RunQueued');
    if (queued?.type !== 'RunQueued') return;
    const { signal, interrupt, owner } = this.options;
    const turn = { store: this.options.store, runId: this.runId, afterSeq: events[events.length - 1].seq, queued, ...(owner ? { owner } : {}), ...(signal ? { signal } : {}), ...(interrupt ? { interrupt } : {}) };
    const came = await admission.wait(turn);
    for (const event of came) this.state.apply(event);
    this.notifyEvents(came);
  }

  /** The drive stops here: interrupted, taken over, or its output cannot be stored. */
  get stopping(): boolean {
    return this.interrupted || this.lost !== undefined;
  }

  /**
   * Drives the run with `driver` until it ends or must stop, then lets go of it. Fails with
   * RUN_TAKEN_OVER or RUN_INTERRUPTED when it stopped for those, and with the store's
   * error when recording failed (the run stays unfinished, to be resumed).
   */
  async drive(driver: RunDriver): Promise<void> {
    const onAbort = () => this.cancel(driver, 'cancelled by the user');
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    const onInterrupt = () => {
      this.interrupted = true;
      driver.stopAll('interrupt');
      this.wake();
    };
    this.options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    const limit = this.state.plan.workflow.timeout;
    if (limit !== undefined) {
      const since = this.state.activeSince ?? this.now();
      this.setTimer(since + limit - this.now(), () => driver.cancel(`the run timed out after ${formatMs(limit)}`, true));
    }
    this.startHeartbeat(driver);
    try {
      if (this.options.signal?.aborted) driver.cancel('cancelled by the user');
      if (this.options.interrupt?.aborted) onInterrupt();
      // Only a driver that must read first waits here: the others begin in the same tick, as before.
      if (driver.prepare) await driver.prepare();
      driver.begin();
      await driver.loop();
    } catch (err) {
      // The store failed (disk full, say): stop the tasks, whose results could not be
      // recorded anyway. The run stays unfinished, and shows as interrupted once this
      // process lets go of it, to be resumed when the cause is fixed.
      driver.stopAll('cancel');
      throw err;
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
      this.options.interrupt?.removeEventListener('abort', onInterrupt);
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.stopHeartbeat?.();
      if (this.options.owner && !this.lost) await this.options.store.runs.releaseRun(this.runId, this.options.owner).catch(() => {});
      await driver.cleanUp();
    }
    if (this.lost) {
      const by = this.lost;
      throw new EngineError('RUN_TAKEN_OVER', `run ${this.runId} was taken over by pid ${by.pid} on ${by.host}; this process stopped driving it`, {
        details: { run: this.runId },
      });
    }
    if (this.interrupted) {
      throw new EngineError('RUN_INTERRUPTED', `run ${this.runId} was stopped before it ended and is left interrupted: go on with \`baton resume ${this.runId}\``, {
        details: { run: this.runId },
      });
    }
    // The run ended here: its trace is sent from its log (observability/tracing/), by this
    // process whoever drove it before. A run let go while it waits is sent by whoever ends it.
    if (this.options.tracing && FINISHED_RUN_STATUSES.has(this.state.status)) await this.options.tracing.ended(this.options.store, this.runId);
  }

  private cancel(driver: RunDriver, reason: string, compensate = false): void {
    driver.cancel(reason, false, compensate);
    this.wake();
  }

  private startHeartbeat(driver: RunDriver): void {
    this.onLost = () => driver.stopAll('cancel');
    const owner = this.options.owner;
    if (!owner) return;
    this.stopHeartbeat = startHeartbeat(this.options.store, this.runId, owner, this.now, {
      lost: (by) => this.takenOver(by),
      cancelRequested: (reason, compensate) => {
        if (this.state.cancelRequested === undefined) this.cancel(driver, reason, compensate);
      },
    }, this.options.leaseMs);
  }

  /** Another process holds the run now: stop its tasks and record nothing more. */
  private takenOver(by: NonNullable<RunRecord['owner']>): void {
    if (this.lost) return;
    this.lost = by;
    this.outbox = [];
    this.toEnqueue = [];
    this.toConsume = [];
    this.onLost?.();
    this.wake();
  }

  /** Throws what went wrong writing task output, if anything did. */
  checkLogs(): void {
    if (this.logFailure !== undefined) throw this.logFailure;
  }

  /**
   * Lets timers, signals and I/O in (heartbeat, `baton cancel`, Ctrl-C) at least every
   * BREATH_MS. Appends to SQLite and tasks that end at once (noop) resolve as microtasks,
   * so without this a long run of them would hold the event loop until the run ended.
   */
  async breathe(): Promise<void> {
    if (performance.now() - this.lastBreath < BREATH_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastBreath = performance.now();
  }

  setTimer(delay: number, fire: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fire();
      this.wake();
    }, Math.max(0, delay));
    this.timers.add(timer);
  }

  /** Timers set and not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  stamp(event: RunEvent): TimedEvent {
    (event as TimedEvent).at = this.now();
    return event as TimedEvent;
  }

  /** Decides `event`: stamped, masked, folded into the state, queued for the next flush. */
  emit(event: RunEvent): void {
    const timed = this.stamp(this.masker ? this.masker.deep(event) : event);
    this.state.apply(timed);
    this.outbox.push(timed);
  }

  get unflushed(): number {
    return this.outbox.length + this.toEnqueue.length + this.toConsume.length;
  }

  /** A work item for workers, written with the events of the next flush (with the TaskStarted it follows). */
  enqueue(item: WorkItem): void {
    this.toEnqueue.push(item);
  }

  /** One of the run's work items, taken out with the events of the next flush (those recording its result). */
  consume(id: number): void {
    this.toConsume.push(id);
  }

  /**
   * Appends what was decided. A big outbox (a large loop that expanded, or cancelled, at
   * once) goes in slices of about FLUSH_ROWS rows, with a breath between, so no single
   * append holds the event loop long. A slice may end between a task's result and what it
   * made ready: a crash there leaves those tasks pending, and a resume decides them again.
   */
  async flush(): Promise<void> {
    while (this.unflushed > 0 && !this.stopping) {
      const events = this.outbox;
      this.outbox = [];
      let from = 0;
      do {
        let to = from;
        for (let rows = 0; to < events.length && rows < FLUSH_ROWS; to++) rows += rowsOf(events[to]);
        const batch = from === 0 && to === events.length ? events : events.slice(from, to);
        // Work items go with the last slice: after every TaskStarted they follow, with every result they end.
        const last = to >= events.length;
        // Only a drive that notifies looks for a run end in what it appends: the others append at once.
        const options = this.options.notices === undefined ? this.appendOptions(last) : await this.withNotices(batch, this.appendOptions(last));
        let stored: StoredEvent[];
        try {
          stored = await this.options.store.runs.append(this.runId, batch, options);
        } catch (err) {
          // The store refused the append: another process claimed the run since (this one
          // stopped past its lease, say). Nothing of it was recorded; the new owner goes on.
          if (errorCode(err) !== 'STORE_LEASE_LOST') throw err;
          const holder = (await this.options.store.runs.getRun(this.runId).catch(() => undefined))?.owner;
          return this.takenOver(holder ?? { host: 'another host', pid: 0, started_at: 0 });
        }
        this.notifyEvents(stored);
        from = to;
        if (from < events.length) {
          await this.breathe();
          if (this.stopping) return;
        }
      } while (from < events.length);
    }
  }

  /** What an append names besides its events: the claim's fence, and (on the last slice) the work items. */
  private appendOptions(withWork: boolean): AppendOptions | undefined {
    const options: AppendOptions = {};
    if (this.fence !== undefined) options.fence = this.fence;
    if (withWork && this.toEnqueue.length > 0) {
      options.enqueue = this.toEnqueue;
      this.toEnqueue = [];
    }
    if (withWork && this.toConsume.length > 0) {
      options.consume = this.toConsume;
      this.toConsume = [];
    }
    return options.fence === undefined && options.enqueue === undefined && options.consume === undefined ? undefined : options;
  }

  /**
   * The notifications a run end in `batch` causes (DriveOptions.notices), written with it.
   * Deciding them never fails the run: a rule that cannot be evaluated is reported and skipped.
   */
  private async withNotices(batch: TimedEvent[], options: AppendOptions | undefined): Promise<AppendOptions | undefined> {
    const make = this.options.notices;
    if (make === undefined) return options;
    const end = batch.findLast((event) => event.type === 'RunSucceeded' || event.type === 'RunFailed' || event.type === 'RunCancelled');
    if (end === undefined) return options;
    let notices: OutboxItem[];
    try {
      notices = await make(end, this.state, this.options.store);
    } catch (err) {
      process.stderr.write(`baton: the notifications of run ${this.runId} could not be decided: ${err instanceof Error ? err.message : String(err)}\n`);
      return options;
    }
    return notices.length === 0 ? options : { ...options, notices };
  }

  /** Highest sequence number this session appended or read; where foreignEvents reads from. */
  private seenSeq: number;
  /** While tracked (answers awaited), the sequence numbers this session appended past seenSeq. */
  private ownSeqs?: Set<number>;

  trackOwnEvents(on: boolean): void {
    this.ownSeqs = on ? (this.ownSeqs ?? new Set()) : undefined;
  }

  /**
   * Events of the run that another process appended since this session last looked (an
   * answer to a wait, recorded by `baton approve`), in order.
   */
  async foreignEvents(): Promise<StoredEvent[]> {
    const events = await this.options.store.runs.readEvents(this.runId, this.seenSeq);
    const own = this.ownSeqs;
    const foreign = events.filter((event) => !own?.has(event.seq));
    if (events.length > 0) this.seenSeq = events[events.length - 1].seq;
    if (own) for (const seq of own) if (seq <= this.seenSeq) own.delete(seq);
    return foreign;
  }

  private notifyEvents(events: StoredEvent[]): void {
    if (events.length > 0) {
      const last = events[events.length - 1].seq;
      if (this.ownSeqs) for (const event of events) this.ownSeqs.add(event.seq);
      else if (last > this.seenSeq) this.seenSeq = last;
    }
    const onEvent = this.options.onEvent;
    if (onEvent) for (const event of events) onEvent(event, this.state);
  }

  /** Something happened that the loop must look at. */
  wake(): void {
    this.signalled = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Woken since the loop last looked (and clears it). */
  takeSignal(): boolean {
    const was = this.signalled;
    this.signalled = false;
    return was;
  }

  get woken(): boolean {
    return this.signalled;
  }

  nextWake(): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        this.signalled = false;
        resolve();
      };
    });
  }
}

/** Longest stretch the run loop keeps the event loop to itself. */
const BREATH_MS = 50;
/** Rows (events, and tasks they add) per append when the outbox is big. */
const FLUSH_ROWS = 2_000;

/** What an event weighs in an append: a loop's expansion adds a task row per iteration. */
function rowsOf(event: TimedEvent): number {
  return event.type === 'TaskExpanded' ? 1 + expansionSize(event) : 1;
}
