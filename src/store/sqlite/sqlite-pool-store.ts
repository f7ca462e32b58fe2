/**
 * Resource pools on SQLite (store/pools.ts), on the connection of the run store, so every
 * process sharing the file shares the pools. An acquire that can be granted runs in one
 * BEGIN IMMEDIATE transaction: it holds the file's write lock from its first read of the
 * holds to its last insert, so of two processes asking for the last unit of a pool at once
 * exactly one gets it. An acquire that cannot be granted finds that out by reading alone,
 * without the write lock: a task waiting for a busy pool asks again and again, and must
 * not slow the appends of the runs that hold it.
 */
import type { WaitOptions } from '../event-waits.js';
import { holdIsStale, holdsOf, planAcquire, ReleaseWaiters, type AcquireResult, type HoldRequest, type PoolHold, type PoolShortage, type PoolStore } from '../pools.js';
import type { RunRecord } from '../store.js';
import type { Database } from './driver.js';
import queries from './pools.sql';
import { sqliteError } from './sqlite-errors.js';
import { parseNamedQueries } from '../named-queries.js';
import { preparedOnUse, type Statement } from './statements.js';
import { toRecord, type RunRow } from '../rows.js';
import { toHold, type HoldRow } from '../rows/pools.js';

const sql = parseNamedQueries(queries);

type Decided = { short: PoolShortage[]; stale: PoolHold[] };

export class SqlitePoolStore implements PoolStore {
  private readonly waiters = new ReleaseWaiters();
  private takeTx?: (request: HoldRequest, isGone: (run: RunRecord) => boolean) => PoolShortage[];

  /** Prepared at first use: most commands that open a store never touch a pool. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  async acquire(request: HoldRequest, isGone: (run: RunRecord) => boolean): Promise<AcquireResult> {
    const short = this.guard(() => {
      // Reading alone first: while the pool is busy, no write lock is taken.
      const seen = this.decide(request, isGone);
      if (seen.short.length > 0) return seen.short;
      this.takeTx ??= this.db.transaction((req: HoldRequest, gone: (run: RunRecord) => boolean) => this.take(req, gone)).immediate;
      return this.takeTx(request, isGone);
    });
    return short.length === 0 ? { acquired: true } : { acquired: false, short };
  }

  async release(runId: string, task?: string): Promise<void> {
    const { changes } = this.guard(() => (task === undefined ? this.q.releaseRun.run(runId) : this.q.releaseTask.run(runId, task)));
    if (changes > 0) this.waiters.notify();
  }

  async holds(pools?: readonly string[]): Promise<PoolHold[]> {
    return this.guard(() => {
      if (pools === undefined) return (this.q.allHolds.all() as HoldRow[]).map(toHold);
      return [...new Set(pools)].sort().flatMap((pool) => (this.q.holdsOfPool.all(pool) as HoldRow[]).map(toHold));
    });
  }

  waitForRelease(options: WaitOptions): Promise<void> {
    return this.waiters.wait(options);
  }

  /** Inside the write transaction: decides again on what is there now, then records. */
  private take(request: HoldRequest, isGone: (run: RunRecord) => boolean): PoolShortage[] {
    const { short, stale } = this.decide(request, isGone);
    if (short.length > 0) return short;
    for (const hold of stale) this.q.deleteHold.run(hold.pool, hold.run_id, hold.task);
    this.q.releaseTask.run(request.run_id, request.task);
    for (const hold of holdsOf(request)) {
      this.q.insertHold.run(hold.pool, hold.run_id, hold.task, hold.attempt, hold.amount, hold.owner?.host ?? null, hold.owner?.pid ?? null, hold.owner?.started_at ?? null, hold.at);
    }
    if (stale.length > 0) queueMicrotask(() => this.waiters.notify());
    return [];
  }

  private decide(request: HoldRequest, isGone: (run: RunRecord) => boolean): Decided {
    const holds = Object.keys(request.wants).flatMap((pool) => (this.q.holdsOfPool.all(pool) as HoldRow[]).map(toHold));
    const runs = new Map<string, RunRecord | undefined>();
    const runOf = (id: string) => {
      if (!runs.has(id)) {
        const row = this.q.holdRun.get(id) as RunRow | undefined;
        runs.set(id, row && toRecord(row));
      }
      return runs.get(id);
    };
    return planAcquire(request, holds, (hold) => holdIsStale(hold, runOf(hold.run_id), isGone));
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
