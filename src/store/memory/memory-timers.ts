import { sameOwner } from '../ownership.js';
import type { RunOwner } from '../store.js';
import { byDue, byKindAndKey, type Timer, type TimerClaim, type TimerRef, type TimerStore, type TimerUpkeep } from '../timers.js';

/**
 * Timers in memory (store/timers.ts), kept by the memory run store as it commits events.
 * Everything here is synchronous, so a claim's look and write cannot be split by another.
 */
export class MemoryTimers implements TimerStore {
  /** run id -> `kind\0key` -> its timer. */
  private readonly byRun = new Map<string, Map<string, Timer>>();

  /** The run has a retry timer for this task. */
  /** The run has a timer due at `at`. */
  dueFor(runId: string, at: number): boolean {
    for (const timer of this.byRun.get(runId)?.values() ?? []) if (timer.due_at <= at) return true;
    return false;
  }

  hasRetry(runId: string, task: string): boolean {
    return this.byRun.get(runId)?.has(`retry\0${task}`) ?? false;
  }

  /** What a batch of the run's events did to its timers. */
  apply(runId: string, upkeep: TimerUpkeep): void {
    if (upkeep.empty) return;
    if (upkeep.clearAll) this.byRun.delete(runId);
    for (const change of upkeep.changes) {
      const id = `${change.kind}\0${change.key}`;
      if (change.due_at === null) {
        const timers = this.byRun.get(runId);
        timers?.delete(id);
        if (timers?.size === 0) this.byRun.delete(runId);
        continue;
      }
      let timers = this.byRun.get(runId);
      if (timers === undefined) this.byRun.set(runId, (timers = new Map()));
      timers.set(id, { run_id: runId, kind: change.kind, key: change.key, due_at: change.due_at });
    }
  }

  async due(until: number, limit: number): Promise<Timer[]> {
    const out: Timer[] = [];
    for (const timers of this.byRun.values()) for (const timer of timers.values()) if (timer.due_at <= until) out.push(timer);
    return out.sort(byDue).slice(0, Math.max(0, limit)).map(copy);
  }

  async ofRun(runId: string): Promise<Timer[]> {
    return [...(this.byRun.get(runId)?.values() ?? [])].sort(byKindAndKey).map(copy);
  }

  async claim(timer: TimerRef, owner: RunOwner, at: number, isGone: (claim: TimerClaim) => boolean): Promise<boolean> {
    const current = this.byRun.get(timer.run_id)?.get(`${timer.kind}\0${timer.key}`);
    if (current === undefined || current.due_at !== timer.due_at) return false;
    if (current.claimed_by && !sameOwner(current.claimed_by, owner) && !isGone({ by: { ...current.claimed_by }, at: current.claimed_at ?? 0 })) return false;
    current.claimed_by = { ...owner };
    current.claimed_at = at;
    return true;
  }
}

function copy(timer: Timer): Timer {
  return timer.claimed_by ? { ...timer, claimed_by: { ...timer.claimed_by } } : { ...timer };
}
