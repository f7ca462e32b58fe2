/**
 * Timers on SQLite (store/timers.ts), on the connection of the run store: the run store
 * applies each batch's TimerUpkeep inside its append transaction (apply), so a timer row
 * commits with the event that set it. A claim is one BEGIN IMMEDIATE transaction from its
 * look at the row to its write, so of several processes claiming at once exactly one gets
 * the timer.
 */
import { sameOwner } from '../ownership.js';
import type { RunOwner } from '../store.js';
import { toTimer, type TimerRow } from '../rows/timers.js';
import { timeoutOf, type Timer, type TimerClaim, type TimerRef, type TimerStore, type TimerUpkeep } from '../timers.js';
import type { Database } from './driver.js';
import { sqliteError } from './sqlite-errors.js';
import { parseNamedQueries } from '../named-queries.js';
import type { Statement } from './statements.js';
import queries from './timers.sql';

const sql = parseNamedQueries(queries);

export class SqliteTimers implements TimerStore {
  private readonly prepared = new Map<string, Statement>();
  private claimTx?: (timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean) => boolean;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {}

  /** Each statement prepared at its first use: a command that only reads runs never needs them. */
  private q(name: string): Statement {
    let statement = this.prepared.get(name);
    if (statement === undefined) {
      statement = this.db.prepare(sql.get(name)!) as Statement;
      this.prepared.set(name, statement);
    }
    return statement;
  }

  /** Inside the run store's transaction: what a batch of the run's events did to its timers. */
  apply(runId: string, upkeep: TimerUpkeep): void {
    if (upkeep.empty) return;
    if (upkeep.clearAll) this.q('clearRun').run(runId);
    for (const change of upkeep.changes) {
      if (change.due_at === null) this.q('clearTimer').run(runId, change.kind, change.key);
      else this.q('setTimer').run(runId, change.kind, change.key, change.due_at);
    }
  }

  /** The run's time limit (ms), read from its RunCreated without parsing the whole snapshot. */
  runTimeout(runId: string): number | undefined {
    const row = this.q('runTimeout').get(runId) as { timeout: unknown } | undefined;
    return timeoutOf(row === undefined ? undefined : { timeout: row.timeout });
  }

  async due(until: number, limit: number): Promise<Timer[]> {
    return this.guard(() => (this.q('dueTimers').all(until, Math.max(0, limit)) as TimerRow[]).map(toTimer));
  }

  async ofRun(runId: string): Promise<Timer[]> {
    return this.guard(() => (this.q('runTimers').all(runId) as TimerRow[]).map(toTimer));
  }

  async claim(timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean): Promise<boolean> {
    this.claimTx ??= this.db.transaction((timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean): boolean => {
      const row = this.q('getTimer').get(timer.run_id, timer.kind, timer.key) as TimerRow | undefined;
      if (row === undefined || row.due_at !== timer.due_at) return false;
      const current = toTimer(row);
      if (current.claimed_by && !sameOwner(current.claimed_by, owner) && !isGone({ by: current.claimed_by, at: current.claimed_at ?? 0 })) return false;
      this.q('claimTimer').run(owner.host, owner.pid, owner.started_at, at, timer.run_id, timer.kind, timer.key);
      return true;
    }).immediate;
    const claimTx = this.claimTx;
    return this.guard(() => claimTx(timer, owner, at, isGone));
  }

  private async guard<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
