/**
 * The work queue on PostgreSQL (store/work.ts), shared by every worker on every machine.
 * Items are written and taken out by the run store's append (runs.sql `append`), in the
 * statement that records the events starting or ending them. Claims use FOR UPDATE SKIP
 * LOCKED, so workers claiming at once never wait on each other; leases are checked by the
 * database's clock. Enqueues NOTIFY `baton_work` (the queue) and results `baton_done`
 * (the run), which wake waiting workers and drivers at once; a waiter also looks again on
 * its own timeout, in case a notification was lost.
 */
import type { WaitOptions } from '../event-waits.js';
import { WorkWaiters } from '../work-waiters.js';
import { parseNamedQueries } from '../named-queries.js';
import { toWorkRecord, type WorkRow } from '../rows/work.js';
import type { ClaimedWork, ClaimOptions, WorkClaim, WorkerInfo, WorkerRecord, WorkProgress, WorkQueue, WorkRecord, WorkResult } from '../work.js';
import type { PgDatabase } from './driver.js';
import type { PgNotifier } from './pg-notifier.js';
import queries from './work.sql';

const sql = parseNamedQueries(queries);
const q = (name: string): string => sql.get(name)!;

interface WorkerRow extends Omit<WorkerRecord, 'namespaces'> {
  namespaces: string[] | null;
}

export class PgWorkQueue implements WorkQueue {
  /** This process's waiting workers by queue, and drivers by run. */
  private readonly forWork = new WorkWaiters();
  private readonly forResults = new WorkWaiters();
  private listening?: Promise<unknown>;

  constructor(
    private readonly db: PgDatabase,
    private readonly notifier: PgNotifier,
  ) {}

  /** Every statement here runs per batch of claims or results: prepared once per connection. */
  private statement<R = unknown>(name: string, params: readonly unknown[]): Promise<R[]> {
    return this.db.query<R>(q(name), params, `baton.work.${name}`);
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    const rows = await this.statement<WorkRow>('claim', [options.queues, options.namespaces ?? null, Math.max(0, options.limit), options.worker, options.leaseMs]);
    return rows.map(toRecord).sort((a, b) => a.id - b.id) as ClaimedWork[];
  }

  async extend(worker: string, claims: readonly WorkClaim[], leaseMs: number): Promise<number[]> {
    if (claims.length === 0) return [];
    const rows = await this.statement<{ id: number }>('extend', [worker, claims.map((c) => c.id), claims.map((c) => c.fence), leaseMs]);
    return rows.map((r) => r.id).sort((a, b) => a - b);
  }

  async complete(worker: string, results: ReadonlyArray<WorkClaim & { result: WorkResult }>): Promise<{ accepted: number[]; refused: number[] }> {
    if (results.length === 0) return { accepted: [], refused: [] };
    const rows = await this.statement<{ id: number }>('complete', [worker, results.map((r) => r.id), results.map((r) => r.fence), results.map((r) => JSON.stringify(r.result))]);
    const accepted = new Set(rows.map((r) => r.id));
    return {
      accepted: results.filter((r) => accepted.has(r.id)).map((r) => r.id),
      refused: results.filter((r) => !accepted.has(r.id)).map((r) => r.id),
    };
  }

  async progress(worker: string, reports: ReadonlyArray<WorkClaim & { progress: WorkProgress }>): Promise<number[]> {
    if (reports.length === 0) return [];
    const rows = await this.statement<{ id: number }>('progress', [worker, reports.map((r) => r.id), reports.map((r) => r.fence), reports.map((r) => JSON.stringify(r.progress))]);
    return rows.map((r) => r.id).sort((a, b) => a - b);
  }

  async release(worker: string, claims: readonly WorkClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await this.statement('release', [worker, claims.map((c) => c.id), claims.map((c) => c.fence)]);
  }

  async results(runId: string): Promise<WorkRecord[]> {
    return (await this.statement<WorkRow>('results', [runId])).map(toRecord);
  }

  async ofRun(runId: string): Promise<WorkRecord[]> {
    return (await this.statement<WorkRow>('ofRun', [runId])).map(toRecord);
  }

  async depth(namespace?: string): Promise<Array<{ queue: string; ready: number; claimed: number }>> {
    return this.db.query(q('depth'), [namespace ?? null]);
  }

  async claimed(): Promise<WorkRecord[]> {
    return (await this.db.query<WorkRow>(q('claimed'))).map(toRecord);
  }

  async waitForWork(queues: readonly string[], options: WaitOptions): Promise<void> {
    await this.listen();
    return this.forWork.wait(queues, options);
  }

  async waitForResults(runId: string, options: WaitOptions): Promise<void> {
    await this.listen();
    return this.forResults.wait([runId], options);
  }

  /** One subscription per channel, for every waiter of this process; '' (a reconnect) wakes them all. */
  private listen(): Promise<unknown> {
    this.listening ??= Promise.all([
      this.notifier.subscribe('baton_work', (queue) => (queue === '' ? this.forWork.notifyAll() : this.forWork.notify(queue))),
      this.notifier.subscribe('baton_done', (runId) => (runId === '' ? this.forResults.notifyAll() : this.forResults.notify(runId))),
    ]);
    return this.listening;
  }

  async beat(worker: WorkerInfo): Promise<void> {
    await this.db.query(q('beat'), [
      worker.name,
      worker.host,
      worker.pid,
      worker.queues,
      worker.namespaces ?? null,
      worker.concurrency,
      worker.started_at,
      worker.running,
      worker.driving,
    ]);
  }

  async workers(withinMs: number): Promise<WorkerRecord[]> {
    return (await this.db.query<WorkerRow>(q('workers'), [withinMs])).map((row) => {
      const { namespaces, ...rest } = row;
      return namespaces === null ? rest : { ...rest, namespaces };
    });
  }

  async retire(name: string): Promise<void> {
    await this.db.query(q('retire'), [name]);
  }
}

const toRecord = (row: WorkRow): WorkRecord => toWorkRecord(row, JSON.parse);
