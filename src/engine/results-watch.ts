/**
 * How a driver learns what workers did with its run's work items (engine/dispatch.ts for a
 * file's tasks, engine/steps/remote-steps.ts for a code run's remote steps): a watch that
 * wakes the run when a worker records a result of the run, and the look that reads them,
 * which every LOST_CHECK_MS is a full look at every item (to find claims that ran out).
 */
import type { Store } from '../store/store.js';
import type { WorkRecord } from '../store/work.js';

/** How often the driver looks for lost claims when no result wakes it. */
export const LOST_CHECK_MS = 1_000;

export class ResultsWatch {
  /** A result may have been recorded since the last look. */
  private due = false;
  private lastLook = 0;
  private readonly stop = new AbortController();
  private watching = false;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    /** Wakes the run loop (when something is awaited). */
    private readonly wake: () => void,
    /** Whether any item's result is awaited. */
    private readonly awaiting: () => boolean,
  ) {}

  /** Something changed here (an attempt stopped, an item adopted): look at the next chance. */
  poke(): void {
    this.due = true;
  }

  /** A full look was just made (adopting a run's items): the next one can wait. */
  looked(): void {
    this.lastLook = Date.now();
  }

  /**
   * What to look at now: the run's results when a worker woke the driver, every item at a
   * full look, or undefined when nothing can have changed (cheap, for every turn of the loop).
   */
  async take(): Promise<WorkRecord[] | undefined> {
    const now = Date.now();
    const fullLook = now - this.lastLook >= LOST_CHECK_MS;
    if (!this.due && !fullLook) return undefined;
    if (!this.awaiting() && !this.due) return undefined;
    this.due = false;
    if (fullLook) this.lastLook = now;
    return fullLook ? this.store.work.ofRun(this.runId) : this.store.work.results(this.runId);
  }

  /** Starts waiting for the run's results, at the latest every LOST_CHECK_MS, until close(). */
  start(): void {
    if (this.watching) return;
    this.watching = true;
    const signal = this.stop.signal;
    void (async () => {
      while (!signal.aborted) {
        try {
          await this.store.work.waitForResults(this.runId, { timeoutMs: LOST_CHECK_MS, signal });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, LOST_CHECK_MS));
        }
        if (signal.aborted) return;
        this.due = true;
        if (this.awaiting()) this.wake();
      }
    })();
  }

  close(): void {
    this.stop.abort();
  }
}
