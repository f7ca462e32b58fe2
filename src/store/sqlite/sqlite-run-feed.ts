/**
 * The run feed on SQLite (store/run-feed.ts), with nothing written for it: a reader keeps
 * where it got to in each run it knows, and at each read looks at the runs that may have
 * moved since its last look: those not finished, and those that ended within FEED_MARGIN_MS
 * before it (a run can start and end between two looks). Why that misses nothing:
 *
 * - A run it knows that is no longer among those was read to its end: it was among them at
 *   the last look (else it would not be known), and had ended and been committed before
 *   that look read it, or it would have ended after the look began, and be among them now.
 *   Its place is then forgotten, so the reader keeps only the runs that may still move.
 * - A run it does not know was created since its last look, or is a finished run that a
 *   `baton retry` reopened since: either way, what is new of it was recorded since the last
 *   look began (less the margin, for an event committed a moment after its time), and what
 *   came before, in an earlier life, was recorded before that.
 *
 * The times are the stamps of events and runs, made by processes of the one machine the
 * file lives on. A read cut short by its limit looks again from the same time.
 */
import { parseNamedQueries } from '../named-queries.js';
import type { StoredEvent } from '../events.js';
import { FEED_MARGIN_MS, type FeedEvent, type FeedReader, type RunFeed } from '../run-feed.js';
import type { Database } from './driver.js';
import queries from './feed.sql';
import { sqliteError } from './sqlite-errors.js';
import { parseRow } from './sqlite-rows.js';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

interface RunRow {
  id: string;
  namespace: string;
  workflow: string;
  created_at: number;
  last_seq: number | null;
}

export class SqliteRunFeed implements RunFeed {
  /** Prepared at first use: only `baton serve` with metrics follows the feed. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    db: Database,
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  async follow(): Promise<FeedReader> {
    return this.guard(() => {
      const at = this.now();
      const known = new Map<string, number>();
      for (const run of this.candidates(at - FEED_MARGIN_MS)) known.set(run.id, run.last_seq ?? 0);
      return new SqliteFeedReader(this, known, at);
    });
  }

  /** The runs that may have moved since `since`: not finished, or ended at or after it. */
  candidates(since: number): RunRow[] {
    const q = this.prepared();
    const runs = new Map<string, RunRow>();
    for (const row of q.unfinishedRuns.all() as RunRow[]) runs.set(row.id, row);
    for (const row of q.endedRuns.all({ since }) as RunRow[]) runs.set(row.id, row);
    return [...runs.values()];
  }

  /** Where to start a run not known: after its last event recorded before `since`. */
  seqBefore(runId: string, since: number): number {
    return (this.prepared().seqBefore.get({ run: runId, at: since }) as { seq: number }).seq;
  }

  /**
   * The run's events after `seq` into `into` until it holds `limit` (those of other types
   * than `types` passed over unread); returns the number of the last event read.
   */
  eventsAfter(run: RunRow, seq: number, limit: number, types: ReadonlySet<string> | undefined, into: FeedEvent[]): number {
    const statement = (this.rawEvents ??= this.prepared().eventsAfter.raw(true));
    const wanted = types === undefined ? null : (this.typesJson.get(types) ?? this.remember(types));
    let last = seq;
    for (;;) {
      const rows = statement.all({ run: run.id, seq: last, limit: limit - into.length, types: wanted }) as Array<[number, string]>;
      for (const [number, data] of rows) {
        const event = parseRow(data, this.file) as StoredEvent;
        event.seq = number;
        into.push({ run_id: run.id, namespace: run.namespace, workflow: run.workflow, created_at: run.created_at, event });
        last = number;
      }
      // Fewer than asked for: the run has no more of them now (the events passed over after
      // the last one are passed over again next time, by SQLite alone).
      if (rows.length === 0 || into.length >= limit) return last;
    }
  }

  /** The statement returning rows as arrays (no object per row). */
  private rawEvents?: Statement;
  /** Each set of types as the JSON list the statement takes, made once. */
  private readonly typesJson = new WeakMap<ReadonlySet<string>, string>();

  private remember(types: ReadonlySet<string>): string {
    const json = JSON.stringify([...types]);
    this.typesJson.set(types, json);
    return json;
  }

  guard<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }

  get clock(): () => number {
    return this.now;
  }
}

class SqliteFeedReader implements FeedReader {
  constructor(
    private readonly feed: SqliteRunFeed,
    /** Each run it knows: the number of its last event read. */
    private known: Map<string, number>,
    /** When its last look that went to the end began. */
    private lookedAt: number,
  ) {}

  async read(limit: number, types?: ReadonlySet<string>): Promise<FeedEvent[]> {
    return this.feed.guard(() => {
      const began = this.feed.clock();
      const since = this.lookedAt - FEED_MARGIN_MS;
      const out: FeedEvent[] = [];
      const runs = this.feed.candidates(since);
      const still = new Map<string, number>();
      for (const run of runs) {
        let seq = this.known.get(run.id) ?? this.feed.seqBefore(run.id, since);
        if ((run.last_seq ?? 0) > seq && out.length < limit) seq = this.feed.eventsAfter(run, seq, limit, types, out);
        still.set(run.id, seq);
      }
      // Cut short: the next read looks again from the same time, knowing what this one read.
      if (out.length >= limit) for (const [id, seq] of still) this.known.set(id, seq);
      else {
        this.known = still;
        this.lookedAt = began;
      }
      return out;
    });
  }
}
