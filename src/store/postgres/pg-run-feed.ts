/**
 * The run feed on PostgreSQL (store/run-feed.ts): each event row keeps the id of the
 * transaction that wrote it (migrations/013_event_feed.sql), and only rows of transactions
 * older than the oldest one still running are read, in (transaction, run, seq) order:
 * those are final, so a position never has a row committed behind it later.
 */
import { formatTxPosition, txPosition } from '../feed-position.js';
import { parseNamedQueries } from '../named-queries.js';
import type { StoredEvent } from '../events.js';
import type { FeedPage, FeedPosition, RunFeed } from '../run-feed.js';
import type { PgDatabase } from './driver.js';
import queries from './feed.sql';

const sql = parseNamedQueries(queries);
const q = (name: string) => sql.get(name)!;

interface FeedRow {
  tx: string;
  run_id: string;
  seq: number;
  data: string;
  namespace: string;
  workflow: string;
  created_at: number | string;
}

export class PgRunFeed implements RunFeed {
  constructor(private readonly db: PgDatabase) {}

  async end(): Promise<FeedPosition> {
    const [row] = await this.db.query<{ tx: string }>(q('feedEnd'), [], 'feed_end');
    return formatTxPosition({ tx: row.tx, seq: 0, run: '' });
  }

  async after(position: FeedPosition, limit: number): Promise<FeedPage> {
    const from = txPosition(position);
    const rows = await this.db.query<FeedRow>(q('feedAfter'), [from.tx, from.run, from.seq, Math.max(0, limit)], 'feed_after');
    const events = rows.map((row) => {
      const event = JSON.parse(row.data) as StoredEvent;
      event.seq = row.seq;
      return { run_id: row.run_id, namespace: row.namespace, workflow: row.workflow, created_at: Number(row.created_at), event };
    });
    const last = rows.at(-1);
    return { events, position: last === undefined ? position : formatTxPosition({ tx: last.tx, seq: last.seq, run: last.run_id }) };
  }
}
