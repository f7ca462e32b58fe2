/**
 * `/metrics` of `baton serve` on a PostgreSQL store that `baton worker` processes share: a
 * run submitted with `baton run` and driven by a worker in another process is counted by
 * the server, which follows the store's events, not its own runs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseExposition, valueOf, type Exposition } from '../src/observability/prometheus/test-parse.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';
import { batonAsync } from './helpers.js';
import { pgWorkers } from './pg-harness.js';
import { killServers, serve } from './serve-helpers.js';

const FLOW = 'name: shipped\ntasks:\n  - id: build\n    command: echo built\n  - id: flaky\n    depends_on: [build]\n    command: test -f marker || { touch marker; exit 1; }\n    retry: { attempts: 2, delay: 100ms }\n';

afterEach(() => killServers());

async function scrapeUntil(base: string, check: (m: Exposition) => boolean, what: string): Promise<Exposition> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const m = parseExposition(await res.text());
    if (check(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describePostgres('/metrics on PostgreSQL', () => {
  const pg = pgWorkers('baton-pg-metrics-', 5);

  it("counts a run that a worker in another process drives, with its retry, and shows the live worker", async () => {
    writeFileSync(path.join(pg.dir, 'baton.config.yaml'), `store: ${pg.url}\n`);
    const s = await serve(pg.dir, '--store', pg.url);
    pg.startWorker('driver');
    const workers = await scrapeUntil(s.base, (m) => valueOf(m, 'baton_workers', { queue: 'default' }) === 1, 'the worker to report itself');
    expect(valueOf(workers, 'baton_runs_finished_total')).toBe(0);
    const file = path.join(pg.dir, 'flow.yaml');
    writeFileSync(file, FLOW);
    const run = batonAsync(['run', file, '--store', pg.url, '--json'], { cwd: pg.dir });
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    const { run_id } = JSON.parse(result.stdout) as { run_id: string };
    // Driven by the worker, not by baton run or the server.
    await pg.waitFor(() => pg.workers[0].output().includes(`run ${run_id} shipped: succeeded`), 'the worker to say it drove the run');
    expect(s.log()).not.toContain(run_id);
    const m = await scrapeUntil(s.base, (x) => valueOf(x, 'baton_runs_finished_total', { workflow: 'shipped', status: 'succeeded' }) === 1, 'the run to be counted');
    expect(valueOf(m, 'baton_runs_created_total', { workflow: 'shipped' })).toBe(1);
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'shipped', task: 'flaky', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'shipped', task: 'flaky', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_task_retries_total', { workflow: 'shipped', task: 'flaky' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'shipped', task: 'build', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_task_attempt_duration_seconds_count', { workflow: 'shipped', task: 'build', status: 'succeeded' })).toBe(1);
  }, 60_000);
});
