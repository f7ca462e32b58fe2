import type BetterSqlite3 from 'better-sqlite3';
import queries from './queries.sql';

export type Statement = BetterSqlite3.Statement<unknown[]>;

const NAMES = [
  'getRun',
  'insertRun',
  'lastSeq',
  'insertEvent',
  'readEvents',
  'insertTask',
  'updateTask',
  'listTasks',
  'deleteTasks',
  'touchRun',
  'moveRun',
  'finishRun',
  'listRuns',
  'allRunIds',
  'runsWithPrefix',
  'setOwner',
  'heartbeat',
  'releaseRun',
  'requestCancel',
] as const;

export type Statements = Record<(typeof NAMES)[number], Statement>;

/** Splits a .sql file into its statements by their `-- name: x` lines. */
export function parseNamedQueries(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const done = () => {
    if (name !== undefined) out.set(name, body.join('\n').trim());
  };
  for (const line of text.split('\n')) {
    const marker = /^--\s*name:\s*(\w+)\s*$/.exec(line);
    if (marker) {
      done();
      name = marker[1];
      body = [];
    } else if (name !== undefined && !line.startsWith('--')) {
      body.push(line);
    }
  }
  done();
  return out;
}

/** Prepares every statement of queries.sql once per connection. */
export function prepareStatements(db: BetterSqlite3.Database): Statements {
  const sql = parseNamedQueries(queries);
  const out = {} as Statements;
  for (const name of NAMES) {
    const text = sql.get(name);
    if (text === undefined) throw new Error(`queries.sql has no statement named ${name}`);
    out[name] = db.prepare(text);
  }
  return out;
}
