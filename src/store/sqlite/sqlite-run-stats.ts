/**
 * RunStore.runStats on SQLite (store/run-stats.ts): two statements of run-stats.sql, run
 * in one read transaction so the task rows belong to exactly the runs listed, even while
 * another process appends.
 */
import { parseNamedQueries } from '../named-queries.js';
import { statsRun, statsTask, type StatsFilter, type StatsRows } from '../run-stats.js';
import type { Database } from './driver.js';
import queries from './run-stats.sql';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

type Row = Parameters<typeof statsRun>[0] & Parameters<typeof statsTask>[0];

/** Reads the rows of a filter; prepared at first use (most commands never read metrics). */
export function sqliteRunStats(db: Database): (filter: StatsFilter) => StatsRows {
  const prepared = preparedOnUse(db, sql);
  let read: ((filter: StatsFilter) => StatsRows) | undefined;
  return (filter) => {
    read ??= db.transaction((f: StatsFilter): StatsRows => {
      const q: Record<string, Statement> = prepared();
      const params = { since: f.since, namespace: f.namespace ?? null, workflow: f.workflow ?? null };
      const runs = (q.statsRuns.all(params) as Row[]).map(statsRun);
      const tasks = f.tasks === false ? [] : (q.statsTasks.all(params) as Row[]).map(statsTask);
      return { runs, tasks };
    }).deferred;
    return read(filter);
  };
}
