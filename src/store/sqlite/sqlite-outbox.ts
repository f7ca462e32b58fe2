/**
 * The notification outbox on SQLite (store/outbox.ts), on the connection of the run store,
 * so every process sharing the file shares it. Items a run's events cause are written by
 * the run store's append transaction (addNow). A claim that finds items due takes them in
 * one BEGIN IMMEDIATE transaction, so of several senders claiming at once each item goes to
 * one; a claim that finds none learns so by reading alone, without the write lock.
 */
import { parseNamedQueries } from '../named-queries.js';
import type { Outbox, OutboxClaim, OutboxClaimOptions, OutboxFilter, OutboxItem, OutboxRecord } from '../outbox.js';
import { toOutboxRecord, type OutboxRow } from '../rows/outbox.js';
import type { Database } from './driver.js';
import queries from './outbox.sql';
import { sqliteError } from './sqlite-errors.js';
import { parseRow } from './sqlite-rows.js';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

export class SqliteOutbox implements Outbox {
  /** Prepared at first use: most commands that open a store never touch the outbox. */
  private readonly prepared: () => Record<string, Statement>;
  private addTx?: (items: readonly OutboxItem[], at: number) => number;
  private claimTx?: (options: OutboxClaimOptions) => OutboxRecord[];

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  private readonly parse = (text: string): unknown => parseRow(text, this.file);

  /** Inside a transaction (the run store's append, or add's own): the items, each added or counted a repeat. */
  addNow(items: readonly OutboxItem[], at: number): number {
    let added = 0;
    for (const item of items) {
      if (this.q.repeat.run(item.key).changes > 0) continue;
      this.q.add.run(item.key, item.namespace, item.channel, item.run_id ?? null, JSON.stringify(item.notice), at, at);
      added++;
    }
    return added;
  }

  async add(items: readonly OutboxItem[], at: number): Promise<number> {
    if (items.length === 0) return 0;
    return this.guard(() => {
      this.addTx ??= this.db.transaction((list: readonly OutboxItem[], when: number) => this.addNow(list, when)).immediate;
      return this.addTx(items, at);
    });
  }

  async claim(options: OutboxClaimOptions): Promise<OutboxRecord[]> {
    return this.guard(() => {
      // Reading alone first: while nothing is due, no write lock is taken.
      if (this.due(options).length === 0) return [];
      this.claimTx ??= this.db.transaction((opts: OutboxClaimOptions) => {
        const out: OutboxRecord[] = [];
        for (const id of this.due(opts)) {
          const row = this.q.claim.get(opts.sender, opts.now + opts.leaseMs, id, opts.now, opts.now) as OutboxRow | undefined;
          if (row) out.push(toOutboxRecord(row, this.parse));
        }
        return out;
      }).immediate;
      return this.claimTx(options);
    });
  }

  private due(options: OutboxClaimOptions): number[] {
    const rows = (options.runId === undefined
      ? this.q.due.all(options.now, options.now, options.limit)
      : this.q.dueOfRun.all(options.now, options.now, options.runId, options.limit)) as Array<{ id: number }>;
    return rows.map((row) => row.id);
  }

  async sent(claim: OutboxClaim, at: number): Promise<boolean> {
    return this.guard(() => this.q.sent.run(at, claim.id, claim.fence).changes > 0);
  }

  async failed(claim: OutboxClaim, error: { code: string; message: string }, retryAt?: number): Promise<boolean> {
    return this.guard(() => this.q.failed.run(retryAt === undefined ? 'failed' : 'pending', retryAt ?? null, JSON.stringify(error), claim.id, claim.fence).changes > 0);
  }

  async list(filter: OutboxFilter = {}): Promise<OutboxRecord[]> {
    return this.guard(() => {
      const f = (value: string | undefined) => [value ?? null, value ?? null];
      const rows = this.q.list.all(...f(filter.state), ...f(filter.channel), ...f(filter.run_id), ...f(filter.namespace), filter.limit ?? 50) as OutboxRow[];
      return rows.map((row) => toOutboxRecord(row, this.parse));
    });
  }

  async prune(before: number): Promise<number> {
    return this.guard(() => this.q.prune.run(before).changes);
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
