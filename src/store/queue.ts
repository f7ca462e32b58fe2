/**
 * The run queue as the store keeps it: the concurrency key, its limit and the priority of
 * each run that asked for admission (RunCreated's `admission`), and the runs waiting
 * (status `queued`). Which runs may start is decided above the store (runs/admission.ts);
 * the store gives that decision a consistent view and records what it decides in the same
 * transaction, so two processes sharing a store (a `baton serve` and a `baton run`) can
 * never both take the last slot of a key.
 *
 * Who holds a slot: a run of the key that was admitted and has not finished (pending,
 * running or waiting). A run is admitted when it is recorded without a RunQueued, or by
 * its RunAdmitted. What the global limit counts: admitted runs pending or running (a run
 * waiting for an approval or an event holds its key, not a share of the machine).
 */
import type { RunAdmissionAsk, RunStatus, StoredEvent, TimedEvent } from './events.js';
import type { RunRecord } from './store.js';

/** What a decision sees, inside the transaction that records it. */
export interface QueueSnapshot {
  /** The queued runs in the order they start: priority (higher first), then arrival (created_at, id). */
  readonly queued: readonly RunRecord[];
  /** The runs holding a slot of `key`, oldest first. */
  holding(key: string): RunRecord[];
  /** Admitted runs pending or running: what a global limit counts. */
  readonly running: number;
}

/** Events a decision records for one run. */
export interface QueueChange {
  runId: string;
  events: TimedEvent[];
}

/** A decision over the queue: the events to record, run by run (none: nothing changes). */
export type QueueDecision = (queue: QueueSnapshot) => QueueChange[];

/** A change as recorded: its events numbered. */
export interface QueueRecorded {
  runId: string;
  events: StoredEvent[];
}

/** Queued runs read for a decision, at most: past it, the last ones wait for a later look. */
export const QUEUE_SCAN = 10_000;

/** Statuses of runs holding a slot of their key. */
export const HOLDING_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting'];
/** Statuses the global limit counts. */
export const RUNNING_STATUSES: readonly RunStatus[] = ['pending', 'running'];

/** What a run asked of the queue, from its first event; undefined for a run that asked nothing. */
export function admissionOf(first: TimedEvent | undefined): RunAdmissionAsk | undefined {
  return first?.type === 'RunCreated' ? first.admission : undefined;
}

/** The queue fields of a run record, from what it asked (set on the record only when asked). */
export function queueFields(ask: RunAdmissionAsk | undefined): Pick<RunRecord, 'priority' | 'concurrency_key' | 'concurrency_limit'> {
  if (ask === undefined) return {};
  const out: Pick<RunRecord, 'priority' | 'concurrency_key' | 'concurrency_limit'> = { priority: ask.priority };
  if (ask.concurrency) {
    out.concurrency_key = ask.concurrency.key;
    out.concurrency_limit = ask.concurrency.limit;
  }
  return out;
}

/** The queue's order: priority (higher first), then arrival. For stores that sort in code. */
export function queueOrder(a: RunRecord, b: RunRecord): number {
  return (b.priority ?? 0) - (a.priority ?? 0) || a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** One change per run, events in the order decided: a store appends to a run once per decision. */
export function mergeByRun(changes: QueueChange[]): QueueChange[] {
  const byRun = new Map<string, TimedEvent[]>();
  for (const change of changes) byRun.set(change.runId, [...(byRun.get(change.runId) ?? []), ...change.events]);
  return [...byRun].map(([runId, events]) => ({ runId, events }));
}
