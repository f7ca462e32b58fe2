/**
 * node-postgres (`pg`), loaded on first use: only a store on PostgreSQL needs it, and most
 * commands never open one. The bundle keeps it external (scripts/esbuild-node.mjs).
 *
 * `PgDatabase` is the one way this store talks to the server: a pool of connections, a
 * query, and a transaction that is retried when PostgreSQL says it may be (a serialization
 * failure, a deadlock, a connection lost before COMMIT was sent). BIGINT columns (times in
 * ms, sequence numbers) come back as numbers: every value baton keeps in one fits in 2^53.
 */
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import { StoreError } from '../errors.js';
import { pgError, redact } from './pg-errors.js';

type PgModule = typeof Pg;
let driver: PgModule | undefined;

export function loadPg(): PgModule {
  if (driver) return driver;
  try {
    driver = createRequire(import.meta.url)('pg') as PgModule;
  } catch (err) {
    throw new StoreError('STORE_DRIVER', 'cannot load the `pg` package, which PostgreSQL stores need: reinstall baton (`npm install`)', { cause: err });
  }
  return driver;
}

export type Row = Record<string, unknown>;

/** A connection inside a transaction (or the pool outside one): what queries run on. */
export interface Queryable {
  /**
   * Runs a statement. With `name`, it is prepared once per connection and then only
   * executed: the hot statements (an append, a claim) are planned once, not on every call.
   * A name stands for one text: never give two statements the same name.
   */
  query<R = Row>(sql: string, params?: readonly unknown[], name?: string): Promise<R[]>;
}

export interface PgOptions {
  /** The connection URL (postgres://user:password@host:port/database); `?schema=` is taken out and used. */
  url: string;
  /** Connections in the pool; default 10. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Serialization failure, deadlock: PostgreSQL asks for the transaction to be tried again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_TRIES = 5;

export class PgDatabase implements Queryable {
  readonly pool: Pg.Pool;
  /** The schema the store's tables are in (`public` unless the URL's `?schema=` names one). */
  readonly schema: string;
  /** The URL without its password, for messages. */
  readonly location: string;
  private readonly connectionString: string;
  /** Settles once the schema is ready (migrate.ts); every query waits for it. */
  private ready: Promise<void> = Promise.resolve();

  constructor(options: PgOptions) {
    const pg = loadPg();
    const { connectionString, schema } = splitSchema(options.url);
    this.schema = schema;
    this.connectionString = connectionString;
    this.location = redact(options.url);
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'baton',
      // search_path is set on every new connection: the queries name tables unqualified.
      options: `-c search_path=${quoteIdent(schema)}`,
      types: { getTypeParser: typeParser(pg) } as Pg.CustomTypesConfig,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection that the server drops (a restart) must not crash the process:
    // the pool discards it and the next query opens another.
    this.pool.on('error', () => undefined);
  }

  /** Makes every query wait for `preparation` (the schema's migration) first. */
  prepare(preparation: (db: PgDatabase) => Promise<void>): void {
    const ready = preparation(this);
    // Seen by the first query; not an unhandled rejection meanwhile.
    ready.catch(() => undefined);
    this.ready = ready;
  }

  async query<R = Row>(sql: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    await this.ready;
    try {
      const result = await this.pool.query(statement(sql, params, name));
      return result.rows as R[];
    } catch (err) {
      throw pgError(err, this.location);
    }
  }

  /**
   * Runs `fn` in a transaction on one connection, committed when it returns and rolled
   * back when it throws. Tried again (from the start, `fn` included) when PostgreSQL
   * reports a serialization failure or a deadlock, so `fn` must only touch the database
   * and its own locals until it returns.
   */
  tx<T>(fn: (client: Queryable) => Promise<T>, isolation: 'read committed' | 'serializable' = 'read committed'): Promise<T> {
    return this.ready.then(() => this.rawTx(fn, isolation));
  }

  /** A transaction without waiting for the schema (the migration's own). */
  async rawTx<T>(fn: (client: Queryable) => Promise<T>, isolation: 'read committed' | 'serializable' = 'read committed'): Promise<T> {
    for (let tries = 1; ; tries++) {
      let client: Pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw pgError(err, this.location);
      }
      const on: Queryable = {
        query: async <R>(sql: string, params: readonly unknown[] = [], name?: string) => (await client.query(statement(sql, params, name))).rows as R[],
      };
      let broken = false;
      try {
        await client.query(isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN');
        const result = await fn(on);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && tries < MAX_TRIES) continue;
        throw pgError(err, this.location);
      } finally {
        client.release(broken);
      }
    }
  }

  /** A connection of its own, outside the pool, for LISTEN. */
  newClient(): Pg.Client {
    const pg = loadPg();
    return new pg.Client({ connectionString: this.connectionString, application_name: 'baton-listen' });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A statement for node-postgres: named (prepared per connection) when a name is given. */
function statement(text: string, params: readonly unknown[], name: string | undefined): Pg.QueryConfig {
  return name === undefined ? { text, values: params as unknown[] } : { name, text, values: params as unknown[] };
}

/** `?schema=name` taken out of the URL (node-postgres would pass it to the server). */
function splitSchema(url: string): { connectionString: string; schema: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new StoreError('STORE_CANT_OPEN', `${redact(url)} is not a valid PostgreSQL URL: write it as postgres://user:password@host:5432/database`, {
      cause: err,
      details: { location: redact(url) },
    });
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema)) {
    throw new StoreError('STORE_CANT_OPEN', `schema "${schema}" in ${redact(url)} is not a plain PostgreSQL name: use letters, digits and _`, {
      details: { location: redact(url), schema },
    });
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** int8 as a number, numeric as a number; everything else as node-postgres parses it. */
function typeParser(pg: PgModule) {
  const INT8 = 20;
  const NUMERIC = 1700;
  return (oid: number, format?: string) => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  };
}
