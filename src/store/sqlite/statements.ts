import type BetterSqlite3 from 'better-sqlite3';
import queries from './queries.sql';
import { parseNamedQueries } from '../named-queries.js';

export type Statement = BetterSqlite3.Statement<unknown[]>;

const NAMES = [
  'getRun',
  'insertRun',
  'setTrigger',
  'keyHolder',
  'giveUpKey',
  'lastSeq',
  'readEvents',
  'listTasks',
  'deleteTasks',
  'moveRun',
  'finishRun',
  'listRuns',
  'listRunsOfStatus',
  'allRunIds',
  'runsWithPrefix',
  'runNamespace',
  'setOwner',
  'nextRunForWorkers',
  'setQueue',
  'heartbeat',
  'releaseRun',
  'requestCancel',
] as const;

export type Statements = Record<(typeof NAMES)[number], Statement>;


const sql = parseNamedQueries(queries);

function named(name: string): string {
  const text = sql.get(name);
  if (text === undefined) throw new Error(`queries.sql has no statement named ${name}`);
  return text;
}

/**
 * The statements of a store's own .sql file (parsed by parseNamedQueries), prepared on the
 * connection at first use: most commands that open a store never touch a given part of it.
 */
export function preparedOnUse(db: BetterSqlite3.Database, sql: ReadonlyMap<string, string>): () => Record<string, Statement> {
  let statements: Record<string, Statement> | undefined;
  return () => {
    if (statements === undefined) {
      const prepared: Record<string, Statement> = {};
      for (const [name, text] of sql) prepared[name] = db.prepare(text) as Statement;
      statements = prepared;
    }
    return statements;
  };
}

/** Prepares every single statement of queries.sql once per connection. */
export function prepareStatements(db: BetterSqlite3.Database): Statements {
  const out = {} as Statements;
  for (const name of NAMES) out[name] = db.prepare(named(name));
  return out;
}

/**
 * Many rows in few statements: an INSERT whose VALUES row is repeated for up to `max` rows
 * (prepared once per row count). One statement per 32 rows instead of one per row roughly
 * halves the cost of recording a batch of events.
 */
export class RowInserter {
  private readonly statements = new Map<number, Statement>();
  private readonly row: string;
  private params: unknown[] = [];
  private rows = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    name: 'insertEvents' | 'upsertTasks',
    private readonly width: number,
    private readonly max = 32,
  ) {
    this.row = named(name);
    if ((/VALUES\s*(\([^)]*\))/.exec(this.row)?.[1].split('?').length ?? 0) - 1 !== width) {
      throw new Error(`queries.sql: ${name} should have one VALUES row of ${width} parameters`);
    }
  }

  /** Starts a new batch (dropping what a failed one left). */
  begin(): void {
    this.params = [];
    this.rows = 0;
  }

  add(...values: unknown[]): void {
    for (const value of values) this.params.push(value);
    if (++this.rows === this.max) this.flush();
  }

  flush(): void {
    if (this.rows === 0) return;
    let statement = this.statements.get(this.rows);
    if (!statement) {
      const rows = this.rows;
      statement = this.db.prepare(this.row.replace(/VALUES\s*(\([^)]*\))/, (_, group: string) => `VALUES ${Array(rows).fill(group).join(', ')}`));
      this.statements.set(rows, statement);
    }
    statement.run(this.params);
    this.params = [];
    this.rows = 0;
  }
}
