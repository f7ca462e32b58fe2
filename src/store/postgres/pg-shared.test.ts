/**
 * What only a shared store must do beyond the contract: several processes (here, several
 * stores with their own connections on one schema) writing one run, one queue and one
 * timer at the same time; the schema made once when they all open a new database
 * together; and errors that say which server and what to do.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ev, T0 } from '../contract-fixtures.js';
import type { RunAdmissionAsk, TimedEvent } from '../events.js';
import type { QueueDecision } from '../queue.js';
import type { Store } from '../store.js';
import { errorCode } from '../../observability/errors.js';
import { loadPg } from './driver.js';
import { openPostgresStore } from './index.js';
import { PG_SCHEMA_VERSION } from './migrate.js';
import { FALLBACK_MS } from './pg-notifier.js';
import { describePostgres, dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from './test-postgres.js';

describePostgres('postgres store shared by processes', () => {
  let schema: string;
  let stores: Store[];
  /** Another "process": a store of its own on the test's schema. */
  const open = (): Store => {
    const store = openPostgresStore(schemaUrl(schema));
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    schema = freshSchema();
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  });

  it('makes the schema once when four processes open a new database together', async () => {
    const four = [open(), open(), open(), open()];
    await Promise.all(four.map((s, i) => s.runs.createRun({ id: `R${i}`, workflow: 'w', created_at: T0 }, [ev.created()])));
    const client = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM "${schema}".baton_schema ORDER BY version`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await client.end();
    }
    expect((await four[0].runs.listRuns()).map((r) => r.id).sort()).toEqual(['R0', 'R1', 'R2', 'R3']);
  });

  it('numbers the events of one run without gap or repeat when two processes append at once', async () => {
    const [a, b] = [open(), open()];
    await a.runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created(), ev.started()]);
    const writer = (store: Store, prefix: string) => async () => {
      for (let i = 0; i < 40; i++) await store.runs.append('R1', [ev.ready(`${prefix}${i}`), ev.start(`${prefix}${i}`, 1)]);
    };
    await Promise.all([writer(a, 'a')(), writer(b, 'b')()]);
    const events = await a.runs.readEvents('R1');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 2 + 160 }, (_, i) => i + 1));
    const tasks = await b.runs.listTasks('R1');
    expect(tasks).toHaveLength(80);
    expect(tasks.every((t) => t.status === 'running' && t.attempt === 1)).toBe(true);
    // Positions follow first appearance in the log, whichever process wrote it.
    const order = events.filter((e) => e.type === 'TaskReady').map((e) => (e as { task: string }).task);
    expect(tasks.map((t) => t.key)).toEqual(order);
  });

  it('lets one of two processes take the last slot of a concurrency key', async () => {
    const [a, b] = [open(), open()];
    const ask: RunAdmissionAsk = { priority: 0, concurrency: { key: 'prod', limit: 1, on_conflict: 'queue' } };
    const queueWhenHeld =
      (id: string): QueueDecision =>
      (queue) => (queue.holding('prod').length > 0 ? [{ runId: id, events: [{ type: 'RunQueued', priority: 0, reason: 'concurrency', at: T0 } as TimedEvent] }] : []);
    const created = () => ({ ...ev.created(), admission: ask }) as TimedEvent;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).runs.createRun({ id: `R${i}`, workflow: 'w', created_at: T0 + i }, [created()], queueWhenHeld(`R${i}`))),
    );
    const runs = await a.runs.listRuns();
    expect(runs.filter((r) => r.status === 'pending')).toHaveLength(1);
    expect(runs.filter((r) => r.status === 'queued')).toHaveLength(5);
  });

  it('gives a run to exactly one of several processes claiming it at once', async () => {
    const all = [open(), open(), open()];
    await all[0].runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created()]);
    const results = await Promise.all(all.map((s, i) => s.runs.claimRun('R1', { host: 'h', pid: 100 + i, started_at: T0 }, T0, () => false)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("wakes a process waiting for a run's events when another appends, without waiting for its fallback look", async () => {
    const [a, b] = [open(), open()];
    await a.runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created()]);
    const began = Date.now();
    const waiting = b.runs.waitForEvents('R1', 1, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 100));
    await a.runs.append('R1', [ev.started()]);
    const events = await waiting;
    expect(events.map((e) => e.type)).toEqual(['RunStarted']);
    expect(Date.now() - began).toBeLessThan(100 + FALLBACK_MS);
  });

  it('says which server it cannot reach, without the password, and what to do', async () => {
    const store = openPostgresStore('postgres://baton:secret@127.0.0.1:1/baton');
    stores.push(store);
    const error = await store.runs.getRun('R1').catch((err: unknown) => err);
    expect(errorCode(error)).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('secret');
  });

  it('says when the database does not exist', async () => {
    const url = new URL(PG_TEST_URL);
    url.pathname = '/no_such_database_for_baton';
    const store = openPostgresStore(url.toString());
    stores.push(store);
    expect(errorCode(await store.runs.listRuns().catch((err: unknown) => err))).toBe('STORE_NOT_FOUND');
  });

  it('leaves a schema written by a newer baton alone', async () => {
    const first = open();
    await first.runs.listRuns();
    const client = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      await client.query(`INSERT INTO "${schema}".baton_schema (version, name) VALUES ($1, 'from the future')`, [PG_SCHEMA_VERSION + 1]);
    } finally {
      await client.end();
    }
    const error = await open().runs.listRuns().catch((err: unknown) => err);
    expect(errorCode(error)).toBe('STORE_SCHEMA_TOO_NEW');
  });

  it('refuses a schema name that is not a plain name', () => {
    expect(() => openPostgresStore(`${PG_TEST_URL}?schema=a;drop`)).toThrow(/not a plain PostgreSQL name/);
  });
});
