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
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import { followStored } from './follow-stored.js';

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

export async function submitAndFollow(options: SubmitOptions): Promise<RunResult> {
  const { queue, onNoWorker, ...rest } = options;
  const created = await createRun({ ...rest, workers: { queue } });
  // A run its idempotency key found was started by another start, which follows it (existing-run.ts).
  if (created.existing) return created;
  const submitted = Date.now();
  let told = false;
  return followStored(created, {
    store: options.store,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    onCancel: (runId) => cancelSubmitted(options, runId),
    goesOn: 'on the workers',
    // Waiting for answers only (an approval, an event, a paused task): no worker holds it, and
    // following it would hold the terminal until someone answers; like a run driven here, it exits 4.
    settled: (state) => FINISHED_RUN_STATUSES.has(state.status) || (state.status === 'waiting' && state.waits.every((wait) => wait.kind !== 'sleep')),
    check: (record, state) => {
      if (told || !onNoWorker || state.startedAt !== undefined || Date.now() - submitted <= NO_WORKER_MS || record.owner !== undefined) return;
      told = true;
      onNoWorker(record.id);
    },
  });
}
