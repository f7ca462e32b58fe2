import type { AccessStore } from './access.js';
import type { WaitOptions } from './event-waits.js';
import type { PoolStore } from './pools.js';
import type { TriggerStore } from './triggers.js';
import type { TimerStore } from './timers.js';
import type { RunStatus, StoredEvent, TaskError, TaskStatus, TimedEvent } from './events.js';
import type { QueueDecision, QueueRecorded } from './queue.js';
import type { WorkItem, WorkQueue } from './work.js';
import type { RunKey } from './idempotency.js';
import type { CircuitStore } from './circuits.js';
import type { StatsFilter, StatsRows } from './run-stats.js';
import type { Outbox, OutboxItem } from './outbox.js';
import type { RunFeed } from './run-feed.js';

/**
 * The storage seam. The engine talks only to these interfaces; memory, SQLite and
 * PostgreSQL implement them and pass the same contract tests (src/store/contract.ts).
 * Domain verbs only: no connections or transactions leak out.
 */

/**
 * The process that drives a run. A run whose owner is gone shows as `interrupted`. The
 * owner holds the run by a lease (RunRecord.lease_until) that its heartbeat renews, and
 * writes with the fence its claim was given (AppendOptions.fence).
 */
export interface RunOwner {
  host: string;
  pid: number;
  /** When that process started (ms since epoch): tells a reused pid from the owner. */
  started_at: number;
}

export interface RunRecord {
  id: string;
  /** The namespace it belongs to (its RunCreated's; `default` when that names none). */
  namespace: string;
  workflow: string;
  status: RunStatus;
  created_at: number;
  /** Time of the run's last event (its creation time before any). */
  updated_at: number;
  /** When it finished; unset while it runs (again, after `baton retry`). */
  ended_at?: number;
  /**
   * Its active time (store/active-time.ts): the closed stretches' total, and when the open
   * one began. Both unset for a run recorded before baton kept them.
   */
  active_ms?: number;
  active_since?: number;
  /** Who drives the run now; none once it finished or its owner let go. */
  owner?: RunOwner;
  /**
   * Workers drive it: the queue whose `baton worker`s may claim it (its RunCreated's
   * `workers`). Unset: the process that created it drives it.
   */
  queue?: string;
  /** Last sign of life from the owner (ms since epoch). */
  heartbeat_at?: number;
  /**
   * Until when the owner's claim holds without another heartbeat, by the store's clock
   * (PostgreSQL's own for a shared store): past it, anyone may claim the run. Set while
   * the run has an owner.
   */
  lease_until?: number;
  /**
   * The number of the claim the current (or last) owner holds the run by: every claim by
   * a new owner raises it. An append that names an older one is refused (STORE_LEASE_LOST),
   * so a process that lost the run (stopped past its lease, cut off) can record nothing
   * more in it. Unset for a run never owned.
   */
  fence?: number;
  /**
   * Set by `baton cancel` from another process; the owner sees it at its next heartbeat.
   * Cleared when the run finishes.
   */
  cancel_requested?: string;
  /** With cancel_requested: the cancel asks for the run's succeeded tasks to be undone (`baton cancel --compensate`). */
  cancel_compensate?: true;
  /**
   * What it asked of the run queue (store/queue.ts): its priority, and its concurrency key
   * with that key's limit. Unset for a run that asked nothing (a child run).
   */
  priority?: number;
  concurrency_key?: string;
  concurrency_limit?: number;
  /**
   * The idempotency key the run holds (store/idempotency.ts): unset when it was started
   * without one, and once its retention passed and a newer run took the key over.
   */
  idempotency_key?: string;
  /** What fired it (its RunCreated's trigger: schedule, webhook, file_change, event, message); unset: started by hand. */
  trigger?: string;
}

export interface RunFilter {
  /** Only this namespace's runs. */
  namespace?: string;
  workflow?: string;
  status?: RunStatus;
  /** Only runs created at or after this time (ms since epoch). */
  since?: number;
  /** Only the run holding this idempotency key (with `namespace`, of that namespace). */
  idempotency_key?: string;
  /** Only runs fired by this kind of trigger (RunRecord.trigger); `manual`: only runs started by hand. */
  trigger?: string;
  /** How many, most recent (created_at, then id) first; default 20. */
  limit?: number;
  /** Only runs after this one in that order (older): the last run of a page, to get the next page. */
  before?: { created_at: number; id: string };
}

/** What RunStore.countRuns counts. */
export interface RunCountQuery {
  /** Only this namespace's runs. */
  namespace?: string;
  /** Times (ms since epoch): count the runs that ended failed at or after each. Default none. */
  failedSince?: readonly number[];
}

/** Runs counted by RunStore.countRuns. */
export interface RunCounts {
  /** Unfinished runs by their stored status (a running run whose owner is gone is still `running` here). */
  pending: number;
  running: number;
  waiting: number;
  queued: number;
  /** The runs that failed at or after each time of `failedSince`, in its order. */
  failed: number[];
}

/** One task of a run as the projection keeps it (rebuilt from events at any time). */
export interface TaskRecord {
  key: string;
  status: TaskStatus;
  /** Latest attempt; 0 before the first. */
  attempt: number;
  /** First start of the first attempt, and latest start. */
  first_started_at?: number;
  started_at?: number;
  ended_at?: number;
  exit_code?: number;
  outputs?: Record<string, unknown>;
  error?: TaskError;
  /** Why it was skipped or cancelled. */
  reason?: string;
  /** When a scheduled retry comes due. */
  retry_at?: number;
  /**
   * The latest progress its current attempt reported (TaskProgress), and when. Cleared when
   * an attempt starts (a new attempt starts over) and when `baton retry` reopens the task;
   * kept after the attempt ends, so a failed task shows how far it got.
   */
  progress?: ProgressReport;
}

/** A task's reported progress as its row keeps it: at least one of percent and done/total. */
export interface ProgressReport {
  /** 0..100. */
  percent?: number;
  /** Items done of `total`. */
  done?: number;
  total?: number;
  message?: string;
  /** When it was recorded (ms since epoch). */
  at: number;
}

/** What an append may ask of the store besides recording the events. */
export interface AppendOptions {
  /**
   * The fence of the writer's claim (RunRecord.fence): when the run was claimed since by
   * another owner, nothing is recorded and the append fails with STORE_LEASE_LOST.
   */
  fence?: number;
  /**
   * The sequence number of the run's last event as the writer saw it: when another event
   * was recorded since, nothing is recorded and the append fails with STORE_SEQ_CONFLICT.
   */
  expectedSeq?: number;
  /** Work items for workers (store/work.ts), enqueued with the events (the TaskStarted that starts each). */
  enqueue?: readonly WorkItem[];
  /** Work items of this run the events take out (their results recorded, or their claims lost). */
  consume?: readonly number[];
  /** Notifications the events cause (store/outbox.ts), written with them; a key already held counts a repeat. */
  notices?: readonly OutboxItem[];
}

/** How long a claim on a run holds without a heartbeat, unless the claimer asks otherwise. */
export const LEASE_MS = 30_000;

/** A run as createRun records it. With an owner, the run is claimed by it (fence 1) for `lease_ms` (default LEASE_MS). */
export interface NewRunRecord {
  id: string;
  workflow: string;
  created_at: number;
  owner?: RunOwner;
  lease_ms?: number;
  /**
   * Its idempotency key (store/idempotency.ts), unique in its namespace among the runs that
   * hold one within their retention. Default: none.
   */
  idempotency?: RunKey;
}

export type ClaimResult =
  | { claimed: true; record: RunRecord }
  | { claimed: false; record: RunRecord };

/**
 * Runs and their event logs. A run's status follows its events (RunStarted -> running,
 * RunSucceeded/Failed/Cancelled -> that status): stores keep it as a projection of the
 * log and never take it from anywhere else.
 */
export interface RunStore {
  /**
   * Creates the run with its first events, owned by `owner` when given. Fails with
   * STORE_RUN_EXISTS if the id is taken. With an idempotency key, fails with a KeyHeldError
   * (STORE_IDEMPOTENCY_KEY_HELD, naming the run) when a run of the namespace created within
   * the key's retention holds it; a run that held it longer ago gives it up to the new one.
   * Of several creates with one key at once, in any processes, exactly one records its run. With `admit` (a run that asked for admission in
   * its RunCreated), the queue as it is without the new run is given to `admit` in the
   * same transaction, and what it decides is recorded with the run (RunQueued for it,
   * RunCancelled for runs it supersedes...). Returns the new run's events.
   */
  createRun(
    run: NewRunRecord,
    events: TimedEvent[],
    admit?: QueueDecision,
  ): Promise<StoredEvent[]>;
  /**
   * Gives `decide` the queue (store/queue.ts) and records what it decides, in one
   * transaction: the way queued runs are admitted (RunAdmitted) or cancelled. Returns what
   * was recorded. STORE_RUN_NOT_FOUND, and nothing recorded, when it names an unknown run.
   */
  decideQueue(decide: QueueDecision): Promise<QueueRecorded[]>;
  /**
   * Appends events atomically: all of them are recorded, or none, together with the task
   * projection they change. The engine puts a task's result and what it makes ready in
   * one call, so a crash cannot split them. Returns the stored events with their sequence
   * numbers (stores may number the given objects in place rather than copy them). When the
   * events finish the run, its owner, lease and any cancel request are cleared with them.
   * STORE_RUN_NOT_FOUND for an unknown run; STORE_LEASE_LOST and STORE_SEQ_CONFLICT as
   * `options` say.
   */
  append(runId: string, events: TimedEvent[], options?: AppendOptions): Promise<StoredEvent[]>;
  /** Events of a run in order, from `afterSeq` (exclusive) on. */
  readEvents(runId: string, afterSeq?: number): Promise<StoredEvent[]>;
  /**
   * The run's events after `afterSeq` as soon as there are any (at once when there are
   * already), whoever appends them, this process or another sharing the store; none when
   * `timeoutMs` passes or the signal fires first. For watching a run without polling it
   * (store/event-waits.ts). STORE_RUN_NOT_FOUND for an unknown run.
   */
  waitForEvents(runId: string, afterSeq: number, options: WaitOptions): Promise<StoredEvent[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** The run's tasks from the projection, in the order they first appeared in its events. */
  listTasks(runId: string): Promise<TaskRecord[]>;
  /**
   * The runs created since `filter.since` (of a namespace, of a workflow) and their tasks'
   * times, in one read: what `baton metrics` folds (store/run-stats.ts).
   */
  runStats(filter: StatsFilter): Promise<StatsRows>;
  /**
   * How many runs there are, from the indexes alone (never reading the runs, so as cheap
   * with 100,000 runs as with ten): the unfinished ones by stored status, and the runs that
   * failed at or after each time of `failedSince`. For dashboards (runs/overview.ts).
   */
  countRuns(query?: RunCountQuery): Promise<RunCounts>;
  /** The runs that ended last, the latest end first (then id): `limit` of them, default 20. */
  listEnded(query?: { namespace?: string; limit?: number }): Promise<RunRecord[]>;
  /**
   * The full id of the one run whose id starts with `prefix` (case-insensitive), like git;
   * an id given in full wins over longer ids it starts. STORE_RUN_NOT_FOUND when none does
   * (or the prefix is empty), STORE_RUN_AMBIGUOUS (listing some) when several do. With
   * `namespace`, only that namespace's runs count: another's is not found, as if it did not exist.
   */
  resolveRunId(prefix: string, namespace?: string): Promise<string>;
  /**
   * Takes ownership of a run, atomically: it succeeds when the run has no owner, when
   * `owner` already holds it, when the holder's lease has run out by the store's clock,
   * or when `isGone(record)` says the holder is gone (a process on this host that no
   * longer exists). Of two processes claiming at once, exactly one succeeds. Sets
   * heartbeat_at to `at`, the lease to `leaseMs` (default LEASE_MS) from now by the
   * store's clock, and, when the owner changes, raises the fence. The record returned is
   * the run as claimed, or, when refused, as its holder has it.
   */
  claimRun(runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs?: number): Promise<ClaimResult>;
  /**
   * The owner's sign of life: heartbeat_at becomes `at` and the lease is renewed for
   * `leaseMs` (default LEASE_MS) if `owner` still holds the run. Returns the run as it is
   * now: the owner sees a cancel request, or that another process took the run over
   * (then `owner` differs).
   */
  heartbeat(runId: string, owner: RunOwner, at: number, leaseMs?: number): Promise<RunRecord>;
  /**
   * Claims, for a worker, one run that workers drive (RunRecord.queue in `queues`, its
   * namespace in `namespaces` when given), pending or running, or waiting with a timer due
   * (store/timers.ts), that nobody holds, or whose holder's lease ran out by the store's clock: oldest first, as claimRun claims it (the
   * fence raised, the lease `leaseMs` from now). Of several workers claiming at once, each
   * run goes to one. Undefined when there is none.
   */
  claimNextRun(owner: RunOwner, at: number, options: { queues: readonly string[]; namespaces?: readonly string[]; leaseMs: number }): Promise<RunRecord | undefined>;
  /** Gives the run up (owner and lease cleared, the fence kept) if `owner` holds it. */
  releaseRun(runId: string, owner: RunOwner): Promise<void>;
  /**
   * Asks the owner of a running run to cancel it (`baton cancel` from another process).
   * Does nothing to a finished run.
   */
  requestCancel(runId: string, reason: string, options?: CancelOptions): Promise<void>;
  /**
   * Rebuilds the task projection of a run (or of every run), its status and its timers
   * (store/timers.ts), from its events; the rows come out exactly as appending kept them.
   */
  rebuildProjection(runId?: string): Promise<void>;
  close(): Promise<void>;
}

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  task: string;
  attempt: number;
  stream: LogStream;
  at: number;
  /** One line of output, without its line break. */
  text: string;
}

export interface LogQuery {
  /** Only this task's lines (all its attempts). */
  task?: string;
  /** Only lines written at or after this time (ms since epoch). */
  since?: number;
  /** Only the last N lines (after the other filters). */
  tail?: number;
  /**
   * Resume where an earlier read stopped (its `cursor`), for `baton logs --follow`:
   * only lines written since are returned. A line still being written (no line break yet)
   * is returned by the first read after it is complete, never in part.
   */
  cursor?: LogCursor;
}

/**
 * Where a read of a run's logs stopped; opaque to callers, but plain JSON, so another
 * process (or a later command) can follow on from it.
 */
export type LogCursor = Readonly<Record<string, number>>;

export interface LogPage {
  lines: LogLine[];
  cursor: LogCursor;
}

/**
 * Where task output goes: in full, streamed to its destination as it arrives, never held
 * whole in memory. Chunks may split lines anywhere; the store joins them into lines.
 */
export interface LogStore {
  /**
   * Adds output of an attempt. Lines are stamped with the time their last chunk arrived;
   * an unterminated line longer than 64 KiB is cut into lines of that size. Throws a
   * StoreError (STORE_DISK_FULL, STORE_READONLY...) if it cannot be kept.
   */
  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void;
  /** The attempt's output is complete: a partial last line is written out, files closed. */
  end(runId: string, task: string, attempt: number): void;
  /** Lines in time order. Bounded by the caller through `tail` / `cursor` for big logs. */
  read(runId: string, query?: LogQuery): Promise<LogPage>;
  /**
   * Calls `each` for every line in time order, streamed (for export and huge logs). When
   * `each` returns a promise (its reader is behind), the next line waits for it. When it
   * returns `false`, the read stops before that line, and the cursor returned resumes at
   * it (reading a log a page at a time). `next` is where the line's attempt resumes after
   * it: a cursor holding `{[cursorKey(line.task, line.attempt)]: next}` gives that
   * attempt's lines after this one (a live stream's position, line by line).
   */
  forEach(runId: string, each: (line: LogLine, next: number) => unknown, query?: Omit<LogQuery, 'tail'>): Promise<LogCursor>;
  /**
   * The key of an attempt's position in a cursor. A position at or past the attempt's end
   * (Number.MAX_SAFE_INTEGER) leaves it out of reads from that cursor.
   */
  cursorKey(task: string, attempt: number): string;
  /**
   * Watches a run's output for a reader that follows it: `changed` says when there may be
   * more to read. Start it before the first read, so nothing written after that read is missed.
   */
  watch(runId: string): LogWatch;
  close(): Promise<void>;
}

/** A run's output being watched (LogStore.watch); close it when done. */
export interface LogWatch {
  /**
   * Resolves once output may have been added since the watch began or since the last call
   * resolved (at once if it has), or when `timeoutMs` passes or the signal fires. Another
   * process's writes are seen where the file system reports them, so readers that must not
   * wait long (a run still going) keep `timeoutMs` modest.
   */
  changed(options: WaitOptions): Promise<void>;
  close(): void;
}

export interface Store {
  /** What it is, for messages: `memory`, or the SQLite file's path. */
  readonly location: string;
  runs: RunStore;
  logs: LogStore;
  /** Resource pools: what tasks hold of them (store/pools.ts). */
  pools: PoolStore;
  /** What `baton serve`'s triggers keep (store/triggers.ts). */
  triggers: TriggerStore;
  /** The due times runs' events set, kept with them (store/timers.ts). */
  timers: TimerStore;
  /** API tokens and the audit trail (store/access.ts). */
  access: AccessStore;
  /** Tasks waiting for workers (store/work.ts). */
  work: WorkQueue;
  /** Circuit breakers: the state of each named circuit (store/circuits.ts). */
  circuits: CircuitStore;
  /** Notifications to send (store/outbox.ts). */
  outbox: Outbox;
  /** Every run's events in commit order, for readers that follow the whole store (store/run-feed.ts). */
  feed: RunFeed;
  close(): Promise<void>;
}

/** How a cancel is asked for (RunStore.requestCancel). */
export interface CancelOptions {
  /** Undo the run's succeeded tasks before it ends (engine/compensation.ts). */
  compensate?: boolean;
}
