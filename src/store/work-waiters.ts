/**
 * Waiting on the work queue (store/work.ts) by key, for every store: a
 * worker waits on the queues it serves, a driver on its run. A write of this process wakes
 * the waiters of its keys at once. A store shared with other processes (SQLite) also gives
 * a cheap sign that another one wrote (its data_version), looked at every
 * CROSS_PROCESS_CHECK_MS while someone waits: that wakes the waiter too, since the write
 * may have been work for it. Every wake is a "may have": the caller looks again.
 */
import { CROSS_PROCESS_CHECK_MS, type WaitOptions } from './event-waits.js';

/** Keys remembered as notified with nobody waiting, at most. */
const MAX_MISSED = 4_096;

export class WorkWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  /**
   * Keys notified while nobody waited on them: the next wait on one returns at once. A
   * waiter that looked (claimed, read results) just before a notification, and waits just
   * after, would otherwise sleep through it until its timeout.
   */
  private readonly missed = new Set<string>();

  /** Something of `key` changed: its waiters look again, or the next one does at once. */
  notify(key: string): void {
    const set = this.waiting.get(key);
    if (set === undefined) {
      // Bounded: past it the oldest are forgotten, and a waiter of theirs sleeps to its timeout as before.
      if (this.missed.size >= MAX_MISSED) this.missed.delete(this.missed.values().next().value!);
      this.missed.add(key);
      return;
    }
    this.waiting.delete(key);
    for (const wake of set) wake();
  }

  /** Anything may have changed (a store lost sight of other processes for a while): every waiter looks again. */
  notifyAll(): void {
    for (const key of [...this.waiting.keys()]) this.notify(key);
  }

  /** Until a notify of one of `keys`, a write elsewhere (when `changedElsewhere` is given), the timeout or the signal. */
  wait(keys: readonly string[], options: WaitOptions, changedElsewhere?: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      if (options.signal?.aborted) return resolve();
      let notifiedMeanwhile = false;
      for (const key of keys) notifiedMeanwhile = this.missed.delete(key) || notifiedMeanwhile;
      if (notifiedMeanwhile) return resolve();
      const done = () => {
        clearTimeout(limit);
        if (check) clearInterval(check);
        options.signal?.removeEventListener('abort', done);
        for (const key of keys) {
          const set = this.waiting.get(key);
          set?.delete(done);
          if (set?.size === 0) this.waiting.delete(key);
        }
        resolve();
      };
      const limit = setTimeout(done, Math.max(0, options.timeoutMs));
      const check = changedElsewhere ? setInterval(() => changedElsewhere() && done(), CROSS_PROCESS_CHECK_MS) : undefined;
      for (const key of keys) {
        let set = this.waiting.get(key);
        if (set === undefined) this.waiting.set(key, (set = new Set()));
        set.add(done);
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
