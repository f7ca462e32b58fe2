/**
 * The PostgreSQL server every side of `npm run bench:pg` shares: BATON_BENCH_POSTGRES, by
 * default the machine's own (postgres://root@127.0.0.1:5432/test). Each side gets a schema
 * of its own, made fresh and dropped afterwards, so no side reads another's leftovers and
 * a failed run leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_URL = process.env.BATON_BENCH_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

/** The server settings that change what a commit costs: the figures mean little without them. */
export interface ServerSettings {
  version: string;
  synchronousCommit: string;
  fsync: string;
  sharedBuffers: string;
  maxConnections: number;
}

export async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function serverSettings(): Promise<ServerSettings> {
  return withClient(async (client) => {
    const show = async (name: string) => (await client.query(`SHOW ${name}`)).rows[0][name] as string;
    return {
      version: await show('server_version'),
      synchronousCommit: await show('synchronous_commit'),
      fsync: await show('fsync'),
      sharedBuffers: await show('shared_buffers'),
      maxConnections: Number(await show('max_connections')),
    };
  });
}

/** `BENCH_URL` with baton's `?schema=` (store/postgres/driver.ts reads it). */
export function batonStoreUrl(schema: string): string {
  const url = new URL(BENCH_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/**
 * A fresh schema's name for `fn`, dropped (with everything in it) afterwards, whatever
 * happens. The schema is not created here: each side creates its own on first use, as it
 * would in production (baton's store, graphile-worker's and pg-boss's migrations, DBOS).
 */
export async function inFreshSchema<T>(prefix: string, fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  try {
    return await fn(schema);
  } finally {
    await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`));
  }
}

/**
 * Polls `count` (a query answering one row with a `n` column) until it answers `want`; the
 * time it first did, by performance.now(). Every POLL_MS: a granularity far below the
 * seconds the figures measure. Fails loudly after `timeoutMs`.
 */
export async function waitForCount(client: pg.Client, query: string, params: unknown[], want: (n: number) => boolean, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  for (;;) {
    last = Number((await client.query(query, params)).rows[0].n);
    const now = performance.now();
    if (want(last)) return now;
    if (now > deadline) throw new Error(`${what}: not done within ${timeoutMs / 1000} s (the count was ${last})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const POLL_MS = 10;
