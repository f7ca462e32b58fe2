/**
 * A worker (`baton worker`, docs/postgres.md): one process among any number, on any number
 * of machines, sharing a store. It does two jobs, both claimed from the store so that
 * each piece of work has exactly one holder at a time:
 *
 * - drives runs that workers drive (RunStore.claimNextRun): the run's decisions, as
 *   `baton run` makes them, with its tasks sent to the work queue (engine/dispatch.ts); a
 *   run whose driver died is claimed again once its lease runs out, and goes on here;
 * - runs work items (WorkQueue.claim): up to `concurrency` attempts at once, claimed in
 *   batches as slots free up, their results completed in batches (one round trip for many),
 *   their leases renewed together; an item whose lease it lost (it stopped past it, the
 *   database was unreachable) is stopped and its result dropped.
 *
 * It sleeps on the store's notifications (PostgreSQL LISTEN/NOTIFY) when idle, with a
 * poll as the fallback. `stop()` (SIGTERM) stops claiming, stops what runs, gives its
 * items back to the queue and its runs up (for another worker to take at once), and
 * leaves the list of workers.
 */
import { hostname } from 'node:os';
import type { LocalSlots } from '../engine/dispatch.js';
import type { DriveOptions } from '../engine/runner.js';
import { continueStoredRun } from '../engine/resume.js';
import { WorkRunner } from '../engine/work-runner.js';
import { errorCode } from '../observability/errors.js';
import { currentOwner } from '../store/ownership.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';
import type { ClaimedWork, WorkClaim, WorkProgress, WorkResult } from '../store/work.js';

export interface WorkerOptions {
  store: Store;
  /** Unique among live workers; default `<host>-<pid>`. */
  name?: string;
  /** The queues it takes work and runs from; default [`default`]. */
  queues?: readonly string[];
  /** Only runs and work of these namespaces; default all. */
  namespaces?: readonly string[];
  /** Attempts run at once; default 16. */
  concurrency?: number;
  /** Runs driven at once; default 64. */
  maxDriving?: number;
  /** How long a claim (of a run or an item) holds without renewal; default 30 s. */
  leaseMs?: number;
  /** What the drives of code runs and skill tasks need (runs/drive-options.ts), and the environment tasks start from. */
  drive?: Pick<DriveOptions, 'programs' | 'loadCode' | 'skills' | 'resources' | 'processEnv' | 'executors' | 'channels' | 'circuits' | 'tracing'>;
  /** A line for the worker's log (stderr). */
  log?: (line: string) => void;
}

/** Longest sleep while idle: the poll behind the notifications. */
const IDLE_POLL_MS = 1_000;
/** While busy, how often the worker looks for runs to drive. */
const RUN_LOOK_MS = 250;
/** How often the worker reports itself (WorkQueue.beat). */
const BEAT_MS = 2_000;
/**
 * Results are sent once the attempts that end in the same turn of the event loop have
 * joined them (or at COMPLETE_BATCH of them); those that end while a completion is on its
 * way go together in the next one, so under load the batches grow by themselves.
 */
const COMPLETE_DELAY_MS = 0;
const COMPLETE_BATCH = 256;

interface Running {
  claim: ClaimedWork;
  controller: AbortController;
}

export class Worker {
  readonly name: string;
  readonly queues: readonly string[];
  private readonly concurrency: number;
  private readonly maxDriving: number;
  private readonly leaseMs: number;
  private readonly owner: RunOwner;
  private readonly runner: WorkRunner;
  private readonly running = new Map<number, Running>();
  /** Attempts of the runs it drives that run here, in its slots (engine/dispatch.ts LocalSlots). */
  private runningHere = 0;
  private readonly slots: LocalSlots;
  private readonly driving = new Map<string, Promise<void>>();
  private readonly results: Array<WorkClaim & { result: WorkResult }> = [];
  private completing?: Promise<void>;
  private completeTimer?: NodeJS.Timeout;
  private readonly stopping = new AbortController();
  /** Stops the drives without ending their runs: they are left for another worker. */
  private readonly interrupt = new AbortController();
  private wake?: () => void;
  private readonly timers: NodeJS.Timeout[] = [];
  private loop?: Promise<void>;
  private readonly startedAt = Date.now();
  private readonly log: (line: string) => void;

  constructor(private readonly options: WorkerOptions) {
    this.owner = currentOwner();
    this.name = options.name ?? `${hostname()}-${process.pid}`;
    this.queues = options.queues?.length ? options.queues : ['default'];
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.maxDriving = Math.max(1, options.maxDriving ?? 64);
    this.leaseMs = Math.max(100, options.leaseMs ?? 30_000);
    this.log = options.log ?? (() => {});
    const { executors, processEnv, programs, loadCode, skills, channels, circuits, tracing } = options.drive ?? {};
    // Child runs of the tasks it runs are driven here, inside their attempts, with this worker as their owner.
    this.runner = new WorkRunner({ store: options.store, owner: this.owner, executors, processEnv, programs, loadCode, skills, channels, circuits, tracing, leaseMs: this.leaseMs });
    this.slots = {
      queues: this.queues,
      take: () => {
        if (this.stopping.signal.aborted || this.running.size + this.runningHere >= this.concurrency) return false;
        this.runningHere++;
        return true;
      },
      give: () => {
        this.runningHere--;
        this.wake?.();
      },
    };
  }

  /** Starts taking work; resolves once the worker has reported itself. */
  async start(): Promise<void> {
    await this.beat();
    // Subscribed to the store's notifications before the first look for work: a run
    // submitted between that look and a subscription made later would wait for the poll.
    await this.options.store.work.waitForWork(this.queues, { timeoutMs: 0 });
    const every = (ms: number, fn: () => Promise<unknown>) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        void fn()
          .catch((err: unknown) => this.log(`${errorCode(err)}: ${(err as Error).message ?? String(err)}`))
          .finally(() => (busy = false));
      }, ms);
      this.timers.push(timer);
    };
    every(BEAT_MS, () => this.beat());
    every(Math.max(50, Math.floor(this.leaseMs / 3)), () => this.extend());
    this.loop = this.run();
  }

  /** Resolves when the worker has stopped (after stop()). */
  async done(): Promise<void> {
    await this.loop;
  }

  /**
   * Stops: no more claims; running attempts are stopped and their items given back; runs
   * being driven are let go, as they are, for another worker.
   */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return this.done();
    this.stopping.abort();
    this.wake?.();
    for (const timer of this.timers) clearInterval(timer);
    const given = [...this.running.values()].map(({ claim }) => ({ id: claim.id, fence: claim.fence }));
    for (const { controller } of this.running.values()) controller.abort('interrupt');
    this.interrupt.abort();
    await this.loop;
    await Promise.allSettled(this.driving.values());
    await this.flushResults();
    await this.options.store.work.release(this.name, given).catch(() => {});
    await this.options.store.work.retire(this.name).catch(() => {});
    this.runner.close();
  }

  private async run(): Promise<void> {
    const { store } = this.options;
    let failures = 0;
    // Runs are looked for after every sleep (a notification may have been a new run), and
    // while busy with work at most every RUN_LOOK_MS: not one more round trip per batch.
    let lookForRuns = true;
    let lastRunLook = 0;
    while (!this.stopping.signal.aborted) {
      let found = false;
      try {
        if (lookForRuns || Date.now() - lastRunLook >= RUN_LOOK_MS) {
          lastRunLook = Date.now();
          found = (await this.claimRuns()) || found;
        }
        lookForRuns = false;
        found = (await this.claimWork()) || found;
        failures = 0;
      } catch (err) {
        // The store is unreachable (a restart): back off, then try again.
        failures++;
        this.log(`cannot claim work (${errorCode(err)}); trying again`);
        await this.sleep(Math.min(100 * 2 ** failures, 5_000));
        continue;
      }
      if (found) continue;
      // Idle, or every slot taken: sleep until work may be there, a slot frees, or the poll.
      const slotFreed = new Promise<false>((resolve) => (this.wake = () => resolve(false)));
      const done = new AbortController();
      const notified = store.work
        .waitForWork(this.queues, { timeoutMs: IDLE_POLL_MS, signal: AbortSignal.any([this.stopping.signal, done.signal]) })
        .catch(() => this.sleep(IDLE_POLL_MS))
        .then(() => !done.signal.aborted);
      // Woken by the store (or its poll), not by a slot freeing: a run may be waiting.
      lookForRuns = await Promise.race([slotFreed, notified]);
      // The other wait ends here, rather than lingering until its timeout.
      done.abort();
      this.wake = undefined;
    }
  }

  /** Claims runs to drive while there is room; true if it found any. */
  private async claimRuns(): Promise<boolean> {
    let found = false;
    while (this.driving.size < this.maxDriving && !this.stopping.signal.aborted) {
      const record = await this.options.store.runs.claimNextRun(this.owner, Date.now(), { queues: this.queues, ...(this.options.namespaces ? { namespaces: this.options.namespaces } : {}), leaseMs: this.leaseMs });
      if (record === undefined) break;
      found = true;
      this.driveRun(record);
    }
    return found;
  }

  private driveRun(claimed: RunRecord): void {
    const runId = claimed.id;
    const drive = (async () => {
      try {
        const { state } = await continueStoredRun(
          { ...this.options.drive, store: this.options.store, runId, owner: this.owner, claimed, interrupt: this.interrupt.signal, leaseMs: this.leaseMs, localSlots: this.slots },
          { kind: 'resume' },
        );
        this.log(`run ${runId} ${state.plan.workflow.name}: ${state.status}`);
      } catch (err) {
        const code = errorCode(err);
        if (code !== 'RUN_INTERRUPTED') this.log(`run ${runId}: ${(err as Error).message ?? String(err)} [${code}]`);
      }
    })();
    this.driving.set(runId, drive);
    void drive.finally(() => {
      this.driving.delete(runId);
      this.wake?.();
    });
  }

  /** Claims items for the free slots and starts them; true if it found any. */
  private async claimWork(): Promise<boolean> {
    const free = this.concurrency - this.running.size - this.runningHere;
    if (free <= 0) return false;
    const claims = await this.options.store.work.claim({
      worker: this.name,
      queues: this.queues,
      ...(this.options.namespaces ? { namespaces: this.options.namespaces } : {}),
      limit: free,
      leaseMs: this.leaseMs,
    });
    for (const claim of claims) this.startItem(claim);
    return claims.length > 0;
  }

  private startItem(claim: ClaimedWork): void {
    const controller = new AbortController();
    this.running.set(claim.id, { claim, controller });
    void this.runner.run(claim, controller.signal, (progress) => this.progress(claim, progress)).then(
      (result) => {
        this.running.delete(claim.id);
        this.finished({ id: claim.id, fence: claim.fence, result });
      },
      () => {
        // Stopped: its claim was lost, or the worker is stopping. Nothing to report.
        this.running.delete(claim.id);
        this.wake?.();
      },
    );
  }

  /**
   * An attempt's progress (at most about once a second each, engine/progress-recorder.ts),
   * recorded on its item for the run's driver to read. Best effort: one that cannot be
   * recorded is dropped, the next or the result carries a newer one.
   */
  private progress(claim: WorkClaim, progress: WorkProgress): void {
    this.options.store.work.progress(this.name, [{ id: claim.id, fence: claim.fence, progress }]).catch(() => {});
  }

  /** A result to complete: sent with the others of the same turn (COMPLETE_DELAY_MS). */
  private finished(result: WorkClaim & { result: WorkResult }): void {
    this.results.push(result);
    if (this.results.length >= COMPLETE_BATCH) void this.flushResults();
    else this.completeTimer ??= setTimeout(() => void this.flushResults(), COMPLETE_DELAY_MS);
    this.wake?.();
  }

  private async flushResults(): Promise<void> {
    if (this.completeTimer) clearTimeout(this.completeTimer);
    this.completeTimer = undefined;
    // One completion in flight at a time; those that came meanwhile go next.
    while (this.completing) await this.completing;
    if (this.results.length === 0) return;
    const batch = this.results.splice(0);
    this.completing = this.complete(batch).finally(() => (this.completing = undefined));
    await this.completing;
  }

  private async complete(batch: Array<WorkClaim & { result: WorkResult }>): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        const { refused } = await this.options.store.work.complete(this.name, batch);
        if (refused.length > 0) this.log(`dropped ${refused.length} result(s) whose claim was lost (the work runs elsewhere)`);
        return;
      } catch (err) {
        // The store is unreachable: keep the results while the claims may still be live.
        if (tries >= 20 || this.stopping.signal.aborted) {
          this.log(`could not record ${batch.length} result(s): ${(err as Error).message} [${errorCode(err)}]; their work runs again elsewhere`);
          return;
        }
        await this.sleep(Math.min(100 * 2 ** tries, 2_000));
      }
    }
  }

  /** Renews the leases of what runs here; stops what it no longer holds (lost, or taken out by its driver). */
  private async extend(): Promise<void> {
    const claims = [...this.running.values()].map(({ claim }) => ({ id: claim.id, fence: claim.fence }));
    if (claims.length === 0) return;
    const held = new Set(await this.options.store.work.extend(this.name, claims, this.leaseMs));
    for (const { id } of claims) {
      const running = this.running.get(id);
      if (running && !held.has(id)) {
        this.log(`run ${running.claim.run_id} task ${running.claim.task}: no longer held by this worker; stopping it`);
        running.controller.abort('lost');
      }
    }
  }

  private async beat(): Promise<void> {
    await this.options.store.work.beat({
      name: this.name,
      host: this.owner.host,
      pid: this.owner.pid,
      queues: [...this.queues],
      ...(this.options.namespaces ? { namespaces: [...this.options.namespaces] } : {}),
      concurrency: this.concurrency,
      started_at: this.startedAt,
      running: this.running.size,
      driving: this.driving.size,
    });
  }

  /** Until `ms` passed or the worker stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopping.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
