/**
 * What the PostgreSQL tests with real `baton worker` processes share: per test a fresh
 * schema (migrated before any worker starts, so the test's own queries find its tables,
 * and dropped after), a client for those queries, a temp folder, and the worker processes,
 * killed after each test however it ended. Call inside a describe block: it registers the
 * beforeEach/afterEach hooks.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach } from 'vitest';
import { batonAsync, tempDir } from './helpers.js';
import { loadPg } from '../src/store/postgres/driver.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from '../src/store/postgres/test-postgres.js';

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  done: Promise<{ status: number | null }>;
}

/** An event as the events table holds it. */
export interface TableEvent {
  type: string;
  task?: string;
  attempt?: number;
  outputs?: { value?: unknown };
  error?: { code: string; message: string };
  result?: unknown;
}

export interface WorkerOptions {
  /** `--queues`; default `default`. */
  queues?: string;
  /** `--concurrency`; default the worker's. */
  concurrency?: number;
  /** Environment on top of the test's. */
  env?: NodeJS.ProcessEnv;
}

export interface PgWorkers {
  readonly schema: string;
  readonly url: string;
  readonly dir: string;
  readonly workers: WorkerProcess[];
  startWorker(name: string, options?: WorkerOptions): WorkerProcess;
  /** A query of the test's own, on the server (name the schema: `"${schema}".runs`). */
  q<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A run's events from the table, in order. */
  events(runId: string): Promise<TableEvent[]>;
  /** Until `check` holds, looking every 50 ms; the workers' output in the error past `timeoutMs`. */
  waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs?: number): Promise<void>;
  /** The worker holding the claim of a task's work item, once one does. */
  holderOf(task: string): Promise<WorkerProcess>;
}

export function pgWorkers(folderPrefix: string, leaseSeconds: number): PgWorkers {
  let schema = '';
  let url = '';
  let dir = '';
  let workers: WorkerProcess[] = [];
  let db: InstanceType<ReturnType<typeof loadPg>['Client']> | undefined;

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    dir = tempDir(folderPrefix);
    workers = [];
    db = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await db.connect();
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
  });

  afterEach(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    }
    await Promise.all(workers.map((w) => w.done));
    await db?.end();
    await dropSchema(schema);
  });

  const q = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => (await db!.query(sql, params)).rows as R[];
  const waitFor = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => `--- ${w.name}\n${w.output()}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    get schema() {
      return schema;
    },
    get url() {
      return url;
    },
    get dir() {
      return dir;
    },
    get workers() {
      return workers;
    },
    startWorker(name, options = {}) {
      const args = ['worker', '--store', url, '--name', name, '--lease', String(leaseSeconds), '--queues', options.queues ?? 'default'];
      if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
      const started = batonAsync(args, { cwd: dir, ...(options.env ? { env: options.env } : {}) });
      const worker = { name, child: started.child, output: started.output, done: started.done };
      workers.push(worker);
      return worker;
    },
    q,
    events: (runId) => q<{ data: string }>(`SELECT data FROM "${schema}".events WHERE run_id = $1 ORDER BY seq`, [runId]).then((rows) => rows.map((r) => JSON.parse(r.data) as TableEvent)),
    waitFor,
    async holderOf(task) {
      let name: string | undefined;
      await waitFor(async () => {
        name = (await q<{ worker: string }>(`SELECT worker FROM "${schema}".work WHERE task = $1 AND state = 'claimed'`, [task]))[0]?.worker;
        return name !== undefined;
      }, `a worker to claim ${task}`);
      return workers.find((w) => w.name === name)!;
    },
  };
}
