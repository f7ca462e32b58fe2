/**
 * Resource pools on PostgreSQL (store/pools.ts), shared by every process on every machine
 * that uses the database. An acquire that can be granted runs in one transaction under an
 * advisory lock that every granting acquire takes (pools.sql lockPools): from its read of
 * the holds to its last insert no other acquire can grant, so of two processes asking for
 * the last unit of a pool at once exactly one gets it. An acquire that cannot be granted
 * finds that out by reading alone, without the lock: a task waiting for a busy pool asks
 * again and again, and must not queue behind the acquires of others.
 *
 * Whether a hold in the way is still real is decided as claimRun decides whether a run may
 * be taken: its owner's lease ran out by the database's clock, or the caller's `isGone`
 * (JavaScript) says so of the run, read inside the transaction.
 */
import type { WaitOptions } from '../event-waits.js';
import { holdIsStale, holdsOf, planAcquire, ReleaseWaiters, type AcquireResult, type HoldRequest, type PoolHold, type PoolShortage, type PoolStore } from '../pools.js';
import { toRecord, type RunRow } from '../rows.js';
import { toHold, type HoldRow } from '../rows/pools.js';
import type { RunRecord } from '../store.js';
import { parseNamedQueries } from '../named-queries.js';
import type { PgDatabase, Queryable } from './driver.js';
import queries from './pools.sql';

type Name = 'lockPools' | 'holdsOfPools' | 'allHolds' | 'holdRuns' | 'insertHolds' | 'deleteHold' | 'releaseTask' | 'releaseRun';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

type Decided = { short: PoolShortage[]; stale: PoolHold[] };

export class PgPoolStore implements PoolStore {
  private readonly waiters = new ReleaseWaiters();

  constructor(private readonly db: PgDatabase) {}

  async acquire(request: HoldRequest, isGone: (run: RunRecord) => boolean): Promise<AcquireResult> {
    // Reading alone first: while the pool is busy, no lock is taken.
    const seen = await decide(this.db, request, isGone);
    if (seen.short.length > 0) return { acquired: false, short: seen.short };
    const { short, stale } = await this.db.tx(async (tx) => {
      await tx.query(q.lockPools);
      // Decided again on what is there now: another acquire may have granted meanwhile.
      const decided = await decide(tx, request, isGone);
      if (decided.short.length === 0) await take(tx, request, decided.stale);
      return decided;
    });
    if (short.length > 0) return { acquired: false, short };
    if (stale.length > 0) this.waiters.notify();
    return { acquired: true };
  }

  async release(runId: string, task?: string): Promise<void> {
    const freed = task === undefined ? await this.db.query(q.releaseRun, [runId]) : await this.db.query(q.releaseTask, [runId, task]);
    if (freed.length > 0) this.waiters.notify();
  }

  async holds(pools?: readonly string[]): Promise<PoolHold[]> {
    const rows = pools === undefined ? await this.db.query<HoldRow>(q.allHolds) : await this.db.query<HoldRow>(q.holdsOfPools, [[...new Set(pools)]]);
    return rows.map(toHold);
  }

  waitForRelease(options: WaitOptions): Promise<void> {
    return this.waiters.wait(options);
  }
}

/** The holds in the way of `request` and the runs of their holders, read in two queries, decided by store/pools.ts. */
async function decide(db: Queryable, request: HoldRequest, isGone: (run: RunRecord) => boolean): Promise<Decided> {
  const holds = (await db.query<HoldRow>(q.holdsOfPools, [Object.keys(request.wants)])).map(toHold);
  const holders = [...new Set(holds.map((hold) => hold.run_id))];
  const runs = new Map<string, RunRecord>();
  const expired = new Set<string>();
  if (holders.length > 0) {
    for (const row of await db.query<RunRow & { lease_expired: boolean }>(q.holdRuns, [holders])) {
      runs.set(row.id, toRecord(row));
      if (row.lease_expired) expired.add(row.id);
    }
  }
  const gone = (run: RunRecord) => expired.has(run.id) || isGone(run);
  return planAcquire(request, holds, (hold) => holdIsStale(hold, runs.get(hold.run_id), gone));
}

/** Inside the locked transaction: frees the stale holds and the task's old ones, records the new. */
async function take(tx: Queryable, request: HoldRequest, stale: readonly PoolHold[]): Promise<void> {
  for (const hold of stale) await tx.query(q.deleteHold, [hold.pool, hold.run_id, hold.task]);
  await tx.query(q.releaseTask, [request.run_id, request.task]);
  const holds = holdsOf(request);
  await tx.query(q.insertHolds, [
    holds.map((hold) => hold.pool),
    holds.map((hold) => hold.amount),
    request.run_id,
    request.task,
    request.attempt,
    request.owner?.host ?? null,
    request.owner?.pid ?? null,
    request.owner?.started_at ?? null,
    request.at,
  ]);
}
