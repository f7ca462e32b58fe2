/**
 * RunStore.runStats in memory (store/run-stats.ts): the same rows SQLite and PostgreSQL
 * read with run-stats.sql, from the records, the projection and the events kept here.
 */
import type { StoredEvent } from '../events.js';
import { statsRun, statsTask, type StatsFilter, type StatsRows } from '../run-stats.js';
import type { RunRecord, TaskRecord } from '../store.js';

export interface MemoryStatsSource {
  records: Iterable<RunRecord>;
  events: (runId: string) => readonly StoredEvent[];
  tasks: (runId: string) => Promise<TaskRecord[]>;
}

export async function memoryRunStats(source: MemoryStatsSource, filter: StatsFilter): Promise<StatsRows> {
  const chosen = [...source.records]
    .filter((run) => run.created_at >= filter.since && (filter.namespace === undefined || run.namespace === filter.namespace) && (filter.workflow === undefined || run.workflow === filter.workflow))
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows: StatsRows = { runs: chosen.map((run) => statsRun(run)), tasks: [] };
  if (filter.tasks === false) return rows;
  for (const run of chosen) {
    const ready = new Map<string, number>();
    for (const event of source.events(run.id)) {
      if (event.type === 'TaskReady') ready.set(event.task, Math.min(ready.get(event.task) ?? Infinity, event.at));
    }
    for (const task of await source.tasks(run.id)) rows.tasks.push(statsTask({ ...task, run_id: run.id, ready_at: ready.get(task.key) }));
  }
  return rows;
}
