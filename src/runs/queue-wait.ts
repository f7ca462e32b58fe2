/**
 * Admission for a front end that drives its own runs (`baton run`): a run whose key or
 * global limit is full waits here, in its own process, for its turn. While it waits the
 * process keeps the run's heartbeat (it owns the run), takes its own turn when the queue
 * lets it (runs/admission.ts, the same walk `baton serve` makes), and otherwise wakes when
 * the run's events change: a server admitted it, or someone cancelled it. Ctrl-C takes the
 * run out of the queue (cancelled); SIGTERM leaves it queued, and `baton serve` starts it
 * in its turn (its owner is gone).
 */
import type { Admission, QueueTurn } from '../engine/admission.js';
import { EngineError } from '../engine/errors.js';
import type { StoredEvent } from '../store/events.js';
import { HEARTBEAT_MS, isOwnerGone } from '../store/ownership.js';
import type { RunRecord, Store } from '../store/store.js';
import { admitQueued, cancelIfQueued, decideNewRun, queuePositions, type QueueLimits } from './admission.js';

export interface WaitingAdmissionOptions {
  /** Higher starts first; default 0. */
  priority?: number;
  limits: QueueLimits;
  /** Asks a run holding the key to cancel, for on_conflict: cancel-running (the front end's cancel). */
  cancel: (runId: string, reason: string) => Promise<void>;
  /** Tells the person waiting what happens (a line on stderr). */
  say: (line: string) => void;
  now?: () => number;
}

/** Runs whose process died while they were queued: left to `baton serve`, they hold up nobody here. */
export const orphaned = (run: RunRecord): boolean => run.owner !== undefined && isOwnerGone(run);

export function waitingAdmission(options: WaitingAdmissionOptions): Admission {
  const now = options.now ?? Date.now;
  return {
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    decide: (run, ask) => decideNewRun(run, ask.concurrency?.on_conflict ?? 'queue', options.limits, now(), orphaned),
    wait: (turn) => waitTurn(turn, options, now),
  };
}

async function waitTurn(turn: QueueTurn, options: WaitingAdmissionOptions, now: () => number): Promise<StoredEvent[]> {
  const { store, runId, owner } = turn;
  const cancelling = turn.queued.cancelling ?? [];
  for (const id of cancelling) await options.cancel(id, `cancelled for run ${runId} (concurrency key ${turn.queued.key}, on_conflict: cancel-running)`);
  options.say(await queuedLine(store, runId, turn.queued));
  const came: StoredEvent[] = [];
  let seq = turn.afterSeq;
  const stop = turn.signal && turn.interrupt ? AbortSignal.any([turn.signal, turn.interrupt]) : (turn.signal ?? turn.interrupt);
  for (;;) {
    if (turn.interrupt?.aborted) {
      throw new EngineError('RUN_INTERRUPTED', `run ${runId} was stopped while queued and is left in the queue: \`baton serve\` starts it in its turn, or cancel it with \`baton cancel ${runId}\``, {
        details: { run: runId },
      });
    }
    let cancel = turn.signal?.aborted ? 'cancelled by the user while queued' : undefined;
    if (owner && cancel === undefined) cancel = (await store.runs.heartbeat(runId, owner, now())).cancel_requested;
    await store.runs.decideQueue(cancel === undefined ? admitQueued(options.limits, now(), { only: runId, passOver: orphaned }) : cancelIfQueued(runId, cancel, now()));
    const fresh = await store.runs.readEvents(runId, seq);
    came.push(...fresh);
    if (fresh.length > 0) seq = fresh[fresh.length - 1].seq;
    const end = fresh.find((event) => event.type === 'RunAdmitted' || event.type === 'RunCancelled');
    if (end?.type === 'RunAdmitted') options.say(`baton: run ${runId}: its turn came after ${Math.round((end.at - turn.queued.at) / 1000)}s; starting`);
    if (end) return came;
    // Woken by the run's events (a server admitted it, a cancel), or looks again after a while.
    await store.runs.waitForEvents(runId, seq, { timeoutMs: HEARTBEAT_MS, ...(stop ? { signal: stop } : {}) });
  }
}

/** `queued (position 2): concurrency key deploy-prod is full: run 01K... holds it`. */
async function queuedLine(store: Store, runId: string, queued: QueueTurn['queued']): Promise<string> {
  const position = (await queuePlaces(store)).get(runId);
  const why =
    queued.reason === 'max_running'
      ? 'the most runs the store may run at once are running (server.max_running)'
      : `concurrency key ${queued.key} is full${queued.behind && queued.behind.length > 0 ? `: run ${queued.behind[0]}${queued.behind.length > 1 ? ` and ${queued.behind.length - 1} more hold it` : ' holds it'}` : ''}`;
  const cancelling = queued.cancelling && queued.cancelling.length > 0 ? `; asked ${queued.cancelling.join(', ')} to cancel` : '';
  return `baton: run ${runId} queued${position === undefined ? '' : ` (position ${position})`}: ${why}${cancelling}. Waiting for its turn (Ctrl-C takes it out of the queue)`;
}

/** Every queued run's place in the queue (runs/admission.ts queuePositions). */
export async function queuePlaces(store: Store): Promise<Map<string, number>> {
  return queuePositions(await store.runs.listRuns({ status: 'queued', limit: 10_000 }));
}
