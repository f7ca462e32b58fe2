/**
 * Figure 1 of `npm run bench:pg`: 10,000 no-op tasks through N worker processes, baton
 * against graphile-worker and pg-boss on the same server. Every side runs real child
 * processes started before the work is submitted and stopped (SIGTERM) after it is done,
 * each in a fresh schema dropped afterwards. The clock starts when the work is submitted
 * and stops when the database says the last of it is done:
 *
 * - baton: one workflow run whose tasks are a parallel loop of `tasks` no-ops (the run's
 *   own limits above what the workers take, so only the workers limit it), submitted with
 *   `baton run --store postgres://...`; from its RunCreated to its RunSucceeded, as the run
 *   recorded them (the CLI's whole wall time is reported beside it).
 * - graphile-worker and pg-boss: `tasks` jobs inserted in one statement (their bulk
 *   insert), from just before that statement until a poll sees every job completed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { Logger, runMigrations } from 'graphile-worker';
import { inTempDir } from '../sqlite-overhead.js';
import { batonWorker, cliRun, migrateStore, recordedRun, succeededWith, WORKER_CONCURRENCY } from './baton-cli.js';
import { batonStoreUrl, BENCH_URL, inFreshSchema, waitForCount, withClient } from './database.js';
import { withWorkers } from './processes.js';

export interface Throughput {
  /** From submitting the work to the last of it done, in ms. */
  ms: number;
  tasksPerSecond: number;
  /** baton: the `baton run` process from spawn to exit, start-up included. */
  cliMs?: number;
}

/** Connections per peer worker process: four of them stay under the server's default max_connections (100). baton's store uses 10. */
const PEER_POOL = 20;
/** Generous: every side does 10,000 no-ops in well under a minute here, except pg-boss with one process (about 80 s, see pg-boss-process.ts). */
const TIMEOUT_MS = (tasks: number) => 60_000 + tasks * 20;

/** A workflow of `tasks` no-ops, all free to run at once. */
export function noopLoopYaml(tasks: number): string {
  const items = Array.from({ length: tasks }, (_, i) => i).join(',');
  return [
    `name: bench-noop-${tasks}`,
    'concurrency:',
    `  tasks: ${tasks}`,
    'tasks:',
    '  - id: each',
    '    type: loop',
    '    parallel: true',
    `    max_concurrency: ${tasks}`,
    `    items: [${items}]`,
    '    task:',
    '      id: one',
    '      type: noop',
    '',
  ].join('\n');
}

export async function batonThroughput(baton: string, tasks: number, processes: number): Promise<Throughput> {
  return inTempDir('baton-bench-pg-', (dir) =>
    inFreshSchema('bench_baton', async (schema) => {
      const store = batonStoreUrl(schema);
      const file = path.join(dir, 'noop.yaml');
      writeFileSync(file, noopLoopYaml(tasks));
      await migrateStore(store);
      return withWorkers(
        processes,
        (i) => batonWorker(baton, store, dir, `baton worker ${i + 1}/${processes}`),
        async () => {
          const run = await cliRun(baton, file, store, dir, TIMEOUT_MS(tasks));
          const recorded = await recordedRun(store, run.runId, `${tasks} no-op tasks on ${processes} baton worker(s)`, (state) => {
            const done = succeededWith(state, 'each[');
            return done === tasks ? undefined : `${done} of ${tasks} tasks succeeded`;
          });
          return { ms: recorded.createdToEndMs, tasksPerSecond: (tasks * 1000) / recorded.createdToEndMs, cliMs: run.ms };
        },
      );
    }),
  );
}

const quietGraphile = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

export async function graphileThroughput(script: string, tasks: number, processes: number): Promise<Throughput> {
  return inTempDir('baton-bench-graphile-', (dir) =>
    inFreshSchema('bench_graphile', async (schema) => {
      await runMigrations({ connectionString: BENCH_URL, schema, logger: quietGraphile });
      const workers = (i: number) => ({
        label: `graphile-worker ${i + 1}/${processes}`,
        args: [script, BENCH_URL, schema, String(WORKER_CONCURRENCY), String(PEER_POOL)],
        ready: /^ready$/m,
        cwd: dir,
      });
      return withWorkers(processes, workers, () =>
        withClient(async (client) => {
          const s = pg.escapeIdentifier(schema);
          const start = performance.now();
          await client.query(
            `SELECT count(*) FROM ${s}.add_jobs(ARRAY(SELECT ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::${s}.job_spec FROM generate_series(1, $1::int)))`,
            [tasks],
          );
          // A completed job is deleted; one that failed stays, with its error, and the wait times out.
          const what = `graphile-worker, ${tasks} jobs on ${processes} process(es)`;
          const end = await waitForCount(client, `SELECT count(*) AS n FROM ${s}._private_jobs`, [], (n) => n === 0, TIMEOUT_MS(tasks), what);
          return { ms: end - start, tasksPerSecond: (tasks * 1000) / (end - start) };
        }),
      );
    }),
  );
}

const PG_BOSS_QUEUE = 'noop';

export async function pgBossThroughput(script: string, tasks: number, processes: number): Promise<Throughput> {
  return inTempDir('baton-bench-pg-boss-', (dir) =>
    inFreshSchema('bench_pgboss', async (schema) => {
      const boss = new PgBoss({ connectionString: BENCH_URL, schema, max: 2, supervise: false, schedule: false });
      boss.on('error', (err: Error) => process.stderr.write(`pg-boss error: ${err.message}\n`));
      await boss.start();
      try {
        await boss.createQueue(PG_BOSS_QUEUE);
        const workers = (i: number) => ({
          label: `pg-boss ${i + 1}/${processes}`,
          args: [script, BENCH_URL, schema, PG_BOSS_QUEUE, String(WORKER_CONCURRENCY), String(PEER_POOL)],
          ready: /^ready$/m,
          cwd: dir,
        });
        return await withWorkers(processes, workers, () =>
          withClient(async (client) => {
            const jobs = Array.from({ length: tasks }, () => ({ name: PG_BOSS_QUEUE, data: {} }));
            const start = performance.now();
            await boss.insert(jobs);
            const s = pg.escapeIdentifier(schema);
            const what = `pg-boss, ${tasks} jobs on ${processes} process(es)`;
            const end = await waitForCount(client, `SELECT count(*) AS n FROM ${s}.job WHERE name = $1 AND state = 'completed'`, [PG_BOSS_QUEUE], (n) => n === tasks, TIMEOUT_MS(tasks), what);
            return { ms: end - start, tasksPerSecond: (tasks * 1000) / (end - start) };
          }),
        );
      } finally {
        await boss.stop({ graceful: false, wait: true, close: true });
      }
    }),
  );
}
