/**
 * The run feed on SQLite (store/run-feed.ts): event_feed numbers every event row as it is
 * inserted (a trigger, migrations/018_event_feed.sql), and the file's write lock makes
 * that the commit order.
 */
import { numberedPosition } from '../feed-position.js';
import { parseNamedQueries } from '../named-queries.js';
import type { StoredEvent } from '../events.js';
import type { FeedPage, FeedPosition, RunFeed } from '../run-feed.js';
import type { Database } from './driver.js';
import queries from './feed.sql';
import { sqliteError } from './sqlite-errors.js';
import { parseRow } from './sqlite-rows.js';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

interface FeedRow {
  pos: number;
  run_id: string;
  seq: number;
  data: string;
  namespace: string;
  workflow: string;
  created_at: number;
}

export class SqliteRunFeed implements RunFeed {
  /** Prepared at first use: only `baton serve` with metrics reads the feed. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  async end(): Promise<FeedPosition> {
    return this.guard(() => String((this.prepared().feedEnd.get() as { pos: number }).pos));
  }

  async after(position: FeedPosition, limit: number): Promise<FeedPage> {
    const after = numberedPosition(position, 'sqlite');
    return this.guard(() => {
      const rows = this.prepared().feedAfter.all({ after, limit: Math.max(0, limit) }) as FeedRow[];
      const events = rows.map((row) => {
        const event = parseRow(row.data, this.file) as StoredEvent;
        event.seq = row.seq;
        return { run_id: row.run_id, namespace: row.namespace, workflow: row.workflow, created_at: row.created_at, event };
      });
      return { events, position: rows.length > 0 ? String(rows[rows.length - 1].pos) : position };
    });
  }

  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
