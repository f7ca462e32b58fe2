/**
 * RunStore.runStats on PostgreSQL (store/run-stats.ts): the two statements of run-stats.sql.
 * Each reads its own snapshot, so a run created between them may show tasks without its
 * run row: the fold over them (observability/metrics/) leaves such tasks out.
 */
import { parseNamedQueries } from '../named-queries.js';
import { statsRun, statsTask, type StatsFilter, type StatsRows } from '../run-stats.js';
import type { Queryable } from './driver.js';
import queries from './run-stats.sql';

const q = Object.fromEntries(parseNamedQueries(queries)) as Record<'statsRuns' | 'statsTasks', string>;

type Row = Parameters<typeof statsRun>[0] & Parameters<typeof statsTask>[0];

export async function pgRunStats(db: Queryable, filter: StatsFilter): Promise<StatsRows> {
  const params = [filter.since, filter.namespace ?? null, filter.workflow ?? null];
  const [runs, tasks] = await Promise.all([
    db.query<Row>(q.statsRuns, params),
    filter.tasks === false ? Promise.resolve([]) : db.query<Row>(q.statsTasks, params),
  ]);
  return { runs: runs.map(statsRun), tasks: tasks.map(statsTask) };
}
