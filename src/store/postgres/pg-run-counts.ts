/**
 * RunStore.countRuns and listEnded on PostgreSQL (statements in counts.sql): what a
 * dashboard reads every second or so, answered from the runs' indexes without reading
 * every run.
 */
import { parseNamedQueries } from '../named-queries.js';
import { toRecord, type RunRow } from '../rows.js';
import type { RunCountQuery, RunCounts, RunRecord } from '../store.js';
import type { Queryable } from './driver.js';
import queries from './counts.sql';

type Name = 'countUnfinished' | 'countFailedSince' | 'listEnded';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

export async function countRuns(db: Queryable, query: RunCountQuery): Promise<RunCounts> {
  const namespace = query.namespace ?? null;
  const since = query.failedSince ?? [];
  const [unfinished, failed] = await Promise.all([
    db.query<{ status: 'pending' | 'running' | 'waiting' | 'queued'; n: number }>(q.countUnfinished, [namespace]),
    since.length === 0 ? [] : db.query<{ n: number }>(q.countFailedSince, [namespace, since]),
  ]);
  const counts: RunCounts = { pending: 0, running: 0, waiting: 0, queued: 0, failed: failed.map((row) => row.n) };
  for (const row of unfinished) counts[row.status] = row.n;
  return counts;
}

export async function listEnded(db: Queryable, query: { namespace?: string; limit?: number }): Promise<RunRecord[]> {
  const rows = await db.query<RunRow>(q.listEnded, [query.namespace ?? null, Math.max(0, query.limit ?? 20)]);
  return rows.map(toRecord);
}
