/**
 * `/metrics` of a real `baton serve` (docs/observability.md), scraped over HTTP and read as
 * Prometheus reads it: runs started over the API, by another `baton run` process and by a
 * trigger, on a SQLite store; work waiting for workers while no worker serves its queue;
 * who may scrape. Every figure is waited for by scraping again until it shows (the server
 * reads the store's events within a second), never by sleeping.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newToken } from '../src/access/tokens.js';
import { parseExposition, valueOf, type Exposition } from '../src/observability/prometheus/test-parse.js';
import { DURATION_BUCKETS } from '../src/observability/prometheus/metric-set.js';
import { openStore } from '../src/store/open.js';
import { baton, batonAsync } from './helpers.js';
import { killServers, project, serve } from './serve-helpers.js';

const OK = 'name: ok\ntasks:\n  - id: build\n    command: echo built\n  - id: test\n    depends_on: [build]\n    command: echo tested\n';
// Fails its first attempt (no marker yet), succeeds on its retry.
const FLAKY = 'name: flaky\ntasks:\n  - id: fetch\n    command: test -f marker || { touch marker; exit 1; }\n    retry: { attempts: 2, delay: 100ms }\n';
const BAD = 'name: bad\ntasks:\n  - id: migrate\n    command: exit 3\n  - id: after\n    depends_on: [migrate]\n    command: echo never\n';
const TRIGGERED = 'name: on-release\ntrigger:\n  type: event\n  config: { event: release }\ntasks:\n  - id: announce\n    command: echo released\n';
// Its task waits in queue `tasks`, which no worker serves until the test starts one.
const QUEUED = 'name: queued\ntasks:\n  - id: job\n    queue: tasks\n    command: echo done\n';

const children: Array<ReturnType<typeof batonAsync>> = [];
afterEach(() => {
  killServers();
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});

async function scrape(base: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await fetch(`${base}/metrics`, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** Scrapes until `check` holds (the server reads the store within a second), then returns that scrape. */
async function scrapeUntil(base: string, check: (m: Exposition) => boolean, what: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = await scrape(base, headers);
    if (check(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last scrape:\n${m.samples.filter((s) => s.name.startsWith('baton_') && !s.name.includes('process') && !s.name.includes('nodejs')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const post = (url: string, body: unknown = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('GET /metrics of baton serve', () => {
  it('counts the runs of the API, of another process and of a trigger, with their attempts, retries and durations', async () => {
    const dir = project({ 'ok.yaml': OK, 'flaky.yaml': FLAKY, 'bad.yaml': BAD, 'on-release.yaml': TRIGGERED });
    const s = await serve(dir);
    const first = await scrape(s.base);
    expect(valueOf(first, 'baton_runs_finished_total')).toBe(0);
    expect(first.type.get('baton_task_attempt_duration_seconds')).toBe('histogram');
    expect(first.samples.some((x) => x.name === 'baton_process_resident_memory_bytes')).toBe(true);

    for (const name of ['ok', 'flaky', 'bad']) expect((await post(`${s.base}/api/workflows/${name}/runs`)).status).toBe(201);
    // A run recorded by another process on the same store.
    const cli = baton(['run', path.join(dir, 'ok.yaml')], { cwd: dir });
    expect(cli.status, cli.stderr).toBe(0);
    expect((await post(`${s.base}/api/events/release`, { data: {} })).status).toBe(200);

    const finished = (m: Exposition) => m.samples.filter((x) => x.name === 'baton_runs_finished_total').reduce((sum, x) => sum + x.value, 0);
    const m = await scrapeUntil(s.base, (x) => finished(x) === 5, 'five runs to end');
    const d = { namespace: 'default' };
    expect(valueOf(m, 'baton_runs_created_total', { ...d, workflow: 'ok' })).toBe(2);
    expect(valueOf(m, 'baton_runs_finished_total', { ...d, workflow: 'ok', status: 'succeeded' })).toBe(2);
    expect(valueOf(m, 'baton_runs_finished_total', { ...d, workflow: 'flaky', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_runs_finished_total', { ...d, workflow: 'bad', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_runs_finished_total', { ...d, workflow: 'on-release', status: 'succeeded' })).toBe(1);
    // flaky: one failed attempt, a retry, then a success; bad: a failure with no retry, its dependant skipped.
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'flaky', task: 'fetch', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'flaky', task: 'fetch', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_task_retries_total', { workflow: 'flaky', task: 'fetch' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'flaky', task: 'fetch', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'bad', task: 'migrate', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'bad', task: 'after', status: 'skipped' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'ok', task: 'test', status: 'succeeded' })).toBe(2);
    expect(valueOf(m, 'baton_trigger_firings_total', { workflow: 'on-release', kind: 'event', outcome: 'started' })).toBe(1);
    // Histograms: a bucket per bound from 10 ms to 4 h and +Inf, cumulative, +Inf = count.
    const buckets = m.samples.filter((x) => x.name === 'baton_task_attempt_duration_seconds_bucket' && x.labels.workflow === 'flaky' && x.labels.status === 'failed');
    expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(buckets.at(-1)!.value).toBe(1);
    expect(valueOf(m, 'baton_run_duration_seconds_count', { workflow: 'ok', status: 'succeeded' })).toBe(2);
    expect(valueOf(m, 'baton_run_duration_seconds_sum', { workflow: 'ok', status: 'succeeded' })).toBeGreaterThan(0);
    // Nothing is running now; no label holds a run id.
    expect(valueOf(m, 'baton_runs', { ...d, status: 'running' })).toBe(0);
    expect(m.samples.some((x) => Object.values(x.labels).some((v) => /^[0-9A-Z]{26}$/.test(v)))).toBe(false);
    expect(m.help.get('baton_runs_finished_total')).toMatch(/succeeded, failed or cancelled/);
  }, 60_000);

  it('shows work waiting for a queue no worker serves, and the workers, then the queue emptied', async () => {
    const dir = project({ 'queued.yaml': QUEUED });
    const store = path.join(dir, '.baton', 'baton.db');
    const s = await serve(dir);
    // A worker on `default` drives the run; its task waits in `tasks`.
    const driver = batonAsync(['worker', '--store', store, '--name', 'driver', '--queues', 'default'], { cwd: dir });
    children.push(driver);
    const run = batonAsync(['run', path.join(dir, 'queued.yaml'), '--queue', 'default', '--store', store], { cwd: dir });
    children.push(run);
    const waiting = await scrapeUntil(s.base, (m) => valueOf(m, 'baton_work_items', { queue: 'tasks', state: 'ready' }) === 1, 'the task to wait in queue tasks');
    expect(valueOf(waiting, 'baton_workers', { queue: 'default' })).toBe(1);
    expect(valueOf(waiting, 'baton_workers', { queue: 'tasks' })).toBe(0);
    expect(valueOf(waiting, 'baton_runs', { namespace: 'default', status: 'running' })).toBe(1);
    // A worker for `tasks` takes it.
    children.push(batonAsync(['worker', '--store', store, '--name', 'runner', '--queues', 'tasks'], { cwd: dir }));
    const done = await run.done;
    expect(done.status, run.output()).toBe(0);
    // Gauges are read from the store at most once a second: the queue shows empty within one.
    const after = await scrapeUntil(s.base, (m) => valueOf(m, 'baton_runs_finished_total', { workflow: 'queued', status: 'succeeded' }) === 1 && valueOf(m, 'baton_runs', { namespace: 'default', status: 'running' }) === 0, 'the run to end');
    expect(valueOf(after, 'baton_work_items', { queue: 'tasks', state: 'ready' })).toBe(0);
    expect(valueOf(after, 'baton_task_attempts_total', { workflow: 'queued', task: 'job', status: 'succeeded' })).toBe(1);
  }, 60_000);

  it('needs a token that may read once the store has tokens, unless server.metrics.auth is false', async () => {
    const dir = project({ 'ok.yaml': OK });
    const db = openStore(path.join(dir, '.baton', 'baton.db'));
    const made = newToken();
    await db.access.addToken({ id: made.id, roles: ['viewer'], namespace: 'default', hash: made.hash, created_at: Date.now(), created_by: 'test' });
    await db.close();
    const s = await serve(dir);
    const refused = await fetch(`${s.base}/metrics`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('AUTH_MISSING');
    await scrape(s.base, { authorization: `Bearer ${made.token}` });
    expect(s.log()).toMatch(/metrics for Prometheus at http:\/\/127\.0\.0\.1:\d+\/metrics \(a token that may read needed\)/);
    killServers();

    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\nserver:\n  metrics: {auth: false}\n');
    const open = await serve(dir);
    await scrape(open.base);
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\nserver:\n  metrics: {enabled: false}\n');
    killServers();
    const off = await serve(dir);
    expect((await fetch(`${off.base}/metrics`, { headers: { authorization: `Bearer ${made.token}` } })).status).toBe(404);
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\nserver:\n  metrics: {auth: maybe}\n');
    const bad = baton(['validate', path.join(dir, 'ok.yaml')], { cwd: dir });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/baton\.config\.yaml:3:\d+.*`server\.metrics\.auth` must be true or false/);
  }, 60_000);
});
