/**
 * Runs, events and the task projection in SQLite (schema in migrations/, statements in
 * queries.sql). Every change is one transaction: events, the task rows they change and the
 * run's status commit together or not at all.
 *
 * Appends are the hot path (one per task completion). To keep them cheap this process
 * caches the task rows of the runs it appends to, so folding an event needs no SELECT.
 * Only a run's owner appends to it, but the cache does not rely on that: it is tagged with
 * the run's last event number, checked inside every append transaction, and reloaded from
 * the table when another process has appended since.
 */
import { namespaceOf } from '../events.js';
import { EventWaiters, type WaitOptions } from '../event-waits.js';
import { leaseLost, runExists, runNotFound, seqConflict } from '../errors.js';
import type { StoredEvent, TimedEvent } from '../events.js';
import { mayClaim, sameOwner } from '../ownership.js';
import { FINISHED_RUN_STATUSES, projectTasks } from '../projection.js';
import { admissionOf, mergeByRun, type QueueChange, type QueueDecision, type QueueRecorded } from '../queue.js';
import { asciiUpper, foldStatus, movesRun, pickRunId, runFold, triggerOf, type RunFold } from '../records.js';
import { LEASE_MS, type AppendOptions, type CancelOptions, type ClaimResult, type NewRunRecord, type RunCountQuery, type RunCounts, type RunFilter, type RunOwner, type RunRecord, type RunStore, type TaskRecord } from '../store.js';
import type { Database } from './driver.js';
import { SqliteQueue } from './sqlite-queue.js';
import { taskValues, toRecord, toTask, type RunRow, type TaskRow } from '../rows.js';
import { parseRow } from './sqlite-rows.js';
import { prepareStatements, RowInserter, type Statements } from './statements.js';
import { SqliteTimers } from './sqlite-timers.js';
import { SqliteWorkQueue } from './sqlite-work.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { FileHealth } from './file-health.js';
import { SqliteRunCounts } from './sqlite-run-counts.js';
import { workersQueueOf } from '../work.js';
import { TimerUpkeep } from '../timers.js';
import { KeyHeldError, keyCutoff, type RunKey } from '../idempotency.js';
import type { StatsFilter, StatsRows } from '../run-stats.js';
import { sqliteRunStats } from './sqlite-run-stats.js';

/** Files larger than this are not quick_check'ed before a stored run goes on (~1 s at this size). */

/** Runs whose task rows are cached; the oldest is dropped beyond this. */
const MAX_CACHED_RUNS = 64;

interface TaskCache {
  /** The run's last event number these rows include. */
  seq: number;
  /** In position order: a task's position is its index. */
  tasks: Map<string, TaskRecord>;
}

type NewRun = NewRunRecord;

/** What a decision over the queue recorded, not yet numbered: each run's events and append. */
type Decided = Array<{ change: QueueChange; done: Appended }>;

interface Appended {
  seq: number;
  changed: Map<string, TaskRecord>;
  cache: TaskCache;
  finished: boolean;
}

export class SqliteRunStore implements RunStore {
  private readonly q: Statements;
  private readonly eventRows: RowInserter;
  private readonly taskRows: RowInserter;
  private readonly cache = new Map<string, TaskCache>();
  private readonly appendTx: (runId: string, events: TimedEvent[], options?: AppendOptions) => Appended;
  private readonly createTx: (run: NewRun, events: TimedEvent[], admit?: QueueDecision) => { own: Appended; events: TimedEvent[]; others: Decided };
  private readonly queueTx: (decide: QueueDecision) => Decided;
  private readonly queue: SqliteQueue;
  private readonly claimTx: (runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs: number) => ClaimResult;
  private readonly claimNextTx: (owner: RunOwner, at: number, options: NextRunOptions) => RunRecord | undefined;
  private readonly rebuildTx: (runId: string) => void;
  private readonly waiters = new EventWaiters();
  private readonly counts: SqliteRunCounts;
  /** Driver errors as StoreErrors; no writes once the file is known damaged (file-health.ts). */
  private readonly health: FileHealth;
  /** The runs' timers, kept in the append transactions (store/timers.ts). */
  readonly timers: SqliteTimers;
  /** The work queue, whose items are written and taken out in the append transactions (store/work.ts). */
  readonly work: SqliteWorkQueue;
  /** The notification outbox, whose items a run's events cause are written in the append transactions (store/outbox.ts). */
  readonly outbox: SqliteOutbox;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.q = prepareStatements(db);
    this.health = new FileHealth(db, file);
    this.counts = new SqliteRunCounts(db);
    this.timers = new SqliteTimers(db, file);
    this.work = new SqliteWorkQueue(db, file);
    this.outbox = new SqliteOutbox(db, file);
    this.eventRows = new RowInserter(db, 'insertEvents', 5);
    this.taskRows = new RowInserter(db, 'upsertTasks', 14);
    const append = db.transaction((runId: string, events: TimedEvent[], options?: AppendOptions) => this.appendNow(runId, events, options));
    this.appendTx = append.immediate;
    this.queue = new SqliteQueue(db);
    const create = db.transaction((run: NewRun, events: TimedEvent[], admit?: QueueDecision) => {
      if (this.q.getRun.get(run.id)) throw runExists(run.id);
      const namespace = namespaceOf(events[0]);
      const key = run.idempotency;
      if (key) this.takeKey(namespace, run.created_at, key);
      // The queue as it is without the new run, which is then recorded with what was decided.
      const changes = mergeByRun(admit ? admit(this.queue.snapshot()) : []);
      const owner = run.owner;
      this.q.insertRun.run(
        run.id,
        namespace,
        run.workflow,
        run.created_at,
        run.created_at,
        owner?.host ?? null,
        owner?.pid ?? null,
        owner?.started_at ?? null,
        owner ? run.created_at : null,
        owner ? run.created_at + (run.lease_ms ?? LEASE_MS) : null,
        owner ? 1 : null,
        workersQueueOf(events[0]) ?? null,
        key?.key ?? null,
        key?.fingerprint ?? null,
      );
      const trigger = triggerOf(events[0]);
      if (trigger !== undefined) this.q.setTrigger.run(trigger, run.id);
      const ask = admissionOf(events[0]);
      if (ask) this.queue.setFields(run.id, ask);
      const mine = changes.find((c) => c.runId === run.id)?.events ?? [];
      const all = mine.length > 0 ? [...events, ...mine] : events;
      const own = this.appendNow(run.id, all);
      return { own, events: all, others: this.appendChanges(changes.filter((c) => c.runId !== run.id)) };
    });
    this.createTx = create.immediate;
    this.queueTx = db.transaction((decide: QueueDecision) => this.appendChanges(mergeByRun(decide(this.queue.snapshot())))).immediate;
    this.claimTx = db.transaction((runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs: number): ClaimResult => {
      const record = this.record(runId);
      if (!mayClaim(record, owner, at, isGone)) return { claimed: false, record };
      const fence = sameOwner(record.owner, owner) ? (record.fence ?? 1) : (record.fence ?? 0) + 1;
      this.q.setOwner.run(owner.host, owner.pid, owner.started_at, at, at + leaseMs, fence, runId);
      return { claimed: true, record: { ...record, owner: { ...owner }, heartbeat_at: at, lease_until: at + leaseMs, fence } };
    }).immediate;
    this.claimNextTx = db.transaction((owner: RunOwner, at: number, options: NextRunOptions): RunRecord | undefined => {
      const id = this.q.nextRunForWorkers.pluck().get({
        queues: JSON.stringify(options.queues),
        namespaces: options.namespaces === undefined ? null : JSON.stringify(options.namespaces),
        at,
      }) as string | undefined;
      if (id === undefined) return undefined;
      const record = this.record(id);
      // Raised even when this process held it before: a worker drives many runs under one
      // identity, and its session that lost the lease must not write on beside the new one.
      const fence = (record.fence ?? 0) + 1;
      this.q.setOwner.run(owner.host, owner.pid, owner.started_at, at, at + options.leaseMs, fence, id);
      return { ...record, owner: { ...owner }, heartbeat_at: at, lease_until: at + options.leaseMs, fence };
    }).immediate;
    this.rebuildTx = db.transaction((runId: string) => this.rebuildNow(runId)).immediate;
  }

  createRun(run: NewRun, events: TimedEvent[], admit?: QueueDecision): Promise<StoredEvent[]> {
    return this.health.write(run.id, () => {
      const done = this.createTx(run, events, admit);
      const stored = this.numbered(run.id, done.events, done.own);
      this.decided(done.others);
      return stored;
    });
  }

  decideQueue(decide: QueueDecision): Promise<QueueRecorded[]> {
    return this.health.write(undefined, () => this.decided(this.queueTx(decide)));
  }

  /** Inside a transaction: each change's events appended to its run. */
  private appendChanges(changes: QueueChange[]): Decided {
    return changes.map((change) => ({ change, done: this.appendNow(change.runId, change.events) }));
  }

  /** After commit: a decision's events numbered, and their runs' waiters woken. */
  private decided(done: Decided): QueueRecorded[] {
    return done.map(({ change, done: appended }) => {
      const events = this.numbered(change.runId, change.events, appended);
      if (events.length > 0) this.waiters.notify(change.runId);
      return { runId: change.runId, events };
    });
  }

  append(runId: string, events: TimedEvent[], options?: AppendOptions): Promise<StoredEvent[]> {
    return this.health.write(runId, () => {
      const stored = this.numbered(runId, events, this.appendTx(runId, events, options));
      // Committed: whoever waits for this run's events, or for work it enqueued, looks again.
      if (stored.length > 0) this.waiters.notify(runId);
      if (options?.enqueue?.length) this.work.enqueued(options.enqueue);
      return stored;
    });
  }

  /**
   * Appends of this process wake a waiter at once; another process's commits change
   * SQLite's data_version, which a waiter reads every few ms (a pragma, no query of the
   * events) and reads the events again only when it moved.
   */
  waitForEvents(runId: string, afterSeq: number, options: WaitOptions): Promise<StoredEvent[]> {
    let version = this.dataVersion();
    const changedElsewhere = () => {
      const now = this.dataVersion();
      if (now === version) return false;
      version = now;
      return true;
    };
    return this.waiters.wait(runId, afterSeq, () => this.readEvents(runId, afterSeq), options, changedElsewhere);
  }

  /** Changes when another connection commits to the file (SQLite's PRAGMA data_version). */
  private dataVersion(): number {
    try {
      return this.db.pragma('data_version', { simple: true }) as number;
    } catch {
      return -1; // closed or failing: the next read says why
    }
  }

  readEvents(runId: string, afterSeq = 0): Promise<StoredEvent[]> {
    return this.health.read(() => {
      const rows = this.q.readEvents.all(runId, afterSeq) as { seq: number; data: string }[];
      if (rows.length === 0) this.record(runId);
      return rows.map((row) => {
        const event = parseRow(row.data, this.file) as StoredEvent;
        event.seq = row.seq;
        return event;
      });
    });
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.health.read(() => {
      const row = this.q.getRun.get(runId) as RunRow | undefined;
      return row && toRecord(row);
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.health.read(() => {
      const rows = (filter.status === undefined ? this.q.listRuns : this.q.listRunsOfStatus).all({
        namespace: filter.namespace ?? null,
        workflow: filter.workflow ?? null,
        status: filter.status ?? null,
        since: filter.since ?? null,
        idempotency_key: filter.idempotency_key ?? null,
        trigger: filter.trigger ?? null,
        before_at: filter.before?.created_at ?? null,
        before_id: filter.before?.id ?? null,
        limit: Math.max(0, filter.limit ?? 20),
      }) as RunRow[];
      return rows.map(toRecord);
    });
  }

  countRuns(query: RunCountQuery = {}): Promise<RunCounts> {
    return this.health.read(() => this.counts.count(query));
  }

  listEnded(query: { namespace?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return this.health.read(() => this.counts.listEnded(query));
  }

  listTasks(runId: string): Promise<TaskRecord[]> {
    return this.health.read(() => {
      const rows = this.q.listTasks.all(runId) as TaskRow[];
      if (rows.length === 0) this.record(runId);
      return rows.map(toTask);
    });
  }

  private statsOf?: (filter: StatsFilter) => StatsRows;

  runStats(filter: StatsFilter): Promise<StatsRows> {
    return this.health.read(() => (this.statsOf ??= sqliteRunStats(this.db))(filter));
  }

  resolveRunId(prefix: string, namespace?: string): Promise<string> {
    return this.health.read(() => {
      if (prefix !== '' && (namespace === undefined ? this.q.getRun.get(prefix) : this.q.runNamespace.pluck().get(prefix) === namespace)) return prefix;
      const from = asciiUpper(prefix);
      const ns = namespace ?? null;
      const ids = prefix === '' ? [] : (this.q.runsWithPrefix.pluck().all(from, `${from}\u{10FFFF}`, ns, ns, 6) as string[]);
      return pickRunId(prefix, ids);
    });
  }

  claimRun(runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs = LEASE_MS): Promise<ClaimResult> {
    return this.health.write(runId, () => {
      this.health.checkBeforeContinuing(runId);
      return this.claimTx(runId, owner, at, isGone, leaseMs);
    });
  }

  claimNextRun(owner: RunOwner, at: number, options: NextRunOptions): Promise<RunRecord | undefined> {
    return this.health.write(undefined, () => this.claimNextTx(owner, at, options));
  }

  heartbeat(runId: string, owner: RunOwner, at: number, leaseMs = LEASE_MS): Promise<RunRecord> {
    return this.health.write(runId, () => {
      this.q.heartbeat.run(at, at + leaseMs, runId, owner.host, owner.pid, owner.started_at);
      return this.record(runId);
    });
  }

  releaseRun(runId: string, owner: RunOwner): Promise<void> {
    return this.health.write(runId, () => {
      const { changes } = this.q.releaseRun.run(runId, owner.host, owner.pid, owner.started_at);
      if (changes === 0) this.record(runId);
    });
  }

  requestCancel(runId: string, reason: string, options: CancelOptions = {}): Promise<void> {
    return this.health.write(runId, () => {
      const { changes } = this.q.requestCancel.run(reason, options.compensate ? 1 : 0, runId);
      if (changes === 0) this.record(runId);
    });
  }

  rebuildProjection(runId?: string): Promise<void> {
    return this.health.write(runId, () => {
      const ids = runId === undefined ? (this.q.allRunIds.pluck().all() as string[]) : [runId];
      for (const id of ids) {
        this.cache.delete(id);
        this.rebuildTx(id);
      }
    });
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }

  /**
   * Inside the create transaction, which holds the file's write lock: the key is free, or
   * its holder's retention passed and it gives the key up; KeyHeldError when it holds it still.
   */
  private takeKey(namespace: string, at: number, wanted: RunKey): void {
    const row = this.q.keyHolder.get(namespace, wanted.key) as (RunRow & { idempotency_fingerprint: string | null }) | undefined;
    if (row === undefined) return;
    if (row.created_at >= keyCutoff(at, wanted.retention_ms)) throw new KeyHeldError(wanted.key, toRecord(row), row.idempotency_fingerprint ?? '');
    this.q.giveUpKey.run(row.id);
  }

  private record(runId: string): RunRecord {
    const row = this.q.getRun.get(runId) as RunRow | undefined;
    if (!row) throw runNotFound(runId);
    return toRecord(row);
  }

  /** Inside a transaction: records events and their projection. The cache changes only after commit. */
  private appendNow(runId: string, events: TimedEvent[], options?: AppendOptions): Appended {
    // The run exists, and its last event number. Its row is not rewritten (updated_at is read
    // from its last event): a step of a code run is one event row and one task row.
    const last = this.q.lastSeq.get(runId) as { seq: number; fence: number | null } | undefined;
    if (!last) throw runNotFound(runId);
    if (options?.fence !== undefined && last.fence !== options.fence) throw leaseLost(runId, options.fence, last.fence ?? undefined);
    if (options?.expectedSeq !== undefined && last.seq !== options.expectedSeq) throw seqConflict(runId, options.expectedSeq, last.seq);
    // The work items go with the events that start or record them (store/work.ts).
    if (options?.consume?.length) this.work.consume(runId, options.consume);
    if (options?.enqueue?.length) this.work.enqueue(options.enqueue);
    // Notifications go with the events that cause them (store/outbox.ts).
    if (options?.notices?.length) this.outbox.addNow(options.notices, events.at(-1)?.at ?? Date.now());
    let cache = this.cache.get(runId);
    if (!cache || cache.seq !== last.seq) cache = this.loadCache(runId, last.seq);
    const changed = new Map<string, TaskRecord>();
    if (events.length === 0) return { seq: last.seq, changed, cache, finished: false };
    const tasks = cache.tasks;
    const get = (key: string) => changed.get(key) ?? tasks.get(key);
    // The run's row, read only when an event changes it (a few times per run): its active
    // time adds up across sessions.
    let run: RunFold | undefined;
    let seq = last.seq;
    const eventRows = this.eventRows;
    // Folded before the task rows: a retry timer is cleared by the event that ends a task's `retrying`.
    const timers = new TimerUpkeep({ hasRetry: (key) => get(key)?.status === 'retrying', timeoutMs: () => this.timers.runTimeout(runId) });
    eventRows.begin();
    for (const event of events) {
      eventRows.add(runId, ++seq, event.type, event.at, JSON.stringify(event));
      if (movesRun(event)) foldStatus((run ??= runFold(this.record(runId))), event);
      timers.add(event);
      for (const row of projectTasks(event, get)) changed.set(row.key, row);
    }
    eventRows.flush();
    this.timers.apply(runId, timers);
    let position = tasks.size;
    this.taskRows.begin();
    for (const [key, row] of changed) addTask(this.taskRows, runId, row, tasks.has(key) ? 0 : position++);
    this.taskRows.flush();
    const at = events[events.length - 1].at;
    const finished = run !== undefined && FINISHED_RUN_STATUSES.has(run.status);
    if (run) (finished ? this.q.finishRun : this.q.moveRun).run(run.status, run.ended_at ?? null, run.active_ms ?? null, run.active_since ?? null, at, runId);
    if (finished) this.work.consumeRun(runId);
    return { seq, changed, cache, finished };
  }

  /** After commit: numbers the caller's events and brings the cache up to date. */
  private numbered(runId: string, events: TimedEvent[], done: Appended): StoredEvent[] {
    let seq = done.seq - events.length;
    for (const event of events) (event as StoredEvent).seq = ++seq;
    this.cache.delete(runId);
    if (!done.finished) {
      for (const [key, row] of done.changed) done.cache.tasks.set(key, row);
      done.cache.seq = done.seq;
      this.cache.set(runId, done.cache);
      if (this.cache.size > MAX_CACHED_RUNS) this.cache.delete(this.cache.keys().next().value!);
    }
    return events as StoredEvent[];
  }

  private loadCache(runId: string, seq: number): TaskCache {
    const tasks = new Map<string, TaskRecord>();
    for (const row of this.q.listTasks.all(runId) as TaskRow[]) tasks.set(row.key, toTask(row));
    return { seq, tasks };
  }

  /** Inside a transaction: the run's task rows and status folded again from its events. */
  private rebuildNow(runId: string): void {
    const record = this.record(runId);
    const run: RunFold = { status: 'pending' };
    let updated = record.created_at;
    const tasks = new Map<string, TaskRecord>();
    const get = (key: string) => tasks.get(key);
    let ask: ReturnType<typeof admissionOf>;
    let queue: string | undefined;
    const timers = new TimerUpkeep({ hasRetry: () => false, timeoutMs: () => undefined }, true);
    for (const row of this.q.readEvents.iterate(runId, 0) as IterableIterator<{ data: string }>) {
      const event = parseRow(row.data, this.file) as TimedEvent;
      if (event.type === 'RunCreated') {
        ask = admissionOf(event);
        queue = workersQueueOf(event);
      }
      foldStatus(run, event);
      timers.add(event);
      for (const task of projectTasks(event, get)) tasks.set(task.key, task);
      updated = event.at;
    }
    if (ask) this.queue.setFields(runId, ask);
    this.q.setQueue.run(queue ?? null, runId);
    this.timers.apply(runId, timers);
    this.q.deleteTasks.run(runId);
    let position = 0;
    this.taskRows.begin();
    for (const row of tasks.values()) addTask(this.taskRows, runId, row, position++);
    this.taskRows.flush();
    this.q.moveRun.run(run.status, run.ended_at ?? null, run.active_ms ?? null, run.active_since ?? null, updated, runId);
  }
}

/** What claimNextRun is asked for (RunStore.claimNextRun). */
type NextRunOptions = { queues: readonly string[]; namespaces?: readonly string[]; leaseMs: number };

/** Adds a task row to write; `position` counts only for a task new to the run. */
function addTask(rows: RowInserter, runId: string, row: TaskRecord, position: number): void {
  rows.add(runId, ...taskValues(row, position));
}
