/**
 * The work queue on SQLite (store/work.ts), on the connection of the run store, so every
 * process sharing the file shares it. Items are written and taken out by the run store's
 * append transaction (enqueue, consume), with the events that start or record them. A
 * claim that finds work takes it in one BEGIN IMMEDIATE transaction, so of several
 * processes claiming at once each item goes to one; a claim that finds none learns so by
 * reading alone, without the write lock, so idle workers never hold up the appends of the
 * runs they wait on. Leases are by the clock of the process that writes (Date.now()).
 *
 * Waiters are woken at once by this process's writes, and by another process's commits
 * through SQLite's data_version, looked at while they wait (work-waiters.ts).
 */
import type { WaitOptions } from '../event-waits.js';
import { toWorkRecord, type WorkRow } from '../rows/work.js';
import type { ClaimedWork, ClaimOptions, WorkClaim, WorkerInfo, WorkerRecord, WorkItem, WorkProgress, WorkQueue, WorkRecord, WorkResult } from '../work.js';
import { WorkWaiters } from '../work-waiters.js';
import type { Database } from './driver.js';
import { sqliteError } from './sqlite-errors.js';
import { parseRow } from './sqlite-rows.js';
import { parseNamedQueries } from '../named-queries.js';
import { preparedOnUse, type Statement } from './statements.js';
import queries from './work.sql';

const sql = parseNamedQueries(queries);

interface WorkerRow extends Omit<WorkerRecord, 'queues' | 'namespaces'> {
  queues: string;
  namespaces: string | null;
}

export class SqliteWorkQueue implements WorkQueue {
  private readonly forWork = new WorkWaiters();
  private readonly forResults = new WorkWaiters();
  private claimTx?: (options: ClaimOptions) => ClaimedWork[];
  private extendTx?: (worker: string, claims: readonly WorkClaim[], leaseMs: number) => number[];
  private completeTx?: (worker: string, results: ReadonlyArray<WorkClaim & { result: WorkResult }>) => { accepted: number[]; runs: Set<string> };
  private progressTx?: (worker: string, reports: ReadonlyArray<WorkClaim & { progress: WorkProgress }>) => number[];
  private releaseTx?: (worker: string, claims: readonly WorkClaim[]) => Set<string>;

  /** Prepared at first use: most commands that open a store never touch the work queue. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  /** A stored result that does not parse is a damaged file (STORE_CORRUPT), as everywhere on SQLite. */
  private readonly parse = (text: string): unknown => parseRow(text, this.file);

  /** Inside the run store's append transaction: the items its events start. */
  enqueue(items: readonly WorkItem[]): void {
    const now = Date.now();
    for (const item of items) this.q.enqueue.run(item.run_id, item.task, item.attempt, item.queue, item.namespace, now);
  }

  /** Inside the run store's append transaction: the run's items its events record. */
  consume(runId: string, ids: readonly number[]): void {
    for (const id of ids) this.q.consume.run(id, runId);
  }

  /** A run that finished: every item of its own goes, none is left for a worker. */
  consumeRun(runId: string): void {
    this.q.consumeRun.run(runId);
  }

  /** After the append committed: the workers of those queues waiting in this process look. */
  enqueued(items: readonly WorkItem[]): void {
    for (const queue of new Set(items.map((item) => item.queue))) this.forWork.notify(queue);
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    return this.guard(() => {
      // Reading alone first: while there is nothing to take, no write lock is taken.
      if (this.ready(options).length === 0) return [];
      this.claimTx ??= this.db.transaction((opts: ClaimOptions) => {
        const now = Date.now();
        return this.ready(opts).map((id) => toWorkRecord(this.q.claim.get(opts.worker, now, now + opts.leaseMs, id) as WorkRow, this.parse) as ClaimedWork);
      }).immediate;
      return this.claimTx(options);
    });
  }

  async extend(worker: string, claims: readonly WorkClaim[], leaseMs: number): Promise<number[]> {
    if (claims.length === 0) return [];
    return this.guard(() => {
      this.extendTx ??= this.db.transaction((who: string, held: readonly WorkClaim[], ms: number) => {
        const now = Date.now();
        return held.filter((c) => this.q.extend.run(now + ms, c.id, c.fence, who, now).changes > 0).map((c) => c.id);
      }).immediate;
      return this.extendTx(worker, claims, leaseMs).sort((a, b) => a - b);
    });
  }

  async complete(worker: string, results: ReadonlyArray<WorkClaim & { result: WorkResult }>): Promise<{ accepted: number[]; refused: number[] }> {
    if (results.length === 0) return { accepted: [], refused: [] };
    const done = this.guard(() => {
      this.completeTx ??= this.db.transaction((who: string, list: ReadonlyArray<WorkClaim & { result: WorkResult }>) => {
        const now = Date.now();
        const accepted: number[] = [];
        const runs = new Set<string>();
        for (const r of list) {
          const row = this.q.complete.get(JSON.stringify(r.result), r.id, r.fence, who, now) as { run_id: string } | undefined;
          if (row === undefined) continue;
          accepted.push(r.id);
          runs.add(row.run_id);
        }
        return { accepted, runs };
      }).immediate;
      return this.completeTx(worker, results);
    });
    for (const runId of done.runs) this.forResults.notify(runId);
    const accepted = new Set(done.accepted);
    return { accepted: done.accepted, refused: results.filter((r) => !accepted.has(r.id)).map((r) => r.id) };
  }

  async progress(worker: string, reports: ReadonlyArray<WorkClaim & { progress: WorkProgress }>): Promise<number[]> {
    if (reports.length === 0) return [];
    return this.guard(() => {
      this.progressTx ??= this.db.transaction((who: string, list: ReadonlyArray<WorkClaim & { progress: WorkProgress }>) => {
        const now = Date.now();
        return list.filter((r) => this.q.progress.run(JSON.stringify(r.progress), r.id, r.fence, who, now).changes > 0).map((r) => r.id);
      }).immediate;
      return this.progressTx(worker, reports).sort((a, b) => a - b);
    });
  }

  async release(worker: string, claims: readonly WorkClaim[]): Promise<void> {
    if (claims.length === 0) return;
    const queues = this.guard(() => {
      this.releaseTx ??= this.db.transaction((who: string, held: readonly WorkClaim[]) => {
        const back = new Set<string>();
        for (const c of held) {
          const row = this.q.release.get(c.id, c.fence, who) as { queue: string } | undefined;
          if (row !== undefined) back.add(row.queue);
        }
        return back;
      }).immediate;
      return this.releaseTx(worker, claims);
    });
    for (const queue of queues) this.forWork.notify(queue);
  }

  async results(runId: string): Promise<WorkRecord[]> {
    return this.guard(() => {
      return (this.q.results.all(runId) as WorkRow[]).map((row) => toWorkRecord(row, this.parse));
    });
  }

  async ofRun(runId: string): Promise<WorkRecord[]> {
    return this.guard(() => {
      return (this.q.ofRun.all(Date.now(), runId) as WorkRow[]).map((row) => toWorkRecord(row, this.parse));
    });
  }

  async depth(namespace?: string): Promise<Array<{ queue: string; ready: number; claimed: number }>> {
    return this.guard(() => this.q.depth.all({ namespace: namespace ?? null }) as Array<{ queue: string; ready: number; claimed: number }>);
  }

  waitForWork(queues: readonly string[], options: WaitOptions): Promise<void> {
    return this.forWork.wait(queues, options, this.changedElsewhere());
  }

  waitForResults(runId: string, options: WaitOptions): Promise<void> {
    return this.forResults.wait([runId], options, this.changedElsewhere());
  }

  async beat(worker: WorkerInfo): Promise<void> {
    this.guard(() =>
      this.q.beat.run(
        worker.name,
        worker.host,
        worker.pid,
        JSON.stringify(worker.queues),
        worker.namespaces === undefined ? null : JSON.stringify(worker.namespaces),
        worker.concurrency,
        worker.started_at,
        worker.running,
        worker.driving,
        Date.now(),
      ),
    );
  }

  async claimed(): Promise<WorkRecord[]> {
    return this.guard(() => {
      return (this.q.claimed.all(Date.now()) as WorkRow[]).map((row) => toWorkRecord(row, this.parse));
    });
  }

  async workers(withinMs: number): Promise<WorkerRecord[]> {
    return this.guard(() =>
      (this.q.workers.all(Date.now() - withinMs) as WorkerRow[]).map((row) => {
        const { queues, namespaces, ...rest } = row;
        const record: WorkerRecord = { ...rest, queues: parseRow(queues, this.file) as string[] };
        if (namespaces !== null) record.namespaces = parseRow(namespaces, this.file) as string[];
        return record;
      }),
    );
  }

  async retire(name: string): Promise<void> {
    this.guard(() => this.q.retire.run(name));
  }

  /** The ids a claim with these options would take now, oldest first. */
  private ready(options: ClaimOptions): number[] {
    return this.q.ready.pluck().all({
      queues: JSON.stringify(options.queues),
      namespaces: options.namespaces === undefined ? null : JSON.stringify(options.namespaces),
      limit: Math.max(0, options.limit),
    }) as number[];
  }

  /**
   * Whether another connection committed to the file since the last time it was asked
   * (PRAGMA data_version): such a commit may have been work, or a result, for a waiter.
   */
  private changedElsewhere(): () => boolean {
    let version = this.dataVersion();
    return () => {
      const now = this.dataVersion();
      if (now === version) return false;
      version = now;
      return true;
    };
  }

  private dataVersion(): number {
    try {
      return this.db.pragma('data_version', { simple: true }) as number;
    } catch {
      return -1; // closed or failing: the caller's next read says why
    }
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
