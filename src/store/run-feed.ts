/**
 * Every run's events, store-wide, as they are committed: what a reader that follows the
 * whole store reads (the `/metrics` collector of `baton serve`, observability/prometheus/),
 * whoever recorded them: this process, another `baton run` on the same SQLite file, workers
 * on PostgreSQL. A reader starts at "now" (follow) and then reads what was committed since
 * its last read: every event once, each run's in order (runs may interleave in any order).
 *
 * How each store finds what is new (docs/decisions/0030-metrics-and-tracing.md says why):
 * - memory: one list, appended as events are committed.
 * - SQLite: nothing is written for it (a table or an index more costs every append a page
 *   more, ~10% of a short task's time). The reader keeps where it got to in each run it
 *   knows, and looks at the runs that may have moved: those not finished, and those that
 *   ended lately (both found by index). A run it does not know (new, or a finished run a
 *   `baton retry` reopened) is read from its events recorded since its last look, less a
 *   margin (FEED_MARGIN_MS) for commits a moment behind their time: one machine's clock.
 * - PostgreSQL: each event row keeps the id of the transaction that wrote it; a reader reads
 *   only rows of transactions older than the oldest one still running (pg_snapshot_xmin),
 *   which are final, in (transaction, run, seq) order, so no late commit slips behind it.
 *   A transaction that wrote and stays open elsewhere on the server holds readers back.
 *
 * Memory, SQLite and PostgreSQL implement it and pass one contract (contract-feed.ts).
 */
import type { StoredEvent } from './events.js';

/** One event of the feed, with what a reader needs of its run without reading it. */
export interface FeedEvent {
  run_id: string;
  namespace: string;
  workflow: string;
  /** When the run was created (ms since epoch). */
  created_at: number;
  event: StoredEvent;
}

/** How far back a SQLite reader looks for a run it does not know, from its last look. */
export const FEED_MARGIN_MS = 5000;

export interface FeedReader {
  /**
   * Events committed since the last read (since follow() for the first), at most `limit`:
   * when there are more, the next read goes on with them. With `types`, only events of
   * those types are returned; the others are passed over all the same.
   */
  read(limit: number, types?: ReadonlySet<string>): Promise<FeedEvent[]>;
}

export interface RunFeed {
  /** A reader of what is committed from now on: nothing committed before the call is read. */
  follow(): Promise<FeedReader>;
}
