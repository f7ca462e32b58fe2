import { HEARTBEAT_MS, sameOwner } from '../store/ownership.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';

export interface HeartbeatListener {
  /** Another live process holds the run now: stop driving it. */
  lost(by: NonNullable<RunRecord['owner']>): void;
  /** `baton cancel` asked, from another process, for the run to be cancelled (`compensate`: with `--compensate`). */
  cancelRequested(reason: string, compensate: boolean): void;
}

/**
 * Renews this process's claim on a run every HEARTBEAT_MS and looks for a cancel request
 * from another process, so that one is seen within a second. A beat that fails (the store
 * busy for a moment) is skipped: the next one tries again. Returns the function that stops it.
 */
export function startHeartbeat(store: Store, runId: string, owner: RunOwner, now: () => number, listener: HeartbeatListener, leaseMs?: number): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    store.runs
      .heartbeat(runId, owner, now(), leaseMs)
      .then((record) => {
        if (record.owner && !sameOwner(record.owner, owner) && (record.status === 'running' || record.status === 'waiting')) listener.lost(record.owner);
        else if (record.cancel_requested !== undefined) listener.cancelRequested(record.cancel_requested, record.cancel_compensate === true);
      })
      .catch(() => {})
      .finally(() => (busy = false));
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
