/**
 * A run for workers (docs/postgres.md): recorded with the queue its workers take it from,
 * then followed from the store while `baton worker`s drive it and run its tasks, wherever
 * they are. What the person sees is the same as for a run driven here: every event, as it
 * is recorded, with the run's state after it. Ctrl-C asks the run's driver to cancel it
 * (and follows it to its end); an interrupt stops following only: the run goes on.
 */
import { createRun, type RunOptions, type RunResult } from '../engine/runner.js';
import { continueStoredRun, requestCancel } from '../engine/resume.js';
import { errorCode } from '../observability/errors.js';
import { currentOwner } from '../store/ownership.js';
import { EngineError } from '../engine/errors.js';
import type { StoredEvent } from '../store/events.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';

export interface SubmitOptions extends Omit<RunOptions, 'owner' | 'workers'> {
  queue: string;
  /** Said once when no worker has taken the run after NO_WORKER_MS. */
  onNoWorker?: (runId: string) => void;
}

/**
 * Ctrl-C: the run's driver is asked to cancel it; a run no worker has taken yet is
 * cancelled here (claimed first, so a worker taking it at that moment cannot also drive it).
 */
async function cancelSubmitted(options: SubmitOptions, runId: string): Promise<void> {
  const reason = 'cancelled by the user';
  if ((await requestCancel(options.store.runs, runId, reason)) !== undefined) return;
  try {
    await continueStoredRun({ store: options.store, runId, owner: currentOwner() }, { kind: 'cancel', reason });
  } catch (err) {
    // A worker took it meanwhile: ask it.
    if (errorCode(err) !== 'RUN_HELD') throw err;
    await options.store.runs.requestCancel(runId, reason);
  }
}

/** When a run no worker took is worth a word. */
const NO_WORKER_MS = 3_000;
/** Looks in a row that may find the store unreachable before following gives up (about a minute of back-off). */
const MAX_UNREACHABLE = 15;
/** Longest wait for events before looking again (signals are seen at once regardless). */
const LOOK_MS = 1_000;

export async function submitAndFollow(options: SubmitOptions): Promise<RunResult> {
  const { queue, onNoWorker, ...rest } = options;
  const { runId, state } = await createRun({ ...rest, workers: { queue } });
  const store = options.store;
  let seq = state.lastSeq;
  const take = (events: StoredEvent[]) => {
    for (const event of events) {
      if (event.seq <= seq) continue;
      state.apply(event);
      seq = event.seq;
      options.onEvent?.(event, state);
    }
  };
  const submitted = Date.now();
  let told = false;
  let cancelAsked = false;
  let unreachable = 0;
  const stop = options.interrupt;
  while (!FINISHED_RUN_STATUSES.has(state.status)) {
    if (stop?.aborted) {
      throw new EngineError('RUN_INTERRUPTED', `stopped following run ${runId}; it goes on on the workers: follow it with \`baton status ${runId} --watch\``, { details: { run: runId } });
    }
    if (options.signal?.aborted && !cancelAsked) {
      cancelAsked = true;
      await cancelSubmitted(options, runId);
    }
    if (!told && onNoWorker && state.startedAt === undefined && Date.now() - submitted > NO_WORKER_MS) {
      const record = await store.runs.getRun(runId);
      if (record?.owner === undefined) {
        told = true;
        onNoWorker(runId);
      }
    }
    const signals = [options.signal, stop].filter((s): s is AbortSignal => s !== undefined && !s.aborted);
    try {
      take(await store.runs.waitForEvents(runId, seq, { timeoutMs: LOOK_MS, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}) }));
      unreachable = 0;
    } catch (err) {
      // The database is away (a restart, a network cut): the run goes on, and so does following it.
      if (errorCode(err) !== 'STORE_UNAVAILABLE' || ++unreachable > MAX_UNREACHABLE) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** unreachable, 5_000)));
    }
  }
  return { runId, state };
}
