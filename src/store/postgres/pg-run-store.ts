/**
 * Runs, events and the task projection in PostgreSQL (schema in migrations/001_runs.sql,
 * statements in runs.sql), shared by every process and machine that opens the store.
 *
 * An append is one statement, one round trip (runs.sql `append`): it moves the run's
 * last_seq from the number this process expects to past the new events, and writes the
 * events, the task rows, the timers and the run's status with it. The expectation is the
 * concurrency control: when another process appended first, the statement writes nothing,
 * and this process reloads what it caches of the run and folds the events again. So
 * appends need no lock held across round trips, and two writers can never interleave
 * their events or fold against a stale projection.
 *
 * To fold without a SELECT, this process caches the task rows (and the status) of the
 * runs it appends to, tagged with the last_seq they include.
 */
import { EventWaiters, type WaitOptions } from '../event-waits.js';
import { StoreError, leaseLost, runNotFound, seqConflict } from '../errors.js';
import { namespaceOf, type StoredEvent, type TimedEvent } from '../events.js';
import { sameOwner } from '../ownership.js';
import { FINISHED_RUN_STATUSES, projectTasks } from '../projection.js';
import { admissionOf, mergeByRun, QUEUE_SCAN, type QueueChange, type QueueDecision, type QueueRecorded, type QueueSnapshot } from '../queue.js';
import { asciiUpper, foldStatus, movesRun, pickRunId, runFold, triggerOf, type RunFold } from '../records.js';
import { taskValues, toRecord, toTask, type RunRow, type TaskRow } from '../rows.js';
import { LEASE_MS, type AppendOptions, type CancelOptions, type ClaimResult, type NewRunRecord, type RunCountQuery, type RunCounts, type RunFilter, type RunOwner, type RunRecord, type RunStore, type TaskRecord } from '../store.js';
import { timeoutOf, TimerUpkeep } from '../timers.js';
import { workersQueueOf, type WorkItem } from '../work.js';
import type { PgDatabase, Queryable } from './driver.js';
import { FALLBACK_MS, type PgNotifier } from './pg-notifier.js';
import { addIn } from './pg-outbox.js';
import { PgTimers } from './pg-timers.js';
import { notInserted, takeKey } from './pg-run-keys.js';
import { q, statement } from './run-statements.js';
import type { StatsFilter, StatsRows } from '../run-stats.js';
import { pgRunStats } from './pg-run-stats.js';
import { countRuns, listEnded } from './pg-run-counts.js';

/** Runs whose task rows are cached; the oldest is dropped beyond this. */
const MAX_CACHED_RUNS = 256;
/** Appends tried again after another writer got there first, before giving up with STORE_BUSY. */
const MAX_CONFLICTS = 50;

interface RunCache {
  /** The run's last event number these rows include. */
  seq: number;
  /** The run's fence when they were read. */
  fence?: number;
  run: RunFold;
  /** In position order: a task's position is its index. */
  tasks: Map<string, TaskRecord>;
  /** The run's time limit, once read from its RunCreated. */
  timeout?: { ms: number | undefined };
}

/** An append folded, ready to be written as one `append` statement. */
interface Folded {
  params: unknown[];
  seq: number;
  cache: RunCache;
  changed: Map<string, TaskRecord>;
  run: RunFold;
  finished: boolean;
}


export class PgRunStore implements RunStore {
  private readonly cache = new Map<string, RunCache>();
  private readonly waiters = new EventWaiters();
  private listening?: Promise<unknown>;
  readonly timers: PgTimers;

  constructor(
    private readonly db: PgDatabase,
    private readonly notifier: PgNotifier,
  ) {
    this.timers = new PgTimers(db);
  }

  async createRun(run: NewRunRecord, events: TimedEvent[], admit?: QueueDecision): Promise<StoredEvent[]> {
    const ask = admissionOf(events[0]);
    const timeout = { ms: events[0]?.type === 'RunCreated' ? timeoutOf(events[0].workflow) : undefined };
    const namespace = namespaceOf(events[0]);
    const key = run.idempotency;
    const done = await this.db.tx(async (tx) => {
      if (key) await takeKey(tx, namespace, run.created_at, key);
      const changes = admit ? mergeByRun(admit(await this.snapshot(tx))) : [];
      const owner = run.owner;
      const inserted = await tx.query(q('insertRun'), [
        run.id,
        namespace,
        run.workflow,
        run.created_at,
        owner?.host ?? null,
        owner?.pid ?? null,
        owner?.started_at ?? null,
        owner ? run.created_at : null,
        ask?.priority ?? null,
        ask?.concurrency?.key ?? null,
        ask?.concurrency?.limit ?? null,
        run.lease_ms ?? LEASE_MS,
        workersQueueOf(events[0]) ?? null,
        key?.key ?? null,
        key?.fingerprint ?? null,
      ]);
      if (inserted.length === 0) await notInserted(tx, run.id, namespace, run.created_at, key);
      const trigger = triggerOf(events[0]);
      if (trigger !== undefined) await tx.query(q('setTrigger'), [trigger, run.id]);
      // Idle workers of its queue wake at once (delivered when this commits).
      const queue = (inserted[0] as { queue: string | null }).queue;
      if (queue !== null) await tx.query(q('notifyWorkers'), [queue]);
      const mine = changes.find((c) => c.runId === run.id)?.events ?? [];
      const all = mine.length > 0 ? [...events, ...mine] : events;
      const fresh: RunCache = { seq: 0, run: { status: 'pending' }, tasks: new Map(), timeout };
      const own = await this.appendIn(tx, run.id, all, fresh);
      const others = await this.appendChanges(tx, changes.filter((c) => c.runId !== run.id));
      return { own, all, others };
    });
    const stored = this.numbered(run.id, done.all, done.own);
    this.decided(done.others);
    return stored;
  }

  async decideQueue(decide: QueueDecision): Promise<QueueRecorded[]> {
    const done = await this.db.tx(async (tx) => this.appendChanges(tx, mergeByRun(decide(await this.snapshot(tx)))));
    return this.decided(done);
  }

  /**
   * The queue for a decision, inside its transaction, with decisions serialized across
   * processes by an advisory lock. The decision is synchronous, so the holders of every key
   * are read up front (the unfinished runs that have a key: a bounded set).
   */
  private async snapshot(tx: Queryable): Promise<QueueSnapshot> {
    await tx.query(q('lockQueue'));
    const queued = (await tx.query<RunRow>(q('queued'), [QUEUE_SCAN])).map(toRecord);
    const holders = new Map<string, RunRecord[]>();
    for (const row of await tx.query<RunRow>(q('holdingAll'))) {
      const list = holders.get(row.concurrency_key!) ?? [];
      list.push(toRecord(row));
      holders.set(row.concurrency_key!, list);
    }
    const running = (await tx.query<{ n: number }>(q('running')))[0].n;
    return { queued, holding: (key) => [...(holders.get(key) ?? [])], running };
  }

  private async appendChanges(tx: Queryable, changes: QueueChange[]): Promise<Array<{ change: QueueChange; done: Folded }>> {
    const out: Array<{ change: QueueChange; done: Folded }> = [];
    for (const change of changes) out.push({ change, done: await this.appendIn(tx, change.runId, change.events) });
    return out;
  }

  private decided(done: Array<{ change: QueueChange; done: Folded }>): QueueRecorded[] {
    return done.map(({ change, done: folded }) => {
      const events = this.numbered(change.runId, change.events, folded);
      if (events.length > 0) this.waiters.notify(change.runId);
      return { runId: change.runId, events };
    });
  }

  async append(runId: string, events: TimedEvent[], options?: AppendOptions): Promise<StoredEvent[]> {
    const notices = options?.notices;
    // Notifications go with the events that cause them (store/outbox.ts): one transaction,
    // which only a run's end (once per run) pays for; every other append is one statement.
    const folded = notices?.length
      ? await this.db.tx(async (tx) => {
          const done = await this.appendIn(tx, runId, events, undefined, options);
          await addIn(tx, notices, events.at(-1)?.at ?? Date.now());
          return done;
        })
      : await this.appendIn(this.db, runId, events, undefined, options);
    const stored = this.numbered(runId, events, folded);
    if (stored.length > 0) this.waiters.notify(runId);
    return stored;
  }

  /**
   * Folds `events` against what this process knows of the run and writes them with the
   * `append` statement on `on` (the pool, or a transaction's connection). When the run
   * moved on elsewhere, reloads it and tries again.
   */
  private async appendIn(on: Queryable, runId: string, events: TimedEvent[], known?: RunCache, options: AppendOptions = {}): Promise<Folded> {
    let cache = known ?? this.cache.get(runId) ?? (await this.load(on, runId));
    for (let conflicts = 0; ; conflicts++) {
      if (options.expectedSeq !== undefined && cache.seq !== options.expectedSeq && known === undefined) {
        // What this process knows may be behind: the run as it is decides.
        cache = await this.load(on, runId);
        if (cache.seq !== options.expectedSeq) throw seqConflict(runId, options.expectedSeq, cache.seq);
      }
      const folded = await this.fold(on, runId, events, cache, options);
      if (events.length === 0 && !options.enqueue?.length && !options.consume?.length) {
        // Nothing to write; the run must still exist (and be held by the writer, when it says by which claim).
        const [row] = await statement<{ fence: number | null }>(on, 'runFence', [runId]);
        if (row === undefined) throw runNotFound(runId);
        if (options.fence !== undefined && row.fence !== options.fence) throw leaseLost(runId, options.fence, row.fence ?? undefined);
        return folded;
      }
      const [result] = await statement<{ appended: number }>(on, 'append', folded.params);
      if (result.appended === 1) return folded;
      this.cache.delete(runId);
      cache = await this.load(on, runId);
      if (options.fence !== undefined && cache.fence !== options.fence) throw leaseLost(runId, options.fence, cache.fence);
      if (options.expectedSeq !== undefined) throw seqConflict(runId, options.expectedSeq, cache.seq);
      if (conflicts >= MAX_CONFLICTS) {
        throw new StoreError('STORE_BUSY', `run ${runId}: other processes kept appending to it, ${MAX_CONFLICTS} tries in a row; try again`, { details: { run: runId } });
      }
    }
  }

  /** The run's row and task rows as they are now. STORE_RUN_NOT_FOUND for an unknown run. */
  private async load(on: Queryable, runId: string): Promise<RunCache> {
    const [row] = await statement<RunRow & { last_seq: number }>(on, 'getRun', [runId]);
    if (row === undefined) throw runNotFound(runId);
    const tasks = new Map<string, TaskRecord>();
    for (const task of await statement<TaskRow>(on, 'listTasks', [runId])) tasks.set(task.key, toTask(task));
    // The rows read may include appends after last_seq was read: a stale tag only makes the
    // next append conflict and reload, never fold against the wrong rows.
    const record = toRecord(row);
    return { seq: row.last_seq, fence: record.fence, run: runFold(record), tasks };
  }

  private async fold(on: Queryable, runId: string, events: TimedEvent[], cache: RunCache, options: AppendOptions = {}): Promise<Folded> {
    const changed = new Map<string, TaskRecord>();
    const get = (key: string) => changed.get(key) ?? cache.tasks.get(key);
    const run: RunFold = { ...cache.run };
    let moved = false;
    const needsTimeout = events.some((e) => e.type === 'RunStarted' || e.type === 'RunReopened');
    if (needsTimeout && cache.timeout === undefined) cache.timeout = { ms: await this.runTimeout(on, runId) };
    const timers = new TimerUpkeep({ hasRetry: (key) => get(key)?.status === 'retrying', timeoutMs: () => cache.timeout?.ms });
    const types: string[] = [];
    const ats: number[] = [];
    const data: string[] = [];
    for (const event of events) {
      types.push(event.type);
      ats.push(event.at);
      data.push(JSON.stringify(event));
      if (movesRun(event)) moved = foldStatus(run, event) || moved;
      timers.add(event);
      for (const row of projectTasks(event, get)) changed.set(row.key, row);
    }
    let position = cache.tasks.size;
    const [columns, progress] = taskColumns([...changed.values()].map((row) => ({ row, position: cache.tasks.has(row.key) ? 0 : position++ })));
    const kinds: string[] = [];
    const keys: string[] = [];
    const dues: Array<number | null> = [];
    for (const change of timers.changes) {
      kinds.push(change.kind);
      keys.push(change.key);
      dues.push(change.due_at);
    }
    const finished = moved && FINISHED_RUN_STATUSES.has(run.status);
    const params = [
      runId,
      cache.seq,
      events.length > 0 ? events[events.length - 1].at : 0,
      types,
      ats,
      data,
      ...columns,
      moved,
      run.status,
      run.ended_at ?? null,
      run.active_ms ?? null,
      run.active_since ?? null,
      finished,
      timers.clearAll,
      kinds,
      keys,
      dues,
      options.fence ?? null,
      ...workColumns(options.enqueue ?? []),
      options.consume ?? [],
      progress,
    ];
    return { params, seq: cache.seq + events.length, cache, changed, run, finished };
  }

  private async runTimeout(on: Queryable, runId: string): Promise<number | undefined> {
    const [row] = await statement<{ data: string }>(on, 'firstEvent', [runId]);
    if (row === undefined) return undefined;
    const first = JSON.parse(row.data) as TimedEvent;
    return first.type === 'RunCreated' ? timeoutOf(first.workflow) : undefined;
  }

  /** After commit: numbers the caller's events and brings the cache up to date. */
  private numbered(runId: string, events: TimedEvent[], done: Folded): StoredEvent[] {
    let seq = done.seq - events.length;
    for (const event of events) (event as StoredEvent).seq = ++seq;
    this.cache.delete(runId);
    if (!done.finished) {
      const tasks = done.cache.tasks;
      for (const [key, row] of done.changed) tasks.set(key, row);
      this.cache.set(runId, { seq: done.seq, run: done.run, tasks, timeout: done.cache.timeout });
      if (this.cache.size > MAX_CACHED_RUNS) this.cache.delete(this.cache.keys().next().value!);
    }
    return events as StoredEvent[];
  }

  /**
   * Appends of this process wake a waiter at once; another process's reach it as a
   * NOTIFY from its append. A waiter also looks again every FALLBACK_MS, in case a
   * notification was lost while the listening connection was down.
   */
  async waitForEvents(runId: string, afterSeq: number, options: WaitOptions): Promise<StoredEvent[]> {
    await this.listen();
    let lastLook = Date.now();
    const fallback = () => {
      if (Date.now() - lastLook < FALLBACK_MS) return false;
      lastLook = Date.now();
      return true;
    };
    return this.waiters.wait(runId, afterSeq, () => this.readEvents(runId, afterSeq), options, fallback);
  }

  private listen(): Promise<unknown> {
    this.listening ??= this.notifier.subscribe('baton_events', (runId) => (runId === '' ? this.waiters.notifyAll() : this.waiters.notify(runId)));
    return this.listening;
  }

  async readEvents(runId: string, afterSeq = 0): Promise<StoredEvent[]> {
    const rows = await statement<{ seq: number; data: string }>(this.db, 'readEvents', [runId, afterSeq]);
    if (rows.length === 0) await this.record(this.db, runId);
    return rows.map((row) => {
      const event = JSON.parse(row.data) as StoredEvent;
      event.seq = row.seq;
      return event;
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [row] = await statement<RunRow>(this.db, 'getRun', [runId]);
    return row && toRecord(row);
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>(q('listRuns'), [
      filter.namespace ?? null,
      filter.workflow ?? null,
      filter.status ?? null,
      filter.since ?? null,
      filter.before?.created_at ?? null,
      filter.before?.id ?? null,
      Math.max(0, filter.limit ?? 20),
      filter.idempotency_key ?? null,
      filter.trigger ?? null,
    ]);
    return rows.map(toRecord);
  }

  countRuns(query: RunCountQuery = {}): Promise<RunCounts> {
    return countRuns(this.db, query);
  }

  listEnded(query: { namespace?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return listEnded(this.db, query);
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    const rows = await statement<TaskRow>(this.db, 'listTasks', [runId]);
    if (rows.length === 0) await this.record(this.db, runId);
    return rows.map(toTask);
  }

  runStats(filter: StatsFilter): Promise<StatsRows> {
    return pgRunStats(this.db, filter);
  }

  async resolveRunId(prefix: string, namespace?: string): Promise<string> {
    if (prefix !== '') {
      const exact = await this.getRun(prefix);
      if (exact && (namespace === undefined || exact.namespace === namespace)) return prefix;
    }
    const like = asciiUpper(prefix).replace(/[\\%_]/g, (c) => `\\${c}`);
    const ids = prefix === '' ? [] : (await this.db.query<{ id: string }>(q('runsWithPrefix'), [like, namespace ?? null, 6])).map((r) => r.id);
    return pickRunId(prefix, ids);
  }

  /** The lease is checked by the database's clock; `isGone` adds what only this host can tell (a process gone). */
  claimRun(runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs = LEASE_MS): Promise<ClaimResult> {
    return this.db.tx(async (tx): Promise<ClaimResult> => {
      const [row] = await tx.query<RunRow & { lease_expired: boolean }>(q('lockRun'), [runId]);
      if (row === undefined) throw runNotFound(runId);
      const record = toRecord(row);
      const same = sameOwner(record.owner, owner);
      if (record.owner && !same && !row.lease_expired && !isGone(record)) return { claimed: false, record };
      const fence = same ? (record.fence ?? 1) : (record.fence ?? 0) + 1;
      const [claimed] = await tx.query<RunRow>(q('setOwner'), [owner.host, owner.pid, owner.started_at, at, leaseMs, fence, runId]);
      return { claimed: true, record: toRecord(claimed) };
    });
  }

  async claimNextRun(owner: RunOwner, at: number, options: { queues: readonly string[]; namespaces?: readonly string[]; leaseMs: number }): Promise<RunRecord | undefined> {
    const [row] = await this.db.query<RunRow>(q('claimNextRun'), [options.queues, options.namespaces ?? null, owner.host, owner.pid, owner.started_at, at, options.leaseMs]);
    return row && toRecord(row);
  }

  async heartbeat(runId: string, owner: RunOwner, at: number, leaseMs = LEASE_MS): Promise<RunRecord> {
    const [row] = await this.db.query<RunRow>(q('heartbeat'), [at, runId, owner.host, owner.pid, owner.started_at, leaseMs]);
    if (row === undefined) throw runNotFound(runId);
    return toRecord(row);
  }

  async releaseRun(runId: string, owner: RunOwner): Promise<void> {
    const rows = await this.db.query(q('releaseRun'), [runId, owner.host, owner.pid, owner.started_at]);
    if (rows.length === 0) await this.record(this.db, runId);
  }

  async requestCancel(runId: string, reason: string, options: CancelOptions = {}): Promise<void> {
    await this.record(this.db, runId);
    await this.db.query(q('requestCancel'), [reason, runId, options.compensate === true]);
  }

  async rebuildProjection(runId?: string): Promise<void> {
    const ids = runId === undefined ? (await this.db.query<{ id: string }>(q('allRunIds'))).map((r) => r.id) : [runId];
    for (const id of ids) {
      this.cache.delete(id);
      await this.db.tx((tx) => this.rebuild(tx, id));
    }
  }

  /** Inside a transaction: the run's task rows, status and timers folded again from its events. */
  private async rebuild(tx: Queryable, runId: string): Promise<void> {
    const [row] = await tx.query<RunRow & { last_seq: number }>(q('lockRun'), [runId]);
    if (row === undefined) throw runNotFound(runId);
    await tx.query(q('deleteTasks'), [runId]);
    const events = (await statement<{ seq: number; data: string }>(tx, 'readEvents', [runId, 0])).map((r) => JSON.parse(r.data) as TimedEvent);
    const ask = admissionOf(events[0]);
    await tx.query(q('setQueueFields'), [ask?.priority ?? null, ask?.concurrency?.key ?? null, ask?.concurrency?.limit ?? null, runId, workersQueueOf(events[0]) ?? null]);
    const run: RunFold = { status: 'pending' };
    const tasks = new Map<string, TaskRecord>();
    const get = (key: string) => tasks.get(key);
    const timers = new TimerUpkeep({ hasRetry: () => false, timeoutMs: () => undefined }, true);
    for (const event of events) {
      foldStatus(run, event);
      timers.add(event);
      for (const task of projectTasks(event, get)) tasks.set(task.key, task);
    }
    await this.timers.apply(tx, runId, timers);
    const [columns, progress] = taskColumns([...tasks.values()].map((task, position) => ({ row: task, position })));
    await tx.query(q('insertTasks'), [runId, ...columns, progress]);
    const updated = events.length > 0 ? events[events.length - 1].at : row.created_at;
    await tx.query(q('moveRun'), [run.status, run.ended_at ?? null, run.active_ms ?? null, run.active_since ?? null, updated, runId]);
  }

  private async record(on: Queryable, runId: string): Promise<RunRecord> {
    const [row] = await statement<RunRow>(on, 'getRun', [runId]);
    if (row === undefined) throw runNotFound(runId);
    return toRecord(row);
  }

  async close(): Promise<void> {
    this.cache.clear();
  }
}

/** Work items as the column arrays the `append` statement unnests (task, attempt, queue, namespace). */
function workColumns(items: readonly WorkItem[]): unknown[][] {
  return [items.map((w) => w.task), items.map((w) => w.attempt), items.map((w) => w.queue), items.map((w) => w.namespace)];
}

/**
 * Task rows as the column arrays the `append` and `insertTasks` statements unnest: the first
 * twelve, and progress apart (the `append` statement takes it last, after the parameters
 * that were there before it).
 */
function taskColumns(rows: ReadonlyArray<{ row: TaskRecord; position: number }>): [unknown[][], unknown[]] {
  const columns: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const { row, position } of rows) taskValues(row, position).forEach((value, i) => columns[i].push(value));
  return [columns.slice(0, 12), columns[12]];
}
