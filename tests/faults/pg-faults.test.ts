/**
 * The heavy fault tests of workers on PostgreSQL (docs/postgres.md), run by `npm run
 * test:faults` (and so by .ci/run), one at a time: one of them restarts the PostgreSQL
 * server, which every other test using it would feel. In `npm test` they are skipped, and
 * say so. Invariants are checked from the events table.
 *
 * - PostgreSQL restarted in the middle of a run: workers and the following `baton run`
 *   reconnect with back-off, and the run finishes.
 * - 10,000 tasks over four workers, a random worker killed (-9) every two seconds and a new
 *   one started: every task succeeded exactly once, none lost, and no attempt started
 *   before the one before it ended (so never two live claims of one task at once).
 * - One schedule, three `baton serve` on the same database: one run per tick.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batonAsync, tempDir } from '../helpers.js';
import { loadPg } from '../../src/store/postgres/driver.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { describePostgres, dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from '../../src/store/postgres/test-postgres.js';

const ENABLED = process.env.BATON_FAULTS !== undefined;
const LEASE_S = 2;

if (!ENABLED) {
  describe.skip('PostgreSQL fault tests (run them with `npm run test:faults`: one restarts the server)', () => {
    it('restart, 10,000 tasks with kills, three schedulers', () => undefined);
  });
} else {
  describePostgres('baton worker and baton serve on PostgreSQL: heavy faults', () => {
    let schema: string;
    let url: string;
    let dir: string;
    let children: Array<{ child: ChildProcess; output: () => string; done: Promise<unknown> }>;

    const query = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => {
      // A client per query: the server may have restarted since the last.
      const client = new (loadPg().Client)({ connectionString: PG_TEST_URL });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as R[];
      } finally {
        await client.end();
      }
    };
    const start = (args: string[]) => {
      const started = batonAsync(args, { cwd: dir });
      children.push(started);
      return started;
    };
    const worker = (name: string, queues = 'default') => start(['worker', '--store', url, '--name', name, '--lease', String(LEASE_S), '--concurrency', '16', '--queues', queues]);
    const waitFor = async (check: () => Promise<boolean>, what: string, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${children.map((c) => c.output().slice(-2000)).join('\n---\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const succeeded = async () => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".events WHERE type = 'TaskSucceeded'`))[0].n);
    /** Every task of the run succeeded exactly once, its attempts one after another. */
    const checkRun = async (runId: string, tasks: number) => {
      const rows = await query<{ data: string }>(`SELECT data FROM "${schema}".events WHERE run_id = $1 ORDER BY seq`, [runId]);
      const byTask = new Map<string, Array<{ type: string; attempt?: number }>>();
      for (const row of rows) {
        const event = JSON.parse(row.data) as { type: string; task?: string; attempt?: number };
        if (event.task === undefined || !event.type.startsWith('Task') || event.type === 'TaskReady' || event.type === 'TaskExpanded') continue;
        byTask.set(event.task, [...(byTask.get(event.task) ?? []), event]);
      }
      const leaves = [...byTask.entries()].filter(([key]) => key.includes('['));
      expect(leaves).toHaveLength(tasks);
      for (const [task, events] of leaves) {
        expect(events.filter((e) => e.type === 'TaskSucceeded'), task).toHaveLength(1);
        let open: number | undefined;
        for (const e of events) {
          if (e.type === 'TaskStarted') {
            expect(open, `${task}: attempt ${e.attempt} started while ${open} was live`).toBeUndefined();
            open = e.attempt;
          } else {
            expect(e.attempt, task).toBe(open);
            open = undefined;
          }
        }
      }
      expect(await query(`SELECT * FROM "${schema}".work WHERE run_id = $1`, [runId])).toEqual([]);
    };
    const loop = (name: string, items: number, command?: string, concurrency = 256, queue?: string) => {
      const file = path.join(dir, `${name}.yaml`);
      const task = (command === undefined ? 'type: noop' : `command: ${command}`) + (queue === undefined ? '' : `\n      queue: ${queue}`);
      writeFileSync(file, `name: ${name}\nconcurrency: {tasks: ${concurrency}}\ntasks:\n  - id: each\n    type: loop\n    parallel: true\n    max_concurrency: ${concurrency}\n    items: ${JSON.stringify(Array.from({ length: items }, (_, i) => i))}\n    task:\n      ${task}\n`);
      return file;
    };

    beforeEach(async () => {
      schema = freshSchema();
      url = schemaUrl(schema);
      dir = tempDir('baton-faults-');
      children = [];
      const store = openPostgresStore(url);
      await store.runs.listRuns();
      await store.close();
    });

    afterEach(async () => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await Promise.all(children.map((c) => c.done));
      await dropSchema(schema);
    });

    it('PostgreSQL restarted in the middle of a run: workers and the follower reconnect, and the run finishes', async () => {
      for (const name of ['w1', 'w2', 'w3']) worker(name);
      // Four at a time, 0.2 s each: about three seconds of run, restarted a third of the way in.
      const run = start(['run', loop('restart', 60, 'sleep 0.2', 4), '--store', url, '--json']);
      await waitFor(async () => (await succeeded()) >= 20, '20 tasks done');
      const cluster = readdirSync('/etc/postgresql')[0];
      const restart = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { encoding: 'utf8' });
      expect(restart.status, restart.stderr).toBe(0);
      const result = (await run.done) as { status: number; stdout: string };
      expect(result.status, run.output()).toBe(0);
      const summary = JSON.parse(result.stdout) as { run_id: string; status: string };
      expect(summary.status).toBe('succeeded');
      await checkRun(summary.run_id, 60);
      // The restart was felt: some worker lost the database for a while.
      expect(children.some((c) => /STORE_UNAVAILABLE|cannot claim work/.test(c.output()))).toBe(true);
    }, 180_000);

    it('10,000 tasks over four workers with a random one killed every two seconds: each succeeds exactly once, none is lost', async () => {
      let next = 1;
      const live = () => children.filter((c) => c.child.exitCode === null && c.child.signalCode === null && c !== run);
      // Odd workers drive the run, even ones run its tasks (queue `tasks`): a driver would
      // run a no-op itself (engine/dispatch.ts), and this is about both kinds of claim.
      const another = () => worker(`w${next}`, next++ % 2 === 1 ? 'default' : 'tasks');
      while (next <= 4) another();
      const run = start(['run', loop('many', 10_000, undefined, 256, 'tasks'), '--store', url, '--json']);
      let kills = 0;
      const killer = setInterval(() => {
        const workers = live();
        if (workers.length === 0) return;
        workers[Math.floor(Math.random() * workers.length)].child.kill('SIGKILL');
        kills++;
        another();
      }, 2_000);
      try {
        const result = (await run.done) as { status: number; stdout: string };
        expect(result.status, run.output()).toBe(0);
        const summary = JSON.parse(result.stdout) as { run_id: string; status: string };
        expect(summary.status).toBe('succeeded');
        await checkRun(summary.run_id, 10_000);
      } finally {
        clearInterval(killer);
      }
      expect(kills).toBeGreaterThan(0);
    }, 300_000);

    it('one schedule and three baton serve on one database: one run per tick', async () => {
      const flows = path.join(dir, 'flows');
      mkdirSync(flows);
      writeFileSync(path.join(flows, 'tick.yaml'), `name: tick\ntriggers:\n  - type: schedule\n    config: { schedule: '* * * * * *' }\ntasks:\n  - id: t\n    type: noop\n`);
      for (let i = 0; i < 3; i++) start(['serve', '--store', url, '--port', '0', '--workflows', flows]);
      await waitFor(async () => Number((await query<{ n: string }>(`SELECT count(DISTINCT delivery) AS n FROM "${schema}".trigger_firings`))[0].n) >= 5, 'five ticks');
      for (const c of children) c.child.kill('SIGTERM');
      await Promise.all(children.map((c) => c.done));
      const firings = await query<{ delivery: string; outcome: string; run_id: string | null }>(`SELECT delivery, outcome, run_id FROM "${schema}".trigger_firings ORDER BY id`);
      const started = firings.filter((f) => f.outcome === 'started');
      // Every tick started one run; the other servers' firings of it were refused as duplicates.
      expect(new Set(started.map((f) => f.delivery)).size).toBe(started.length);
      expect(started.length).toBeGreaterThanOrEqual(5);
      const runs = await query<{ id: string }>(`SELECT id FROM "${schema}".runs`);
      expect(runs).toHaveLength(started.length);
    }, 120_000);
  });
}
