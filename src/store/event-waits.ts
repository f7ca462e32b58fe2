/**
 * Waiting for a run's new events, for every store (RunStore.waitForEvents): whoever
 * watches a run (a cancel waiting for the run to stop, `status --watch`, MCP, the server's
 * live streams) sleeps until something is appended instead of polling on a timer. An
 * append in this process wakes the waiters of its run at once; a store shared with other
 * processes also gives a cheap sign that another one wrote (SQLite's data_version), checked
 * at a short interval while someone waits, and the events are read again only then.
 */
import type { StoredEvent } from './events.js';

export interface WaitOptions {
  /** Give up after this long (ms): the answer is then no events. */
  timeoutMs: number;
  /** Give up when it fires: the answer is then no events. */
  signal?: AbortSignal;
}

/** How often a waiter looks for another process's writes (SQLite: one PRAGMA, no query of events). */
export const CROSS_PROCESS_CHECK_MS = 25;

export class EventWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Events were appended to `runId` in this process: its waiters look again. */
  notify(runId: string): void {
    const set = this.waiting.get(runId);
    if (set === undefined) return;
    this.waiting.delete(runId);
    for (const wake of set) wake();
  }

  /** Anything may have been appended (a store lost sight of other processes for a while): every waiter looks again. */
  notifyAll(): void {
    for (const runId of [...this.waiting.keys()]) this.notify(runId);
  }

  /**
   * The events of `runId` after `afterSeq` as soon as there are any, or none when the time
   * is up or the signal fires. `read` reads them; `changedElsewhere`, when given, says
   * cheaply whether another process may have written since it was last asked.
   */
  async wait(runId: string, afterSeq: number, read: () => Promise<StoredEvent[]>, options: WaitOptions, changedElsewhere?: () => boolean): Promise<StoredEvent[]> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      // Armed before the read: an append between the read and the sleep wakes it, rather
      // than leaving it to sleep until the next look elsewhere or its timeout.
      const sleeper = this.arm(runId, Math.max(0, deadline - Date.now()), options.signal, changedElsewhere);
      let events: StoredEvent[];
      try {
        events = await read();
      } catch (err) {
        sleeper.cancel();
        throw err;
      }
      if (events.length > 0) {
        sleeper.cancel();
        return events.filter((e) => e.seq > afterSeq);
      }
      if (deadline - Date.now() <= 0 || options.signal?.aborted) {
        sleeper.cancel();
        return [];
      }
      await sleeper.done;
    }
  }

  /** Until an append here, a write elsewhere (looked for every CROSS_PROCESS_CHECK_MS), `ms`, or the signal. */
  private arm(runId: string, ms: number, signal: AbortSignal | undefined, changedElsewhere?: () => boolean): { done: Promise<void>; cancel: () => void } {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = () => {
        clearTimeout(limit);
        if (check) clearInterval(check);
        signal?.removeEventListener('abort', finish);
        const set = this.waiting.get(runId);
        set?.delete(finish);
        if (set?.size === 0) this.waiting.delete(runId);
        resolve();
      };
    });
    const limit = setTimeout(finish, ms);
    const check = changedElsewhere ? setInterval(() => changedElsewhere() && finish(), CROSS_PROCESS_CHECK_MS) : undefined;
    let set = this.waiting.get(runId);
    if (set === undefined) this.waiting.set(runId, (set = new Set()));
    set.add(finish);
    signal?.addEventListener('abort', finish, { once: true });
    return { done, cancel: finish };
  }
}
