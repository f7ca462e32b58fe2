/**
 * Timers on PostgreSQL (store/timers.ts). The run store writes their rows in its append
 * statement (runs.sql) and in a rebuild (apply, here); this reads them and claims them. A
 * claim locks the row (FOR UPDATE) from its look to its write, so of several processes
 * claiming at once exactly one gets the timer, and the others see its claim.
 */
import { sameOwner } from '../ownership.js';
import type { RunOwner } from '../store.js';
import { toTimer, type TimerRow } from '../rows/timers.js';
import type { Timer, TimerClaim, TimerRef, TimerStore, TimerUpkeep } from '../timers.js';
import { parseNamedQueries } from '../named-queries.js';
import type { PgDatabase, Queryable } from './driver.js';
import queries from './timers.sql';

const sql = parseNamedQueries(queries);
const q = (name: string) => sql.get(name)!;

export class PgTimers implements TimerStore {
  constructor(private readonly db: PgDatabase) {}

  /** Inside a rebuild's transaction: what the run's events, folded from the start, leave. */
  async apply(tx: Queryable, runId: string, upkeep: TimerUpkeep): Promise<void> {
    if (upkeep.clearAll) await tx.query(q('clearRun'), [runId]);
    for (const change of upkeep.changes) {
      if (change.due_at === null) await tx.query(q('clearTimer'), [runId, change.kind, change.key]);
      else await tx.query(q('setTimer'), [runId, change.kind, change.key, change.due_at]);
    }
  }

  async due(until: number, limit: number): Promise<Timer[]> {
    return (await this.db.query<TimerRow>(q('dueTimers'), [until, Math.max(0, limit)])).map(toTimer);
  }

  async ofRun(runId: string): Promise<Timer[]> {
    return (await this.db.query<TimerRow>(q('runTimers'), [runId])).map(toTimer);
  }

  claim(timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const [row] = await tx.query<TimerRow>(q('lockTimer'), [timer.run_id, timer.kind, timer.key]);
      if (row === undefined || row.due_at !== timer.due_at) return false;
      const current = toTimer(row);
      if (current.claimed_by && !sameOwner(current.claimed_by, owner) && !isGone({ by: current.claimed_by, at: current.claimed_at ?? 0 })) return false;
      await tx.query(q('claimTimer'), [owner.host, owner.pid, owner.started_at, at, timer.run_id, timer.kind, timer.key]);
      return true;
    });
  }
}
