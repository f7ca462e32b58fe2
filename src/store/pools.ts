/**
 * Resource pools (docs/decisions/0013-resource-pools.md): named capacities from
 * baton.config.yaml (`resources: {db-migrations: 1, gpu: 2}`) that tasks take a share of
 * while an attempt runs. The holds live in the store, so every process sharing it (two
 * `baton run` on one SQLite file, `baton serve`) sees the same ones.
 *
 * A task takes everything it asks for at once, or nothing: `acquire` either records all of
 * its holds or none and says which pools were short. A task therefore never holds one pool
 * while it waits for another, so no two tasks can each hold what the other waits for, and
 * no order of asking can deadlock. A hold ends when its attempt ends (`release`), and a
 * hold whose run's process is gone (killed, its machine lost) is freed by the next acquire
 * that finds it in the way, so a crash never keeps a pool.
 *
 * Memory and SQLite implement it and pass one contract (contract-pools.ts).
 */
import type { WaitOptions } from './event-waits.js';
import { sameOwner } from './ownership.js';
import { FINISHED_RUN_STATUSES } from './projection.js';
import type { RunOwner, RunRecord } from './store.js';

/** One task's share of one pool. */
export interface PoolHold {
  pool: string;
  /** How much of the pool it holds (1 unless the task asked for more). */
  amount: number;
  run_id: string;
  task: string;
  /** The attempt it was taken for. */
  attempt: number;
  /** The process that took it (the run's owner then); none for a run nobody else can see. */
  owner?: RunOwner;
  /** When it was taken (ms since epoch). */
  at: number;
}

/** What a task asks for, and the pools' capacities as the asking process knows them. */
export interface HoldRequest {
  run_id: string;
  task: string;
  attempt: number;
  owner?: RunOwner;
  /** pool -> amount. */
  wants: Readonly<Record<string, number>>;
  /** pool -> capacity (baton.config.yaml's `resources:`); a pool missing here has none. */
  capacities: Readonly<Record<string, number>>;
  at: number;
}

/** A pool that had too little left for a request. */
export interface PoolShortage {
  pool: string;
  wants: number;
  capacity: number;
  /** What live holds of other tasks take of it. */
  in_use: number;
  /** Those holds, oldest first. */
  held_by: PoolHold[];
}

export type AcquireResult = { acquired: true } | { acquired: false; short: PoolShortage[] };

export interface PoolStore {
  /**
   * Takes every pool of `request.wants` for the task, atomically: all of them, or none
   * (then `short` lists the pools that lacked room, with who holds them). Taking again what
   * the task already holds replaces its holds. Holds found in the way whose run ended, is
   * gone, or whose owner no longer drives its run (`isGone`, as claimRun's) are freed first.
   */
  acquire(request: HoldRequest, isGone: (run: RunRecord) => boolean): Promise<AcquireResult>;
  /** Frees what a task of a run holds, or (no task) everything the run holds; wakes this process's waitForRelease. */
  release(runId: string, task?: string): Promise<void>;
  /** The holds (of these pools only, when given), by pool and then age. */
  holds(pools?: readonly string[]): Promise<PoolHold[]>;
  /**
   * Resolves when this process frees a hold, after `timeoutMs`, or when the signal fires,
   * whichever comes first. Another process's releases are seen only by asking again: a
   * waiter polls with `timeoutMs`.
   */
  waitForRelease(options: WaitOptions): Promise<void>;
}

/**
 * Whether a hold is no longer real: its run is unknown or finished, or it was taken by a
 * process that no longer drives the run. A hold taken with no owner (a run only its own
 * process sees) ends only when released or when its run ends.
 */
export function holdIsStale(hold: PoolHold, run: RunRecord | undefined, isGone: (run: RunRecord) => boolean): boolean {
  if (run === undefined || FINISHED_RUN_STATUSES.has(run.status)) return true;
  if (hold.owner === undefined) return false;
  return !sameOwner(run.owner, hold.owner) || isGone(run);
}

/**
 * The decision every store makes the same way: given the holds on the pools wanted (and
 * which of them are stale), the pools that lack room, and the stale holds to free.
 */
export function planAcquire(request: HoldRequest, holds: readonly PoolHold[], isStale: (hold: PoolHold) => boolean): { short: PoolShortage[]; stale: PoolHold[] } {
  const stale: PoolHold[] = [];
  const live = new Map<string, PoolHold[]>();
  for (const hold of holds) {
    if (hold.run_id === request.run_id && hold.task === request.task) continue;
    if (isStale(hold)) stale.push(hold);
    else {
      const list = live.get(hold.pool);
      if (list) list.push(hold);
      else live.set(hold.pool, [hold]);
    }
  }
  const short: PoolShortage[] = [];
  for (const [pool, wants] of Object.entries(request.wants)) {
    const capacity = request.capacities[pool] ?? 0;
    const held = (live.get(pool) ?? []).sort(byAge);
    const inUse = held.reduce((sum, hold) => sum + hold.amount, 0);
    if (inUse + wants > capacity) short.push({ pool, wants, capacity, in_use: inUse, held_by: held });
  }
  return { short, stale };
}

/** The holds a granted request records. */
export function holdsOf(request: HoldRequest): PoolHold[] {
  return Object.entries(request.wants).map(([pool, amount]) => {
    const hold: PoolHold = { pool, amount, run_id: request.run_id, task: request.task, attempt: request.attempt, at: request.at };
    if (request.owner) hold.owner = { ...request.owner };
    return hold;
  });
}

export function byAge(a: PoolHold, b: PoolHold): number {
  return a.at - b.at || compare(a.run_id, b.run_id) || compare(a.task, b.task);
}

export function byPoolThenAge(a: PoolHold, b: PoolHold): number {
  return compare(a.pool, b.pool) || byAge(a, b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** This process's waiters for a release (PoolStore.waitForRelease), for every store. */
export class ReleaseWaiters {
  private readonly waiting = new Set<() => void>();

  notify(): void {
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const wake of woken) wake();
  }

  wait(options: WaitOptions): Promise<void> {
    return new Promise((resolve) => {
      if (options.signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, options.timeoutMs));
      this.waiting.add(done);
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
