/**
 * The work queue in memory (store/work.ts), for workers of this process. The run store
 * enqueues and takes out items as it commits an append's events (enqueue, consume), so
 * they go together. Every method runs in one synchronous stretch: no claim can come
 * between another's look and its write. Leases are kept by this process's clock
 * (Date.now()).
 */
import type { WaitOptions } from '../event-waits.js';
import type { ClaimedWork, ClaimOptions, WorkClaim, WorkerInfo, WorkerRecord, WorkItem, WorkProgress, WorkQueue, WorkRecord, WorkResult } from '../work.js';
import { WorkWaiters } from '../work-waiters.js';

/** An item as kept: `lost` is worked out when it is read. */
type StoredWork = Omit<WorkRecord, 'lost'>;

export class MemoryWorkQueue implements WorkQueue {
  /** By id; ids only grow, so the Map's order is the oldest first. */
  private readonly items = new Map<number, StoredWork>();
  private lastId = 0;
  private readonly reports = new Map<string, WorkerRecord>();
  private readonly forWork = new WorkWaiters();
  private readonly forResults = new WorkWaiters();

  /** By the run store, as it commits the events that start these attempts. */
  enqueue(items: readonly WorkItem[]): void {
    const now = Date.now();
    for (const item of items) {
      const id = ++this.lastId;
      this.items.set(id, { id, run_id: item.run_id, task: item.task, attempt: item.attempt, queue: item.queue, namespace: item.namespace, state: 'ready', fence: 0, enqueued_at: now });
    }
    for (const queue of new Set(items.map((item) => item.queue))) this.forWork.notify(queue);
  }

  /** By the run store, as it commits the events that record these items: the run's own only. */
  consume(runId: string, ids: readonly number[]): void {
    for (const id of ids) if (this.items.get(id)?.run_id === runId) this.items.delete(id);
  }

  /** A run that finished: every item of its own goes, none is left for a worker. */
  consumeRun(runId: string): void {
    for (const [id, item] of this.items) if (item.run_id === runId) this.items.delete(id);
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    const now = Date.now();
    const claimed: ClaimedWork[] = [];
    for (const item of this.items.values()) {
      if (claimed.length >= options.limit) break;
      if (item.state !== 'ready' || !options.queues.includes(item.queue)) continue;
      if (options.namespaces !== undefined && !options.namespaces.includes(item.namespace)) continue;
      item.state = 'claimed';
      item.worker = options.worker;
      item.fence += 1;
      item.claimed_at = now;
      item.lease_until = now + options.leaseMs;
      claimed.push(read(item, now) as ClaimedWork);
    }
    return claimed;
  }

  async extend(worker: string, claims: readonly WorkClaim[], leaseMs: number): Promise<number[]> {
    const now = Date.now();
    const held = claims.map((claim) => this.held(worker, claim, now)).filter((item) => item !== undefined);
    for (const item of held) item.lease_until = now + leaseMs;
    return held.map((item) => item.id).sort((a, b) => a - b);
  }

  async complete(worker: string, results: ReadonlyArray<WorkClaim & { result: WorkResult }>): Promise<{ accepted: number[]; refused: number[] }> {
    const now = Date.now();
    const accepted: number[] = [];
    const refused: number[] = [];
    const runs = new Set<string>();
    for (const { result, ...claim } of results) {
      const item = this.held(worker, claim, now);
      if (item === undefined) {
        refused.push(claim.id);
        continue;
      }
      item.state = 'done';
      item.result = structuredClone(result);
      delete item.lease_until;
      accepted.push(item.id);
      runs.add(item.run_id);
    }
    for (const runId of runs) this.forResults.notify(runId);
    return { accepted, refused };
  }

  async progress(worker: string, reports: ReadonlyArray<WorkClaim & { progress: WorkProgress }>): Promise<number[]> {
    const now = Date.now();
    const recorded: number[] = [];
    for (const { progress, ...claim } of reports) {
      const item = this.held(worker, claim, now);
      if (item === undefined) continue;
      item.progress = { ...progress };
      recorded.push(item.id);
    }
    return recorded.sort((a, b) => a - b);
  }

  async release(worker: string, claims: readonly WorkClaim[]): Promise<void> {
    const queues = new Set<string>();
    for (const claim of claims) {
      const item = this.items.get(claim.id);
      if (item?.state !== 'claimed' || item.worker !== worker || item.fence !== claim.fence) continue;
      item.state = 'ready';
      delete item.lease_until;
      delete item.claimed_at;
      queues.add(item.queue);
    }
    for (const queue of queues) this.forWork.notify(queue);
  }

  async results(runId: string): Promise<WorkRecord[]> {
    return (await this.ofRun(runId)).filter((item) => item.state === 'done');
  }

  async ofRun(runId: string): Promise<WorkRecord[]> {
    const now = Date.now();
    return [...this.items.values()].filter((item) => item.run_id === runId).map((item) => read(item, now));
  }

  async depth(namespace?: string): Promise<Array<{ queue: string; ready: number; claimed: number }>> {
    const byQueue = new Map<string, { queue: string; ready: number; claimed: number }>();
    for (const item of this.items.values()) {
      if (item.state === 'done' || (namespace !== undefined && item.namespace !== namespace)) continue;
      let counts = byQueue.get(item.queue);
      if (counts === undefined) byQueue.set(item.queue, (counts = { queue: item.queue, ready: 0, claimed: 0 }));
      counts[item.state] += 1;
    }
    return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  }

  waitForWork(queues: readonly string[], options: WaitOptions): Promise<void> {
    return this.forWork.wait(queues, options);
  }

  waitForResults(runId: string, options: WaitOptions): Promise<void> {
    return this.forResults.wait([runId], options);
  }

  async beat(worker: WorkerInfo): Promise<void> {
    this.reports.set(worker.name, { ...structuredClone(worker), seen_at: Date.now() });
  }

  async claimed(): Promise<WorkRecord[]> {
    const now = Date.now();
    return [...this.items.values()]
      .filter((item) => item.state === 'claimed')
      .sort((a, b) => ((a.worker ?? '') < (b.worker ?? '') ? -1 : (a.worker ?? '') > (b.worker ?? '') ? 1 : a.id - b.id))
      .map((item) => read(item, now));
  }

  async workers(withinMs: number): Promise<WorkerRecord[]> {
    const since = Date.now() - withinMs;
    return [...this.reports.values()]
      .filter((report) => report.seen_at >= since)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((report) => structuredClone(report));
  }

  async retire(name: string): Promise<void> {
    this.reports.delete(name);
  }

  /** The item, if `worker` holds it by that claim and its lease has not run out. */
  private held(worker: string, claim: WorkClaim, now: number): StoredWork | undefined {
    const item = this.items.get(claim.id);
    if (item?.state !== 'claimed' || item.worker !== worker || item.fence !== claim.fence) return undefined;
    return (item.lease_until ?? 0) >= now ? item : undefined;
  }
}

/** A copy for the caller, with `lost` as of `now`. */
function read(item: StoredWork, now: number): WorkRecord {
  const lost = item.state === 'claimed' && (item.lease_until ?? 0) < now;
  return { ...item, ...(item.result === undefined ? {} : { result: structuredClone(item.result) }), lost };
}
