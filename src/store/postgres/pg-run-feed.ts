/**
 * The run feed on PostgreSQL (store/run-feed.ts): each event row keeps the id of the
 * transaction that wrote it (migrations/013_event_feed.sql), and only rows of transactions
 * older than the oldest one still running are read, in (transaction, run, seq) order: those
 * are final, so nothing committed later can fall behind a reader's position. Once a read
 * comes short of its limit, everything below that horizon is behind it.
 */
import type { StoredEvent } from '../events.js';
import { parseNamedQueries } from '../named-queries.js';
import type { FeedEvent, FeedReader, RunFeed } from '../run-feed.js';
import type { PgDatabase } from './driver.js';
import queries from './feed.sql';

const sql = parseNamedQueries(queries);
const q = (name: string) => sql.get(name)!;

interface FeedRow {
  horizon: string;
  tx: string | null;
  run_id: string;
  seq: number;
  data: string;
  namespace: string;
  workflow: string;
  created_at: number | string;
}

/** Where a reader got to: the last event's transaction, run and seq. */
interface Position {
  tx: string;
  run: string;
  seq: number;
}

export class PgRunFeed implements RunFeed {
  constructor(private readonly db: PgDatabase) {}

  async follow(): Promise<FeedReader> {
    const [row] = await this.db.query<{ tx: string }>(q('feedStart'), [], 'feed_start');
    let at: Position = { tx: row.tx, run: '', seq: 0 };
    return {
      read: async (limit, types) => {
        const rows = await this.db.query<FeedRow>(q('feedAfter'), [at.tx, at.run, at.seq, Math.max(0, limit), types === undefined ? null : [...types]], 'feed_after');
        const out: FeedEvent[] = [];
        for (const row of rows) {
          if (row.tx === null) continue;
          const event = JSON.parse(row.data) as StoredEvent;
          event.seq = row.seq;
          out.push({ run_id: row.run_id, namespace: row.namespace, workflow: row.workflow, created_at: Number(row.created_at), event });
        }
        const last = rows.at(-1);
        if (out.length >= limit && last?.tx) at = { tx: last.tx, run: last.run_id, seq: last.seq };
        else if (rows[0] !== undefined) at = { tx: rows[0].horizon, run: '', seq: 0 };
        return out;
      },
    };
  }
}
