/**
 * The notification outbox on PostgreSQL (store/outbox.ts), shared by every process on every
 * machine that uses the schema. Items a run's events cause are written in the run store's
 * append transaction (addIn); senders claim due items with SKIP LOCKED, so several servers
 * and workers sending at once never take the same item or wait on each other.
 */
import { parseNamedQueries } from '../named-queries.js';
import type { Outbox, OutboxClaim, OutboxClaimOptions, OutboxFilter, OutboxItem, OutboxRecord } from '../outbox.js';
import { toOutboxRecord, type OutboxRow } from '../rows/outbox.js';
import type { PgDatabase, Queryable } from './driver.js';
import queries from './outbox.sql';

type Name = 'add' | 'claim' | 'sent' | 'failed' | 'list' | 'prune';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

/** Writes `items` on `on` (the pool, or the append's transaction); returns how many were added (not repeats). */
export async function addIn(on: Queryable, items: readonly OutboxItem[], at: number): Promise<number> {
  if (items.length === 0) return 0;
  // One upsert may not touch a row twice: a key given twice goes in a statement of its own.
  if (new Set(items.map((item) => item.key)).size < items.length && items.length > 1) {
    let added = 0;
    for (const item of items) added += await addIn(on, [item], at);
    return added;
  }
  const rows = await on.query<{ added: boolean }>(q.add, [
    items.map((item) => item.key),
    items.map((item) => item.namespace),
    items.map((item) => item.channel),
    items.map((item) => item.run_id ?? null),
    items.map((item) => JSON.stringify(item.notice)),
    at,
  ]);
  return rows.filter((row) => row.added).length;
}

export class PgOutbox implements Outbox {
  constructor(private readonly db: PgDatabase) {}

  add(items: readonly OutboxItem[], at: number): Promise<number> {
    return this.db.tx((tx) => addIn(tx, items, at));
  }

  async claim(options: OutboxClaimOptions): Promise<OutboxRecord[]> {
    const rows = await this.db.query<OutboxRow>(q.claim, [options.now, options.runId ?? null, options.limit, options.sender, options.now + options.leaseMs]);
    return rows.map((row) => toOutboxRecord(row, JSON.parse)).sort((a, b) => a.id - b.id);
  }

  async sent(claim: OutboxClaim, at: number): Promise<boolean> {
    return (await this.db.query(q.sent, [at, claim.id, claim.fence])).length > 0;
  }

  async failed(claim: OutboxClaim, error: { code: string; message: string }, retryAt?: number): Promise<boolean> {
    return (await this.db.query(q.failed, [retryAt === undefined ? 'failed' : 'pending', retryAt ?? null, JSON.stringify(error), claim.id, claim.fence])).length > 0;
  }

  async list(filter: OutboxFilter = {}): Promise<OutboxRecord[]> {
    const rows = await this.db.query<OutboxRow>(q.list, [filter.state ?? null, filter.channel ?? null, filter.run_id ?? null, filter.namespace ?? null, filter.limit ?? 50]);
    return rows.map((row) => toOutboxRecord(row, JSON.parse));
  }

  async prune(before: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(q.prune, [before]);
    return row?.n ?? 0;
  }
}
