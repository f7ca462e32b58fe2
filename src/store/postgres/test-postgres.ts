/**
 * PostgreSQL for tests: the server of BATON_TEST_POSTGRES (default the machine's own,
 * postgres://root@127.0.0.1:5432/test), a fresh schema for each store a test opens, dropped
 * when the store closes. Tests that need the server use `describePostgres`: where it is not
 * reachable they are skipped and say so loudly, unless BATON_REQUIRE_POSTGRES is set (CI,
 * .ci/run), where they fail instead: there the PostgreSQL suite runs, never skips.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import type { Store } from '../store.js';
import { loadPg } from './driver.js';
import type { PgStoreOptions } from './index.js';

export const PG_TEST_URL = process.env.BATON_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

let probe: Promise<string | undefined> | undefined;

/** Undefined when the server answers; otherwise why not. */
export function postgresUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new (loadPg().Client)({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL at ${PG_TEST_URL} is not reachable (${(err as Error).message})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/** Why the PostgreSQL tests are skipped here, or undefined when they run (read once, at import). */
const skipReason = await postgresUnavailable();

/** A describe() for tests that need PostgreSQL: skipped loudly where there is none, failing where it is required. */
export function describePostgres(name: string, body: () => void): void {
  if (skipReason === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.BATON_REQUIRE_POSTGRES) {
    describe(name, () => {
      it('needs PostgreSQL (BATON_REQUIRE_POSTGRES is set)', () => {
        throw new Error(`${skipReason}: start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set BATON_TEST_POSTGRES`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED: ${name}: ${skipReason}. Set BATON_TEST_POSTGRES to a server to run these tests. ***\n\n`);
  describe.skip(name, body);
}

/** A fresh schema's name; tests of one file and of several files never share one. */
export function freshSchema(): string {
  return `baton_test_${randomBytes(6).toString('hex')}`;
}

/** The store's URL in `schema`. */
export function schemaUrl(schema: string): string {
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Drops a test's schema (and everything in it). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new (loadPg().Client)({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A store in a schema of its own, which closing it drops. */
export async function openTestPgStore(options: Omit<PgStoreOptions, 'url'> = {}): Promise<Store & { url: string }> {
  const schema = freshSchema();
  const url = schemaUrl(schema);
  // Imported when used: the fixture's other helpers serve tests of single parts of the store.
  const { openPostgresStore } = await import('./index.js');
  const store = openPostgresStore(url, options);
  return {
    ...store,
    url,
    async close() {
      try {
        await store.close();
      } finally {
        await dropSchema(schema);
      }
    },
  };
}
