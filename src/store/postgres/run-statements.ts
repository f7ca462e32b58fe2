/** The PostgreSQL run store's statements (runs.sql), by name, for pg-run-store.ts and its helpers. */
import { parseNamedQueries } from '../named-queries.js';
import type { Queryable } from './driver.js';
import queries from './runs.sql';

const sql = parseNamedQueries(queries);

export function q(name: string): string {
  const text = sql.get(name);
  if (text === undefined) throw new Error(`runs.sql has no statement named ${name}`);
  return text;
}

/** The statements run on every append or read of a run: prepared once per connection. */
const HOT = new Set(['append', 'getRun', 'listTasks', 'readEvents', 'firstEvent', 'runFence']);

export function statement<R>(on: Queryable, name: string, params: readonly unknown[] = []): Promise<R[]> {
  return on.query<R>(q(name), params, HOT.has(name) ? `baton.runs.${name}` : undefined);
}
