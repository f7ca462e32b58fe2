/**
 * Following a run that another process drives, from the store: every event as it is
 * recorded, applied to the run's state and handed on, until the run gets as far as the
 * follower waits for. For a run submitted to workers (submit.ts), and for the run a start
 * with an idempotency key found (existing-run.ts). The store may be away for a while (a
 * database restart): following goes on once it answers again.
 */
import { EngineError } from '../engine/errors.js';
import type { RunResult } from '../engine/runner.js';
import type { RunState } from '../engine/state.js';
import { errorCode } from '../observability/errors.js';
import type { StoredEvent } from '../store/events.js';
import type { RunRecord, Store } from '../store/store.js';

export interface FollowOptions {
  store: Store;
  /** Every event, as it is recorded, with the run's state after it. */
  onEvent?: (event: StoredEvent, state: RunState) => void;
  /** Ctrl-C: `onCancel` runs once, and following goes on; without it, following stops (RUN_INTERRUPTED). */
  signal?: AbortSignal;
  /** SIGTERM, SIGHUP: following stops (RUN_INTERRUPTED); the run goes on. */
  interrupt?: AbortSignal;
  onCancel?: (runId: string) => Promise<void>;
  /** Where the run goes on when following stops (`on the workers`), for the message. */
  goesOn?: string;
  /** When the run is as far as the follower waits for. */
  settled: (state: RunState) => boolean;
  /**
   * Called with the run as stored each time a look found nothing new (about every second):
   * throws to stop following (the run has nobody to drive it, say).
   */
  check?: (record: RunRecord, state: RunState) => void | Promise<void>;
}

/** Looks in a row that may find the store unreachable before following gives up (about a minute of back-off). */
const MAX_UNREACHABLE = 15;
/** Longest wait for events before looking again (signals are seen at once regardless). */
const LOOK_MS = 1_000;

export async function followStored(run: RunResult, options: FollowOptions): Promise<RunResult> {
  const { store } = options;
  const { runId, state } = run;
  let seq = state.lastSeq;
  const take = (events: StoredEvent[]) => {
    for (const event of events) {
      if (event.seq <= seq) continue;
      state.apply(event);
      seq = event.seq;
      options.onEvent?.(event, state);
    }
  };
  let cancelAsked = false;
  let unreachable = 0;
  const stop = options.interrupt;
  while (!options.settled(state)) {
    if (stop?.aborted || (options.signal?.aborted && options.onCancel === undefined)) {
      throw new EngineError('RUN_INTERRUPTED', `stopped following run ${runId}; it goes on${options.goesOn ? ` ${options.goesOn}` : ''}: follow it with \`baton status ${runId} --watch\``, { details: { run: runId } });
    }
    if (options.signal?.aborted && !cancelAsked && options.onCancel) {
      cancelAsked = true;
      await options.onCancel(runId);
    }
    const signals = [options.signal, stop].filter((s): s is AbortSignal => s !== undefined && !s.aborted);
    try {
      const events = await store.runs.waitForEvents(runId, seq, { timeoutMs: LOOK_MS, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}) });
      take(events);
      unreachable = 0;
      if (events.length === 0 && options.check && !options.settled(state)) {
        const record = await store.runs.getRun(runId);
        if (record !== undefined) await options.check(record, state);
      }
    } catch (err) {
      // The database is away (a restart, a network cut): the run goes on, and so does following it.
      if (errorCode(err) !== 'STORE_UNAVAILABLE' || ++unreachable > MAX_UNREACHABLE) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** unreachable, 5_000)));
    }
  }
  return run;
}
