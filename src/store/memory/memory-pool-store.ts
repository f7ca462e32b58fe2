import { byPoolThenAge, holdIsStale, holdsOf, planAcquire, ReleaseWaiters, type AcquireResult, type HoldRequest, type PoolHold, type PoolStore } from '../pools.js';
import type { WaitOptions } from '../event-waits.js';
import type { RunRecord, RunStore } from '../store.js';

/**
 * Resource pools in memory (store/pools.ts), for the runs of this process. An acquire
 * reads the runs of the holds in its way first (the run store answers asynchronously),
 * then decides and records in one synchronous stretch, so no other acquire or release can
 * come between: a hold that appeared meanwhile counts as live.
 */
export class MemoryPoolStore implements PoolStore {
  private list: PoolHold[] = [];
  private readonly waiters = new ReleaseWaiters();

  constructor(private readonly runs: Pick<RunStore, 'getRun'>) {}

  async acquire(request: HoldRequest, isGone: (run: RunRecord) => boolean): Promise<AcquireResult> {
    const runs = new Map<string, RunRecord | undefined>();
    for (const hold of this.on(request.wants)) if (!runs.has(hold.run_id)) runs.set(hold.run_id, await this.runs.getRun(hold.run_id));
    // From here on, nothing awaits.
    const { short, stale } = planAcquire(request, this.on(request.wants), (hold) => runs.has(hold.run_id) && holdIsStale(hold, runs.get(hold.run_id), isGone));
    if (short.length > 0) return { acquired: false, short: short.map((s) => ({ ...s, held_by: s.held_by.map(copy) })) };
    const gone = new Set(stale);
    this.list = this.list.filter((hold) => !gone.has(hold) && !(hold.run_id === request.run_id && hold.task === request.task));
    this.list.push(...holdsOf(request));
    if (gone.size > 0) this.waiters.notify();
    return { acquired: true };
  }

  async release(runId: string, task?: string): Promise<void> {
    const before = this.list.length;
    this.list = this.list.filter((hold) => hold.run_id !== runId || (task !== undefined && hold.task !== task));
    if (this.list.length < before) this.waiters.notify();
  }

  async holds(pools?: readonly string[]): Promise<PoolHold[]> {
    return this.list.filter((hold) => pools === undefined || pools.includes(hold.pool)).map(copy).sort(byPoolThenAge);
  }

  waitForRelease(options: WaitOptions): Promise<void> {
    return this.waiters.wait(options);
  }

  private on(wants: Readonly<Record<string, number>>): PoolHold[] {
    return this.list.filter((hold) => Object.hasOwn(wants, hold.pool));
  }
}

function copy(hold: PoolHold): PoolHold {
  return hold.owner ? { ...hold, owner: { ...hold.owner } } : { ...hold };
}
