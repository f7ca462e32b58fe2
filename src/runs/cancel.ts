/**
 * The second half of cancelling a run that a live process drives (the first is the
 * engine's requestCancel): waiting until its owner has stopped its tasks and recorded the
 * end, for every front end. It wakes on the run's events, and looks at the owner's
 * heartbeat between them, since an owner that died cannot record anything.
 */
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import { HEARTBEAT_MS, isOwnerGone } from '../store/ownership.js';
import type { RunRecord, Store } from '../store/store.js';

/** How the wait ended: the run ended (as `record` says), its owner died first, or the time was up. */
export type CancelWait = { ended: true; record: RunRecord } | { ended: false; why: 'owner-gone' | 'timeout' };

export async function waitForCancel(store: Store, runId: string, timeoutMs: number): Promise<CancelWait> {
  const limit = Date.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    const record = (await store.runs.getRun(runId))!;
    if (FINISHED_RUN_STATUSES.has(record.status)) return { ended: true, record };
    if (isOwnerGone(record)) return { ended: false, why: 'owner-gone' };
    const left = limit - Date.now();
    if (left <= 0) return { ended: false, why: 'timeout' };
    const fresh = await store.runs.waitForEvents(runId, seen, { timeoutMs: Math.min(left, HEARTBEAT_MS / 2) });
    if (fresh.length > 0) seen = fresh[fresh.length - 1].seq;
  }
}
