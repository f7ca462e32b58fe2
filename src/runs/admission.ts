/**
 * Which runs may start, for every front end that starts runs on a store: `baton serve`
 * and `baton run` decide with these same functions, inside the store's transactions
 * (store/queue.ts), so they honour one limit together.
 *
 * The model. A run asks for admission when a front end starts it (a child run does not: it
 * runs inside its parent's slot). It may start when both hold:
 * - its concurrency key (the workflow's `concurrency.key`, evaluated) has a free slot:
 *   fewer than `limit` admitted, unfinished runs of that key (running, waiting, or admitted
 *   and about to start);
 * - the global limit, when one is set (`server.max_running`, `baton serve --max-running`),
 *   has room: fewer admitted runs pending or running than it.
 * Otherwise it waits in the queue, which is ordered by priority (higher first), then by
 * arrival. The queue is walked in that order and every run that fits is admitted; a run
 * whose key is full is passed over (its key frees later), so one busy key does not hold
 * up the rest; once the global limit is reached nobody else is admitted.
 *
 * Strict priority, ties in arrival order: a queued run has ahead of it only runs of
 * higher priority, and runs of its own priority that came first. However many runs of a
 * lower priority arrive, before or after it, each free slot it can take goes to it before
 * them, so a flood of low-priority runs cannot starve a high one (no aging is needed for
 * that). The price is the converse: low-priority runs wait as long as higher ones keep
 * coming; give runs one priority where that is wrong (docs/decisions/0014).
 */
import type { OnConflict, TimedEvent } from '../store/events.js';
import { queueOrder, type QueueChange, type QueueSnapshot } from '../store/queue.js';
import type { RunRecord } from '../store/store.js';

export interface QueueLimits {
  /** Most admitted runs pending or running at once, over the store; default none. */
  maxRunning?: number;
}

/** Why a queued run may not start yet: its key is full, or the global limit is reached. */
export type QueueReason = 'concurrency' | 'max_running';

export interface Admissible {
  /** The queued runs that may start now, in queue order. */
  admitted: RunRecord[];
  /** Why each of the others may not. */
  blocked: Map<string, QueueReason>;
}

/**
 * Walks the queue in order and admits every run that fits (see the header). `passOver`:
 * runs to leave where they are without letting them take a slot (a `baton run` leaves runs
 * whose process died to `baton serve`).
 */
export function admissible(queue: QueueSnapshot, limits: QueueLimits, passOver?: (run: RunRecord) => boolean): Admissible {
  const used = new Map<string, number>();
  let running = queue.running;
  const out: Admissible = { admitted: [], blocked: new Map() };
  for (const run of queue.queued) {
    if (passOver?.(run)) continue;
    const key = run.concurrency_key;
    if (key !== undefined) {
      const taken = used.get(key) ?? queue.holding(key).length;
      used.set(key, taken);
      if (taken >= (run.concurrency_limit ?? 1)) {
        out.blocked.set(run.id, 'concurrency');
        continue;
      }
    }
    if (limits.maxRunning !== undefined && running >= limits.maxRunning) {
      out.blocked.set(run.id, 'max_running');
      continue;
    }
    out.admitted.push(run);
    running++;
    if (key !== undefined) used.set(key, used.get(key)! + 1);
  }
  return out;
}

/** The decision for a new run, as its admission records it (the store gives the queue without it). */
export function decideNewRun(run: RunRecord, onConflict: OnConflict, limits: QueueLimits, at: number, passOver?: (run: RunRecord) => boolean) {
  return (queue: QueueSnapshot): QueueChange[] => {
    const ahead = queue.queued.filter((other) => queueOrder(other, run) < 0);
    const { blocked } = admissible({ queued: [...ahead, { ...run, status: 'queued' }], holding: (key) => queue.holding(key), running: queue.running }, limits, passOver);
    const reason = blocked.get(run.id);
    if (reason === undefined) return [];
    const key = run.concurrency_key;
    const holders = key === undefined ? [] : queue.holding(key);
    const limit = run.concurrency_limit ?? 1;
    if (reason === 'concurrency' && onConflict === 'skip') {
      const who = holders.length > 0 ? `run ${holders[0].id}${holders.length > 1 ? ` and ${holders.length - 1} more` : ''} hold${holders.length === 1 ? 's' : ''} it` : 'runs queued before it take it';
      return [{ runId: run.id, events: [{ type: 'RunCancelled', reason: `skipped: concurrency key ${key} is full (limit ${limit}; ${who})`, skipped: true, at }] }];
    }
    const queued: TimedEvent = { type: 'RunQueued', priority: run.priority ?? 0, reason, at };
    if (key !== undefined) queued.key = key;
    if (reason === 'concurrency' && holders.length > 0) queued.behind = holders.slice(0, 10).map((h) => h.id);
    if (reason !== 'concurrency' || onConflict !== 'cancel-running') return [{ runId: run.id, events: [queued] }];
    // cancel-running: the runs queued for the key are superseded, and as many of those holding
    // it as make room (the oldest) are asked to cancel; this run starts once they have ended.
    const superseded = queue.queued.filter((other) => other.concurrency_key === key);
    queued.cancelling = holders.slice(0, Math.max(0, holders.length - limit + 1)).map((h) => h.id);
    return [
      ...superseded.map((other) => ({ runId: other.id, events: [{ type: 'RunCancelled' as const, reason: `superseded by run ${run.id} (concurrency key ${key}, on_conflict: cancel-running)`, at }] })),
      { runId: run.id, events: [queued] },
    ];
  };
}

/** Admits the queued runs that may start now (`only`: this one, if it may). */
export function admitQueued(limits: QueueLimits, at: number, options: { only?: string; passOver?: (run: RunRecord) => boolean } = {}) {
  return (queue: QueueSnapshot): QueueChange[] => {
    const { admitted } = admissible(queue, limits, options.passOver);
    const chosen = options.only === undefined ? admitted : admitted.filter((run) => run.id === options.only);
    return chosen.map((run) => ({ runId: run.id, events: [{ type: 'RunAdmitted', at }] }));
  };
}

/** Takes a queued run out of the queue (cancelled), if it is still queued. */
export function cancelIfQueued(runId: string, reason: string, at: number) {
  return (queue: QueueSnapshot): QueueChange[] => (queue.queued.some((run) => run.id === runId) ? [{ runId, events: [{ type: 'RunCancelled', reason, at }] }] : []);
}

/**
 * Each queued run's place (1: next): among the queued runs of its key, or, for a run with
 * no key, among all queued runs. `queued` in any order.
 */
export function queuePositions(queued: readonly RunRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new Map<string | undefined, number>();
  let all = 0;
  for (const run of [...queued].sort(queueOrder)) {
    all++;
    const key = run.concurrency_key;
    if (key === undefined) out.set(run.id, all);
    else {
      const place = (seen.get(key) ?? 0) + 1;
      seen.set(key, place);
      out.set(run.id, place);
    }
  }
  return out;
}
