/**
 * The work queue (docs/decisions/0019-postgres.md): the tasks of runs that workers drive,
 * waiting for a worker to run them. The run's driver (the process holding the run's lease)
 * decides what starts; each attempt it starts becomes a work item, written with the
 * TaskStarted that starts it (AppendOptions.enqueue), so a crash can never leave one
 * without the other. Any worker subscribed to the item's queue claims it, runs it and
 * completes it with its result; the driver then records that result in the run's log and
 * takes the item out in the same append (AppendOptions.consume).
 *
 * A claim is a lease with a fence, checked by the store: a worker holds what it claimed
 * until `lease_until` (renewed by `extend`), and `complete` is refused for an item whose
 * claim has run out or was taken since (its fence moved on). So a worker that stopped
 * past its lease (SIGSTOP, a cut network) and comes back cannot record anything: its late
 * result is dropped, and it moves on. An item whose claim ran out is `lost`: its driver
 * records the attempt as interrupted and starts it again as a new attempt, with a new item.
 * One attempt is never run by two workers with live leases at once.
 *
 * Memory, SQLite and PostgreSQL implement it and pass one contract (contract-work.ts).
 */
import type { WaitOptions } from './event-waits.js';
import type { TaskError, TimedEvent } from './events.js';
import type { CircuitChange } from './circuits.js';

/** The queue whose workers drive a run, from its first event (RunCreated.workers; RunRecord.queue). */
export function workersQueueOf(first: TimedEvent | undefined): string | undefined {
  return first?.type === 'RunCreated' ? first.workers?.queue : undefined;
}

/** The queue a task or run names when it names none. */
export const DEFAULT_QUEUE = 'default';

/** One attempt of a task, for a worker to run. */
export interface WorkItem {
  run_id: string;
  task: string;
  attempt: number;
  /** The queue it waits in: only workers subscribed to it claim it. */
  queue: string;
  /** The namespace of its run: a worker limited to namespaces claims only theirs. */
  namespace: string;
}

export type WorkState = 'ready' | 'claimed' | 'done';

/** A work item as stored. */
export interface WorkRecord extends WorkItem {
  /** Increasing over the store: items are claimed oldest first. */
  id: number;
  state: WorkState;
  /** The worker that claimed it (ready: the last one, if any). */
  worker?: string;
  /** The number of its latest claim: every claim raises it. */
  fence: number;
  /** Until when the claim holds, by the store's clock. Set while claimed. */
  lease_until?: number;
  /** Claimed, and the claim ran out (by the store's clock, when read): nobody runs it any more. */
  lost: boolean;
  /** When it was enqueued and (last) claimed, by the store's clock. */
  enqueued_at: number;
  claimed_at?: number;
  /** How it ended, once done. */
  result?: WorkResult;
  /** The latest progress its worker reported while it runs (WorkQueue.progress), for its driver to record. */
  progress?: WorkProgress;
}

/**
 * A running attempt's progress as its worker reports it (ProgressInput, checked): the driver
 * records it as TaskProgress when it changed (engine/dispatch.ts).
 */
export interface WorkProgress {
  percent?: number;
  done?: number;
  total?: number;
  message?: string;
}

/**
 * What a worker reports of an attempt: the executor's result, or its error; and what the
 * attempt changed of its task's circuit breaker, for the driver to record (CircuitChanged).
 */
export type WorkResult = (
  | { ok: true; outputs: Record<string, unknown>; exit_code?: number }
  | { ok: false; error: TaskError; retryable: boolean }
) & {
  circuit_changes?: CircuitChange[];
  /** The attempt's last progress, if it reported any: recorded before its end when it changed since. */
  progress?: WorkProgress;
};

/** An item a worker holds: what it completes or extends it with. */
export interface WorkClaim {
  id: number;
  fence: number;
}

export type ClaimedWork = WorkRecord & { state: 'claimed'; lease_until: number };

export interface ClaimOptions {
  /** The worker's name (unique among live workers). */
  worker: string;
  /** Only items of these queues. */
  queues: readonly string[];
  /** Only items of these namespaces; all when unset. */
  namespaces?: readonly string[];
  /** At most this many. */
  limit: number;
  /** How long the claims hold without `extend`. */
  leaseMs: number;
}

/** A worker as it reports itself (WorkQueue.beat), for `baton workers`. */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  namespaces?: string[];
  concurrency: number;
  started_at: number;
  /** Items it runs now, and runs it drives now. */
  running: number;
  driving: number;
}

/** A worker as stored, with its last report by the store's clock. */
export interface WorkerRecord extends WorkerInfo {
  seen_at: number;
}

export interface WorkQueue {
  /**
   * Claims up to `limit` ready items of the given queues (and namespaces), oldest first,
   * for `worker`: each gets a fence one higher and a lease of `leaseMs` by the store's
   * clock. Of several workers claiming at once, each item goes to exactly one (PostgreSQL:
   * FOR UPDATE SKIP LOCKED, so they never wait on each other).
   */
  claim(options: ClaimOptions): Promise<ClaimedWork[]>;
  /** Renews the leases of the claims `worker` still holds; returns their ids (the others were lost). */
  extend(worker: string, claims: readonly WorkClaim[], leaseMs: number): Promise<number[]>;
  /**
   * Records results of claims `worker` holds: an item whose claim is still live and still
   * its own becomes `done` with its result; the others are refused, unchanged. Wakes the
   * drivers of their runs (waitForResults).
   */
  complete(worker: string, results: ReadonlyArray<WorkClaim & { result: WorkResult }>): Promise<{ accepted: number[]; refused: number[] }>;
  /**
   * Records the latest progress of claims `worker` holds (live and still its own; the others
   * are left alone), for their drivers to read at their next look. Returns the ids recorded.
   * Wakes nobody: a driver looks at its run's items every second while they run.
   */
  progress(worker: string, reports: ReadonlyArray<WorkClaim & { progress: WorkProgress }>): Promise<number[]>;
  /** Puts claims `worker` holds back to ready, unrun (a worker shutting down); their fence stays. */
  release(worker: string, claims: readonly WorkClaim[]): Promise<void>;
  /** The items of a run, oldest first: what its driver looks at for lost claims and leftovers. */
  ofRun(runId: string): Promise<WorkRecord[]>;
  /** The run's items that are done, oldest first: what its driver records when a worker wakes it (cheaper than ofRun). */
  results(runId: string): Promise<WorkRecord[]>;
  /** Items waiting or running, by queue: `baton workers`' view of the queue; with `namespace`, only its runs' items. */
  depth(namespace?: string): Promise<Array<{ queue: string; ready: number; claimed: number }>>;
  /** The items claimed now, by worker then age: what each worker runs (`baton workers`). */
  claimed(): Promise<WorkRecord[]>;
  /**
   * Resolves once an item may have been enqueued in one of `queues` (this process, or, on
   * PostgreSQL, any: LISTEN/NOTIFY), after `timeoutMs`, or when the signal fires.
   */
  waitForWork(queues: readonly string[], options: WaitOptions): Promise<void>;
  /** Resolves once a result of one of the run's items may have been recorded, after `timeoutMs`, or on the signal. */
  waitForResults(runId: string, options: WaitOptions): Promise<void>;
  /** Records a worker's report (its first, or a later one) with the store's clock. */
  beat(worker: WorkerInfo): Promise<void>;
  /** Workers seen within `withinMs` (by the store's clock), by name. */
  workers(withinMs: number): Promise<WorkerRecord[]>;
  /** A worker that stops says so: it leaves the list at once. */
  retire(name: string): Promise<void>;
}
