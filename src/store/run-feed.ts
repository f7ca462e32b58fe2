/**
 * Every run's events, store-wide, in the order they were committed: what a reader that
 * follows the whole store reads (the `/metrics` collector of `baton serve`,
 * observability/prometheus/), whoever recorded them: this process, another `baton run` on
 * the same SQLite file, workers on PostgreSQL. A reader keeps where it got to (a
 * FeedPosition) and asks for what came after; it never misses an event committed after
 * that position, and never reads one twice.
 *
 * How each store keeps the order (docs/decisions/0028-tracing.md says why):
 * - memory: one list, appended as events are committed.
 * - SQLite: writers take the file's write lock one at a time, so numbering rows as they
 *   are inserted (event_feed, filled by a trigger on events) numbers them in commit order.
 * - PostgreSQL: writers commit in any order, so numbers given at insert time would let a
 *   reader pass over a row committed late with a smaller number. Each event row keeps the
 *   id of the transaction that wrote it; a reader reads only rows of transactions older
 *   than the oldest one still running (pg_snapshot_xmin), which are all committed (or
 *   rolled back) for good, in (transaction, run, seq) order. A transaction held open
 *   elsewhere on the server holds readers back until it ends.
 *
 * Memory, SQLite and PostgreSQL implement it and pass one contract (contract-feed.ts).
 */
import type { StoredEvent } from './events.js';

/** Where a reader got to: opaque text, meaningful only to the store that gave it. */
export type FeedPosition = string;

/** One event of the feed, with what a reader needs of its run without reading it. */
export interface FeedEvent {
  run_id: string;
  namespace: string;
  workflow: string;
  /** When the run was created (ms since epoch). */
  created_at: number;
  event: StoredEvent;
}

export interface FeedPage {
  events: FeedEvent[];
  /** Where the next read goes on from (the given position when nothing was read). */
  position: FeedPosition;
}

export interface RunFeed {
  /**
   * The position after everything committed so far: a reader starting here reads only what
   * is committed after the call (on PostgreSQL, also what transactions still open then
   * commit later).
   */
  end(): Promise<FeedPosition>;
  /** Events committed after `position`, oldest first, at most `limit`. STORE_FEED_POSITION when `position` is not one this store gave. */
  after(position: FeedPosition, limit: number): Promise<FeedPage>;
}
