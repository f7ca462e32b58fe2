/**
 * Waiting on the work queue (store/work.ts) by key, for every store: a
 * worker waits on the queues it serves, a driver on its run. A write of this process wakes
 * the waiters of its keys at once. A store shared with other processes (SQLite) also gives
 * a cheap sign that another one wrote (its data_version), looked at every
 * CROSS_PROCESS_CHECK_MS while someone waits: that wakes the waiter too, since the write
 * may have been work for it. Every wake is a "may have": the caller looks again.
 */
import { CROSS_PROCESS_CHECK_MS, type WaitOptions } from './event-waits.js';

export class WorkWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Something of `key` changed in this process: its waiters look again. */
  notify(key: string): void {
    const set = this.waiting.get(key);
    if (set === undefined) return;
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
