/**
 * Waiting, bounded, for a run started or continued in the background (launch.ts): until
 * the command driving it exits, or the run is no longer going (it ended, waits for an
 * answer, or its driver is gone); at most a given time, and no longer than the caller
 * cares (its signal). What runs goes on whatever the wait's outcome.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { displayStatus } from '../store/ownership.js';
import type { Store } from '../store/store.js';
import type { Launched } from './launch.js';

/** How a wait ended: what it waited for happened, the time was up, or the caller stopped waiting. */
export type WaitEnd = 'done' | 'timeout' | 'aborted';

export interface WaitOptions {
  /** The longest wait, ms. */
  timeoutMs: number;
  /** Stops waiting (the request was cancelled). */
  signal?: AbortSignal;
  /** Called about every `everyMs` while waiting, with the ms waited so far (a progress notice). */
  onTick?: (waitedMs: number) => void;
  /** Default 5000. */
  everyMs?: number;
}

/** A condition to wait for, and what may signal it sooner than the next look. */
export interface Condition {
  met: () => Promise<boolean>;
  wakeUp?: Promise<unknown>;
}

/** The command has exited. */
export function exited(launched: Launched): Condition {
  return { met: async () => launched.exitCode() !== undefined, wakeUp: launched.exited };
}

/**
 * The run is recorded and no longer running or pending. `open` opens the store for each
 * look, since the command waited for may be the one that creates it.
 */
export function settled(open: () => Promise<Store>, runId: string): Condition {
  return {
    met: async () => {
      const store = await open();
      try {
        const record = await store.runs.getRun(runId);
        if (record === undefined) return false;
        const status = displayStatus(record);
        return status !== 'running' && status !== 'pending';
      } finally {
        await store.close();
      }
    },
  };
}

/** Either condition. */
export function either(a: Condition, b: Condition): Condition {
  const wakeUps = [a.wakeUp, b.wakeUp].filter((p): p is Promise<unknown> => p !== undefined);
  return { met: async () => (await a.met()) || (await b.met()), ...(wakeUps.length > 0 ? { wakeUp: Promise.race(wakeUps) } : {}) };
}

/** How often a wait looks again when nothing tells it sooner. */
const POLL_MS = 200;

export async function waitFor(condition: Condition, options: WaitOptions): Promise<WaitEnd> {
  const start = Date.now();
  const every = options.everyMs ?? 5000;
  let ticked = start;
  for (;;) {
    if (await condition.met()) return 'done';
    if (options.signal?.aborted) return 'aborted';
    const now = Date.now();
    if (now - start >= options.timeoutMs) return 'timeout';
    if (now - ticked >= every) {
      ticked = now;
      options.onTick?.(now - start);
    }
    const pause = sleep(Math.min(POLL_MS, options.timeoutMs - (now - start)), undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    await (condition.wakeUp ? Promise.race([pause, condition.wakeUp]) : pause);
  }
}
