import { namespaceOf } from '../events.js';
import { leaseLost, runExists, runNotFound, seqConflict } from '../errors.js';
import { EventWaiters, type WaitOptions } from '../event-waits.js';
import type { StoredEvent, TimedEvent } from '../events.js';
import { leaseExpired, mayClaim, sameOwner } from '../ownership.js';
import { FINISHED_RUN_STATUSES, projectTasks } from '../projection.js';
import { asciiUpper, compactTask, copyRecord, foldStatus, pickRunId, triggerOf } from '../records.js';
import { LEASE_MS, type AppendOptions, type CancelOptions, type ClaimResult, type NewRunRecord, type RunCountQuery, type RunCounts, type RunFilter, type RunOwner, type RunRecord, type RunStore, type Store, type TaskRecord } from '../store.js';
import { MemoryLogStore } from './memory-log-store.js';
import { memoryQueue } from './memory-queue.js';
import { admissionOf, queueFields, type QueueChange, type QueueDecision, type QueueRecorded } from '../queue.js';
import { MemoryPoolStore } from './memory-pool-store.js';
import { MemoryTriggerStore } from './memory-trigger-store.js';
import { MemoryAccessStore } from './memory-access-store.js';
import { MemoryTimers } from './memory-timers.js';
import { MemoryWorkQueue } from './memory-work.js';
import { MemoryOutbox } from './memory-outbox.js';
import { MemoryCircuitStore } from './memory-circuit-store.js';
import { MemoryRunFeed } from './memory-run-feed.js';
import { timeoutOf, TimerUpkeep } from '../timers.js';
import { workersQueueOf } from '../work.js';
import { KeyHeldError, keyCutoff } from '../idempotency.js';
import type { StatsFilter, StatsRows } from '../run-stats.js';
import { memoryRunStats } from './memory-run-stats.js';

export { MemoryLogStore } from './memory-log-store.js';

interface MemoryRun {
  record: RunRecord;
  events: StoredEvent[];
  /**
   * The task projection; a Map keeps first-appearance order. Brought up to date when it
   * is read (nothing here needs it on every append, and the engine's benchmarks run on
   * this store): `projected` events are folded in so far.
   */
  tasks: Map<string, TaskRecord>;
  projected: number;
  /** Its idempotency key's fingerprint, while it holds the key (record.idempotency_key). */
  fingerprint?: string;
}

/**
 * The in-memory store: everything lives in this process and is gone when it exits.
 * Used by tests, benchmarks and `baton run --store memory`.
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, MemoryRun>();
  private readonly waiters = new EventWaiters();
  /** The run holding each idempotency key, by namespace and key (keyOf). */
  private readonly keys = new Map<string, string>();
  /** The runs' timers, kept as events are committed (store/timers.ts). */
  readonly timers = new MemoryTimers();
  /** The work queue, whose items come and go with the events of appends (store/work.ts). */
  readonly work = new MemoryWorkQueue();
  /** The notification outbox, whose items come with the events of appends (store/outbox.ts). */
  readonly outbox = new MemoryOutbox();
  /** Every run's events in commit order (store/run-feed.ts). */
  readonly feed = new MemoryRunFeed();

  async createRun(run: NewRunRecord, events: TimedEvent[], admit?: QueueDecision): Promise<StoredEvent[]> {
    if (this.runs.has(run.id)) throw runExists(run.id);
    const namespace = namespaceOf(events[0]);
    const wanted = run.idempotency;
    const holder = wanted && this.runs.get(this.keys.get(keyOf(namespace, wanted.key)) ?? '');
    if (wanted && holder) {
      if (holder.record.created_at >= keyCutoff(run.created_at, wanted.retention_ms)) throw new KeyHeldError(wanted.key, copyRecord(holder.record), holder.fingerprint ?? '');
    }
    const record: RunRecord = {
      id: run.id,
      namespace,
      workflow: run.workflow,
      status: 'pending',
      created_at: run.created_at,
      updated_at: run.created_at,
      ...queueFields(admissionOf(events[0])),
      ...workersOf(events[0]),
    };
    const trigger = triggerOf(events[0]);
    if (trigger !== undefined) record.trigger = trigger;
    if (run.owner) {
      record.owner = { ...run.owner };
      record.heartbeat_at = run.created_at;
      record.lease_until = run.created_at + (run.lease_ms ?? LEASE_MS);
      record.fence = 1;
    }
    const entry: MemoryRun = { record, events: [], tasks: new Map(), projected: 0 };
    const changes = admit ? this.checked(admit(this.queue()), run.id) : [];
    const own = changes.filter((c) => c.runId === run.id).flatMap((c) => c.events);
    const stored = this.commit(entry, own.length > 0 ? [...events, ...own] : events);
    this.runs.set(run.id, entry);
    if (wanted) {
      // The key changes hands: a holder past its retention gives it up to the new run.
      if (holder) {
        delete holder.record.idempotency_key;
        delete holder.fingerprint;
      }
      record.idempotency_key = wanted.key;
      entry.fingerprint = wanted.fingerprint;
      this.keys.set(keyOf(namespace, wanted.key), run.id);
    }
    for (const change of changes) if (change.runId !== run.id) this.commit(this.entry(change.runId), change.events);
    return stored;
  }

  async decideQueue(decide: QueueDecision): Promise<QueueRecorded[]> {
    return this.checked(decide(this.queue())).map((change) => ({ runId: change.runId, events: this.commit(this.entry(change.runId), change.events) }));
  }

  private queue() {
    return memoryQueue([...this.runs.values()].map((entry) => entry.record));
  }

  /** Every run a decision names exists (or is the one being created), before anything is recorded. */
  private checked(changes: QueueChange[], creating?: string): QueueChange[] {
    for (const change of changes) if (change.runId !== creating) this.entry(change.runId);
    return changes;
  }

  async append(runId: string, events: TimedEvent[], options?: AppendOptions): Promise<StoredEvent[]> {
    const entry = this.entry(runId);
    if (options?.fence !== undefined && entry.record.fence !== options.fence) throw leaseLost(runId, options.fence, entry.record.fence);
    if (options?.expectedSeq !== undefined && entry.events.length !== options.expectedSeq) throw seqConflict(runId, options.expectedSeq, entry.events.length);
    const stored = this.commit(entry, events);
    if (options?.consume?.length) this.work.consume(runId, options.consume);
    if (options?.enqueue?.length) this.work.enqueue(options.enqueue);
    if (options?.notices?.length && events.length > 0) this.outbox.addNow(options.notices, events[events.length - 1].at);
    if (FINISHED_RUN_STATUSES.has(entry.record.status)) this.work.consumeRun(runId);
    return stored;
  }

  async readEvents(runId: string, afterSeq = 0): Promise<StoredEvent[]> {
    return this.entry(runId).events.slice(Math.max(0, afterSeq));
  }

  waitForEvents(runId: string, afterSeq: number, options: WaitOptions): Promise<StoredEvent[]> {
    return this.waiters.wait(runId, afterSeq, () => this.readEvents(runId, afterSeq), options);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const entry = this.runs.get(runId);
    return entry ? copyRecord(entry.record) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const limit = filter.limit ?? 20;
    return [...this.runs.values()]
      .map((entry) => entry.record)
      .filter(
        (run) =>
          (filter.namespace === undefined || run.namespace === filter.namespace) &&
          (filter.workflow === undefined || run.workflow === filter.workflow) &&
          (filter.status === undefined || run.status === filter.status) &&
          (filter.since === undefined || run.created_at >= filter.since) &&
          (filter.idempotency_key === undefined || run.idempotency_key === filter.idempotency_key) &&
          (filter.trigger === undefined || (run.trigger ?? 'manual') === filter.trigger) &&
          (filter.before === undefined || run.created_at < filter.before.created_at || (run.created_at === filter.before.created_at && run.id < filter.before.id)),
      )
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, Math.max(0, limit))
      .map(copyRecord);
  }

  async countRuns(query: RunCountQuery = {}): Promise<RunCounts> {
    const counts: RunCounts = { pending: 0, running: 0, waiting: 0, queued: 0, failed: (query.failedSince ?? []).map(() => 0) };
    for (const { record } of this.runs.values()) {
      if (query.namespace !== undefined && record.namespace !== query.namespace) continue;
      const status = record.status;
      if (status === 'pending' || status === 'running' || status === 'waiting' || status === 'queued') counts[status]++;
      else if (status === 'failed') (query.failedSince ?? []).forEach((since, i) => record.ended_at! >= since && counts.failed[i]++);
    }
    return counts;
  }

  async listEnded(query: { namespace?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .map((entry) => entry.record)
      .filter((run) => run.ended_at !== undefined && (query.namespace === undefined || run.namespace === query.namespace))
      .sort((a, b) => b.ended_at! - a.ended_at! || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, Math.max(0, query.limit ?? 20))
      .map(copyRecord);
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    const entry = this.entry(runId);
    for (; entry.projected < entry.events.length; entry.projected++) {
      for (const row of projectTasks(entry.events[entry.projected], (key) => entry.tasks.get(key))) entry.tasks.set(row.key, row);
    }
    return [...entry.tasks.values()].map(compactTask);
  }

  runStats(filter: StatsFilter): Promise<StatsRows> {
    const records = [...this.runs.values()].map((entry) => entry.record);
    return memoryRunStats({ records, events: (runId) => this.entry(runId).events, tasks: (runId) => this.listTasks(runId) }, filter);
  }

  async resolveRunId(prefix: string, namespace?: string): Promise<string> {
    const inNamespace = (id: string) => namespace === undefined || this.runs.get(id)?.record.namespace === namespace;
    if (this.runs.has(prefix) && inNamespace(prefix)) return prefix;
    const wanted = asciiUpper(prefix);
    const matches = [...this.runs.keys()].filter((id) => asciiUpper(id).startsWith(wanted) && inNamespace(id)).sort();
    return pickRunId(prefix, matches);
  }

  async claimRun(runId: string, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean, leaseMs = LEASE_MS): Promise<ClaimResult> {
    const record = this.entry(runId).record;
    if (!mayClaim(copyRecord(record), owner, at, isGone)) return { claimed: false, record: copyRecord(record) };
    if (!sameOwner(record.owner, owner)) record.fence = (record.fence ?? 0) + 1;
    record.owner = { ...owner };
    record.heartbeat_at = at;
    record.lease_until = at + leaseMs;
    return { claimed: true, record: copyRecord(record) };
  }

  async heartbeat(runId: string, owner: RunOwner, at: number, leaseMs = LEASE_MS): Promise<RunRecord> {
    const record = this.entry(runId).record;
    if (sameOwner(record.owner, owner)) {
      record.heartbeat_at = at;
      record.lease_until = at + leaseMs;
    }
    return copyRecord(record);
  }

  async claimNextRun(owner: RunOwner, at: number, options: { queues: readonly string[]; namespaces?: readonly string[]; leaseMs: number }): Promise<RunRecord | undefined> {
    let next: RunRecord | undefined;
    for (const { record } of this.runs.values()) {
      if (record.queue === undefined || !options.queues.includes(record.queue)) continue;
      if (options.namespaces !== undefined && !options.namespaces.includes(record.namespace)) continue;
      const due = record.status === 'waiting' && this.timers.dueFor(record.id, at);
      if ((record.status !== 'pending' && record.status !== 'running' && !due) || (record.owner && !leaseExpired(record, at))) continue;
      if (next === undefined || record.created_at < next.created_at || (record.created_at === next.created_at && record.id < next.id)) next = record;
    }
    if (next === undefined) return undefined;
    // Raised even when the same process held it before: a worker drives many runs under
    // one identity, and its session that lost the lease must not write on beside the new one.
    next.fence = (next.fence ?? 0) + 1;
    next.owner = { ...owner };
    next.heartbeat_at = at;
    next.lease_until = at + options.leaseMs;
    return copyRecord(next);
  }

  async releaseRun(runId: string, owner: RunOwner): Promise<void> {
    const record = this.entry(runId).record;
    if (sameOwner(record.owner, owner)) {
      delete record.owner;
      delete record.lease_until;
    }
  }

  async requestCancel(runId: string, reason: string, options: CancelOptions = {}): Promise<void> {
    const record = this.entry(runId).record;
    if (FINISHED_RUN_STATUSES.has(record.status)) return;
    record.cancel_requested = reason;
    if (options.compensate) record.cancel_compensate = true;
    else delete record.cancel_compensate;
  }

  async rebuildProjection(runId?: string): Promise<void> {
    const entries = runId === undefined ? [...this.runs.values()] : [this.entry(runId)];
    for (const entry of entries) {
      const record = entry.record;
      record.status = 'pending';
      delete record.queue;
      Object.assign(record, workersOf(entry.events[0]));
      delete record.ended_at;
      delete record.active_ms;
      delete record.active_since;
      record.updated_at = record.created_at;
      entry.tasks = new Map();
      entry.projected = 0;
      const timers = new TimerUpkeep({ hasRetry: () => false, timeoutMs: () => undefined }, true);
      for (const event of entry.events) {
        foldStatus(record, event);
        timers.add(event);
        record.updated_at = event.at;
      }
      this.timers.apply(record.id, timers);
    }
  }

  async close(): Promise<void> {}

  private entry(runId: string): MemoryRun {
    const entry = this.runs.get(runId);
    if (!entry) throw runNotFound(runId);
    return entry;
  }

  /**
   * Applies events to a run. Nothing here can fail halfway (the projection is folded when
   * read), so the record is changed in place: one allocation less per commit.
   */
  private commit(entry: MemoryRun, events: TimedEvent[]): StoredEvent[] {
    const record = entry.record;
    let moved = false;
    const timers = new TimerUpkeep({ hasRetry: (task) => this.timers.hasRetry(record.id, task), timeoutMs: () => runTimeout(entry) });
    for (const event of events) {
      if (foldStatus(record, event)) moved = true;
      timers.add(event);
    }
    this.timers.apply(record.id, timers);
    if (moved && FINISHED_RUN_STATUSES.has(record.status)) {
      // A finished run has no owner, and nothing left to cancel.
      delete record.owner;
      delete record.lease_until;
      delete record.cancel_requested;
      delete record.cancel_compensate;
    }
    let seq = entry.events.length;
    for (const event of events) {
      const stored = event as StoredEvent;
      stored.seq = ++seq;
      entry.events.push(stored);
    }
    if (events.length > 0) {
      record.updated_at = events[events.length - 1].at;
      this.feed.added(record, events as StoredEvent[]);
      this.waiters.notify(record.id);
    }
    return events as StoredEvent[];
  }
}

/** Where the memory store finds the run holding a key: namespace and key, apart. */
function keyOf(namespace: string, key: string): string {
  return `${namespace}\0${key}`;
}

/** The queue whose workers drive the run, from its RunCreated (RunRecord.queue). */
function workersOf(first: TimedEvent | undefined): Pick<RunRecord, 'queue'> {
  const queue = workersQueueOf(first);
  return queue === undefined ? {} : { queue };
}

/** The run's time limit from its RunCreated. */
function runTimeout(entry: MemoryRun): number | undefined {
  const created = entry.events[0];
  return created?.type === 'RunCreated' ? timeoutOf(created.workflow) : undefined;
}

export function createMemoryStore(): Store {
  const runs = new MemoryRunStore();
  const logs = new MemoryLogStore();
  return {
    location: 'memory',
    runs,
    logs,
    pools: new MemoryPoolStore(runs),
    triggers: new MemoryTriggerStore(runs),
    access: new MemoryAccessStore(),
    timers: runs.timers,
    work: runs.work,
    outbox: runs.outbox,
    feed: runs.feed,
    circuits: new MemoryCircuitStore(),
    async close() {
      await logs.close();
      await runs.close();
    },
  };
}
