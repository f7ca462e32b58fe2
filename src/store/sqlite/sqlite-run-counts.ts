/**
 * RunStore.countRuns and listEnded on SQLite (statements in counts.sql): what a dashboard
 * reads every second or so, answered from the runs' indexes without reading every run.
 */
import { parseNamedQueries } from '../named-queries.js';
import { toRecord, type RunRow } from '../rows.js';
import type { RunCountQuery, RunCounts, RunRecord } from '../store.js';
import type { Database } from './driver.js';
import queries from './counts.sql';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

export class SqliteRunCounts {
  /** Prepared at first use: only dashboards count. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(db: Database) {
    this.prepared = preparedOnUse(db, sql);
  }

  count(query: RunCountQuery): RunCounts {
    const q = this.prepared();
    const namespace = query.namespace ?? null;
    const counts: RunCounts = { pending: 0, running: 0, waiting: 0, queued: 0, failed: [] };
    for (const row of q.countUnfinished.all({ namespace }) as Array<{ status: 'pending' | 'running' | 'waiting' | 'queued'; n: number }>) counts[row.status] = row.n;
    counts.failed = (query.failedSince ?? []).map((since) => q.countFailedSince.pluck().get({ namespace, since }) as number);
    return counts;
  }

  listEnded(query: { namespace?: string; limit?: number }): RunRecord[] {
    const rows = this.prepared().listEnded.all({ namespace: query.namespace ?? null, limit: Math.max(0, query.limit ?? 20) }) as RunRow[];
    return rows.map(toRecord);
  }
}
