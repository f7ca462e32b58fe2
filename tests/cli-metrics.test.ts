/**
 * `baton metrics` over real runs: workflows that succeed, fail and retry, run by `baton run`
 * into one SQLite store, then read back as figures (docs/cli.md#baton-metrics).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MetricsJson, WorkflowMetrics } from '../src/observability/metrics/types.js';
import { baton, tempDir } from './helpers.js';

const FLAKY = `name: flaky
tasks:
  - id: call
    # Fails the first time in this folder, then succeeds: one retry over two runs.
    command: if [ -f called ]; then echo ok; else touch called; exit 1; fi
    retry: { attempts: 3, delay: 10ms }
  - id: after
    depends_on: [call]
    command: echo done
`;

const BROKEN = `name: broken
tasks:
  - id: fail
    command: exit 3
  - id: never
    depends_on: [fail]
    command: echo unreachable
`;

// a, then b (slow) and c (quick) side by side, then d: the critical path is a, b, d.
const DIAMOND = `name: diamond
tasks:
  - id: a
    command: sleep 0.2
  - id: b
    depends_on: [a]
    command: sleep 1
  - id: c
    depends_on: [a]
    command: "true"
  - id: d
    depends_on: [b, c]
    command: "true"
`;

const CODE = `import { workflow } from 'baton';

export default workflow({ name: 'steps' }, async (ctx) => {
  await ctx.step('fetch', () => new Promise((done) => setTimeout(() => done('got'), 300)));
  const both = await Promise.all([ctx.step('quick', () => new Promise((done) => setTimeout(() => done('q'), 50))), ctx.step('slow', () => new Promise((done) => setTimeout(() => done('s'), 400)))]);
  return ctx.summary(await ctx.step('report', () => both.join(',')));
});
`;

let dir: string;
let store: string;
const metrics = (...args: string[]) => baton(['metrics', '--store', store, ...args], { cwd: dir });
const flow = (doc: MetricsJson, name: string): WorkflowMetrics => doc.workflows.find((w) => w.workflow === name)!;

beforeAll(() => {
  dir = tempDir('baton-metrics-');
  store = path.join(dir, 'runs.db');
  const files = { 'flaky.yaml': FLAKY, 'broken.yaml': BROKEN, 'diamond.yaml': DIAMOND, 'steps.ts': CODE };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  for (const [file, exit] of [['flaky.yaml', 0], ['flaky.yaml', 0], ['broken.yaml', 1], ['diamond.yaml', 0], ['diamond.yaml', 0], ['steps.ts', 0]] as const) {
    const run = baton(['run', file, '--store', store, '--view', 'none'], { cwd: dir });
    expect(run.status, `${file}: ${run.stdout}${run.stderr}`).toBe(exit);
  }
}, 120_000);

describe('baton metrics', () => {
  it('counts runs, the success rate of finished runs, failures and retries per workflow and per task', () => {
    const result = metrics('--json');
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as MetricsJson;
    expect(doc.totals).toEqual({ runs: 6, succeeded: 5, failed: 1, cancelled: 0, unfinished: 0, success_rate: 83.33 });
    expect(doc.workflows.map((w) => w.workflow)).toEqual(['broken', 'diamond', 'flaky', 'steps']);

    const flaky = flow(doc, 'flaky');
    expect(flaky).toMatchObject({ runs: 2, succeeded: 2, failed: 0, success_rate: 100, retries: 1 });
    expect(flaky.tasks.map((t) => [t.task, t.type, t.runs, t.succeeded, t.failed, t.retries])).toEqual([
      ['call', 'shell', 2, 2, 0, 1],
      ['after', 'shell', 2, 2, 0, 0],
    ]);

    const broken = flow(doc, 'broken');
    expect(broken).toMatchObject({ runs: 1, succeeded: 0, failed: 1, success_rate: 0, retries: 0 });
    // `never` was skipped: it never started, so it has no run and no duration.
    expect(broken.tasks.map((t) => [t.task, t.runs, t.failed, t.duration_ms === undefined])).toEqual([
      ['fail', 1, 1, false],
      ['never', 0, 0, true],
    ]);

    const diamond = flow(doc, 'diamond');
    expect(diamond.runs).toBe(2);
    // Each task of a workflow file has a queue wait (from its TaskReady); a code run's steps have none.
    for (const task of diamond.tasks) expect(typeof task.queue_wait_ms, task.task).toBe('number');
    expect(flow(doc, 'steps').tasks.filter((t) => t.queue_wait_ms !== undefined)).toEqual([]);
    expect(typeof diamond.queue_wait_ms).toBe('number');
    expect(diamond.tasks.find((t) => t.task === 'b')!.duration_ms!.p50).toBeGreaterThanOrEqual(1000);
    expect(diamond.duration_ms!.max).toBeGreaterThanOrEqual(1200);
  });

  it('gives the critical path of the slowest run: the slow branch of a diamond, a code run by time', () => {
    const doc = JSON.parse(metrics('--json', '--workflow', 'diamond').stdout) as MetricsJson;
    expect(doc.workflow).toBe('diamond');
    expect(doc.workflows).toHaveLength(1);
    const slowest = doc.workflows[0].slowest_run!;
    expect(slowest.status).toBe('succeeded');
    expect(slowest.critical_path.map((s) => s.task)).toEqual(['a', 'b', 'd']);
    expect(slowest.critical_path[1].duration_ms).toBeGreaterThanOrEqual(1000);
    expect(slowest.duration_ms).toBe(doc.workflows[0].duration_ms!.max);

    // Steps declare nothing: each waited for the step that ended last before it started.
    const steps = (JSON.parse(metrics('--json', '--workflow', 'steps').stdout) as MetricsJson).workflows[0];
    expect(steps.slowest_run!.critical_path.map((s) => s.task)).toEqual(['fetch', 'slow', 'report']);
    expect(steps.tasks.map((t) => [t.task, t.type])).toEqual([
      ['fetch', 'step'],
      ['quick', 'step'],
      ['slow', 'step'],
      ['report', 'step'],
    ]);
  });

  it('lists the slowest tasks, composites aside, and prints tables for a person', () => {
    const doc = JSON.parse(metrics('--json').stdout) as MetricsJson;
    expect(doc.bottlenecks[0]).toMatchObject({ workflow: 'diamond', task: 'b', runs: 2 });
    const all = metrics();
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^Since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: 6 runs: 5 succeeded, 1 failed; success rate 83\.33%/);
    expect(all.stdout).toMatch(/^WORKFLOW\s+RUNS\s+SUCCESS\s+FAILED\s+CANCELLED\s+RETRIES\s+P50\s+P95\s+MAX\s+QUEUE WAIT$/m);
    expect(all.stdout).toMatch(/^broken\s+1\s+0%\s+1\s+0\s+0\s/m);
    expect(all.stdout).toMatch(/^flaky\s+2\s+100%\s+0\s+0\s+1\s/m);
    expect(all.stdout).toContain('Slowest tasks (by p95):');
    const one = metrics('--workflow', 'diamond');
    expect(one.stdout).toMatch(/^diamond since .*: 2 runs: 2 succeeded, 0 failed; success rate 100%$/m);
    expect(one.stdout).toMatch(/^ {2}TASK\s+TYPE\s+RUNS\s+FAILED\s+RETRIES\s+P50\s+P95\s+MAX\s+QUEUE WAIT$/m);
    expect(one.stdout).toContain('Critical path of the slowest run');
    expect(one.stdout).toMatch(/^ {2}b\s+\d\d:\d\d:\d\d\s+\S+\s+\S+$/m);
  });

  it('keeps to the window and says when nothing ran', () => {
    const future = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const none = metrics('--since', future, '--json');
    expect(JSON.parse(none.stdout)).toMatchObject({ totals: { runs: 0 }, workflows: [], bottlenecks: [] });
    expect(metrics('--since', future).stdout).toMatch(/^No runs since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\n$/);
    expect(metrics('--workflow', 'nope').stdout).toMatch(/^No runs of nope since /);
    expect(JSON.parse(metrics('--since', '30m', '--json').stdout).totals.runs).toBe(6);
  });

  it('refuses a --since that is neither a duration nor a date, with its code', () => {
    const bad = metrics('--since', 'yesterday', '--json');
    expect(bad.status).toBe(2);
    const error = (JSON.parse(bad.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('METRICS_BAD_SINCE');
    expect(error.message).toContain('--since "yesterday" is neither a duration');
    expect(metrics('--since', '7').stderr).toMatch(/^baton: --since "7" is neither a duration/);
  });
});
